// What the benchmarks that drive the real codeyard-server share: finding the binary, a free
// loopback port, a temporary data directory, plain HTTP/1.1 calls for set-up steps and simple
// timed requests, and waiting until the server answers. Errors throw std::runtime_error.
#pragma once

#include <boost/json.hpp>
#include <cstddef>
#include <filesystem>
#include <string>

#include "child_process.hpp"

namespace codeyard::bench {

// Random lower-case hex of `bytes` random bytes (secrets, user names).
[[nodiscard]] std::string RandomHex(std::size_t bytes);

// A temporary directory removed with everything in it at the end of the scope.
class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// `given`, or codeyard-server beside this program when empty; throws when not executable.
[[nodiscard]] std::string ServerBinary(const std::string& given);

// A loopback TCP port that was free a moment ago.
[[nodiscard]] int FreePort();

struct HttpAnswer {
  int status = 0;  // 0 when the connection failed
  std::string body;
};

// One request on a fresh connection to 127.0.0.1:port (Connection: close).
[[nodiscard]] HttpAnswer HttpCall(int port, const std::string& method, const std::string& path,
                                  const std::string& body = {}, const std::string& token = {});

// The answer's body as a JSON object; throws naming `step` unless the status is `want`.
[[nodiscard]] boost::json::object JsonOf(const HttpAnswer& answer, int want,
                                         const std::string& step);

// Waits up to 20 s for GET /api/v1/health to answer 200; throws if the server exits first.
void WaitHealthy(int port, ChildProcess& server);

}  // namespace codeyard::bench
