// The run WebSocket's side of libwebsockets: the connections to
// /api/v1/workspaces/{id}/run (the IDE's Run, codeyard/run_session.hpp), from the upgrade to
// the close, on the sockets' base (lws_websocket). Like lws_terminal: whole messages, the hello
// first (within 10 s), the start handed to a worker (it may start the pod and compile), then
// messages passed to the library's RunSessions and what they queued written, one message per
// WRITEABLE callback. Service thread only; the worker jobs report back through a queue and the wake
// function.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "codeyard/log.hpp"
#include "codeyard/run_session.hpp"
#include "lws_terminal.hpp"
#include "lws_websocket.hpp"
#include "worker_pool.hpp"

struct lws;

namespace codeyard::server {

enum class RunState { kHello, kStarting, kStarted };
// A run connection: the hello, then a worker starts the program, then messages go to
// RunSessions.
struct RunConn : WsSession {
  RunState state = RunState::kHello;
  std::string workspace_id;
  std::vector<std::string> early;  // messages that came while starting
  std::size_t early_bytes = 0;
};

class RunSockets final : public LwsWebSocketOf<RunConn> {
 public:
  RunSockets(RunSessions& runs, std::shared_ptr<Logger> logger);

  // True for /api/v1/workspaces/{id}/run; sets *workspace_id.
  [[nodiscard]] static bool IsRunPath(std::string_view path, std::string* workspace_id);
  [[nodiscard]] bool Serves(std::string_view path) const override {
    return IsRunPath(path, nullptr);
  }

  // Finished starts and clients with output (the library's CloseAll ends them on a stop).
  void OnWake(bool stopping) override;

 private:
  struct Started {
    uint64_t id;
    std::optional<terminal::Close> close;
  };

  void Opened(uint64_t id, RunConn& c, const RequestLine& line) override;
  void OnMessage(uint64_t id, RunConn& c, std::string message) override;
  WsNext After(uint64_t id, RunConn& c, bool* more) override;
  void Closed(uint64_t id, RunConn& c) override;
  [[nodiscard]] std::optional<LogField> Subject(const RunConn& c) const override;

  static void CloseWith(RunConn& c, terminal::Close close);

  RunSessions& runs_;
  WsInbox<Started> done_;
};

}  // namespace codeyard::server
