// The run WebSocket's side of libwebsockets: the connections to
// /api/v1/workspaces/{id}/run (the IDE's Run, codeyard/run_session.hpp), from the upgrade to
// the close. Like lws_terminal, and on its SessionSockets: whole messages, the hello first
// (within 10 s), the start handed to a worker (it may start the pod and compile), then
// messages passed to the library's RunSessions and what they queued written, one message per
// WRITEABLE callback. Service thread only; the worker jobs report back through an inbox and
// the wake function.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "codeyard/log.hpp"
#include "codeyard/run_session.hpp"
#include "lws_terminal.hpp"

namespace codeyard::server {

class RunSockets final : public SessionSockets<RunSessions, run_session::Hello> {
 public:
  RunSockets(RunSessions& runs, std::shared_ptr<Logger> logger);

  // True for /api/v1/workspaces/{id}/run; sets *workspace_id.
  [[nodiscard]] static bool IsRunPath(std::string_view path, std::string* workspace_id) {
    return IsWorkspaceSocketPath(path, "run", workspace_id);
  }

 private:
  [[nodiscard]] std::variant<run_session::Hello, terminal::Close> ReadHello(
      const std::string& message) const override;
  std::optional<terminal::Close> Start(uint64_t id, const std::string& workspace_id,
                                       const run_session::Hello& hello) override;

  RunSessions& runs_;
};

}  // namespace codeyard::server
