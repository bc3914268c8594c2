// The run WebSocket's side of libwebsockets: the connections to
// /api/v1/workspaces/{id}/run (the IDE's Run, codeyard/run_session.hpp), from the upgrade to
// the close. Like lws_terminal: whole messages, the hello first (within 10 s), the start
// handed to a worker (it may start the pod and compile), then messages passed to the
// library's RunSessions and what they queued written, one message per WRITEABLE callback.
// Service thread only; the worker jobs report back through a queue and the wake function.
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
#include "lws_ws_session.hpp"
#include "worker_pool.hpp"

struct lws;

namespace codeyard::server {

class RunSockets {
 public:
  RunSockets(RunSessions& runs, std::shared_ptr<Logger> logger);

  // Before serving: where start jobs run, and how a worker wakes the service thread.
  void Bind(WorkerPool* pool, std::function<void()> wake);

  // True for /api/v1/workspaces/{id}/run; sets *workspace_id.
  [[nodiscard]] static bool IsRunPath(std::string_view path, std::string* workspace_id);

  void OnUnmaskedFrame(int fd);
  [[nodiscard]] uint64_t Open(lws* wsi);  // LWS_CALLBACK_ESTABLISHED
  [[nodiscard]] int OnReceive(uint64_t id, const void* in, std::size_t len);
  [[nodiscard]] int OnWriteable(uint64_t id);
  [[nodiscard]] int OnTimer(uint64_t id);
  void OnClosed(uint64_t id);
  void OnWake();  // finished starts and clients with output

  [[nodiscard]] std::size_t open() const { return conns_.size(); }

 private:
  enum class State { kHello, kStarting, kStarted };
  struct Conn : WsSession {
    State state = State::kHello;
    std::string workspace_id;
    std::vector<std::string> early;  // messages that came while starting
    std::size_t early_bytes = 0;
  };
  struct Started {
    uint64_t id;
    std::optional<terminal::Close> close;
  };

  int OnMessage(uint64_t id, Conn& c, std::string message);
  void CloseWith(Conn& c, terminal::Close close);
  int SendClose(Conn& c, const WsClose& close);

  RunSessions& runs_;
  std::shared_ptr<Logger> logger_;
  WsGlue ws_{WsGlue::Frames::kBinary};
  std::unordered_map<uint64_t, Conn> conns_;
  uint64_t next_id_ = 1;
  WsInbox<Started> done_;
};

}  // namespace codeyard::server
