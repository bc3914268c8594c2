// Routes libwebsockets' own log lines into our JSON Logger, so stderr stays one JSON object
// per line. lws has a single process-wide log hook without a user pointer, hence the one
// piece of global state in the server: the logger of the server currently running (the most
// recent one if a process starts several). Only lws errors and warnings are passed on.
// Thread-safe.
#pragma once

#include <memory>

#include "codeyard/log.hpp"

namespace codeyard::server {

class LwsLogRoute {
 public:
  // Sends lws's errors and warnings to `logger` until destroyed.
  explicit LwsLogRoute(std::shared_ptr<Logger> logger);
  LwsLogRoute(const LwsLogRoute&) = delete;
  LwsLogRoute& operator=(const LwsLogRoute&) = delete;
  ~LwsLogRoute();

  // While one exists, lws's lines are logged at debug level: for calls whose failure the
  // caller reports itself with a better message (a failed bind).
  class Quiet {
   public:
    Quiet();
    Quiet(const Quiet&) = delete;
    Quiet& operator=(const Quiet&) = delete;
    ~Quiet();
  };

 private:
  std::shared_ptr<Logger> previous_;
};

}  // namespace codeyard::server
