// The terminal WebSocket's side of libwebsockets: the connections to
// /api/v1/workspaces/{id}/terminal, from the upgrade to the close. http_server hands it the
// WebSocket callbacks; it reads whole messages, takes the hello (which must come first,
// within 10 s), hands the attach to a worker (it may start the pod), then passes messages to
// the library's Terminals and writes what they queued, one message per WRITEABLE callback. A
// close is sent with its code and reason (codeyard/terminals.hpp) after what was queued
// before it. The connection glue is shared with lws_events (lws_ws_session). Service thread only;
// the worker jobs it submits report back through a queue and the wake function.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "codeyard/log.hpp"
#include "codeyard/terminals.hpp"
#include "lws_ws_session.hpp"
#include "worker_pool.hpp"

struct lws;

namespace codeyard::server {

class TerminalSockets {
 public:
  TerminalSockets(Terminals& terminals, std::shared_ptr<Logger> logger);

  // Before serving: where attach jobs run, and how a worker wakes the service thread.
  void Bind(WorkerPool* pool, std::function<void()> wake);

  // True for /api/v1/workspaces/{id}/terminal; sets *workspace_id.
  [[nodiscard]] static bool IsTerminalPath(std::string_view path, std::string* workspace_id);

  // LWS_CALLBACK_HTTP_CONFIRM_UPGRADE of a terminal path: 0 to upgrade; 1 after answering a
  // handshake in another protocol version than 13 with 426 and `Sec-WebSocket-Version: 13`
  // (RFC 6455 §4.4; lws 4.1.6 would upgrade any version as if it were 13).
  [[nodiscard]] int ConfirmUpgrade(lws* wsi);

  // The RawTap saw an unmasked frame from the client on `fd` (RFC 6455 §5.1: a server must
  // close such a connection; lws 4.1.6 accepts them): it is closed with 1002.
  void OnUnmaskedFrame(int fd);

  // LWS_CALLBACK_ESTABLISHED: registers the connection (headers are still readable) and
  // returns its id, which the caller keeps in the connection's user data.
  [[nodiscard]] uint64_t Open(lws* wsi);

  // The other callbacks; each returns what the lws callback should (-1 closes).
  [[nodiscard]] int OnReceive(uint64_t id, const void* in, std::size_t len);
  [[nodiscard]] int OnWriteable(uint64_t id);
  [[nodiscard]] int OnTimer(uint64_t id);
  void OnClosed(uint64_t id);

  // LWS_CALLBACK_EVENT_WAIT_CANCELLED: finished attaches and viewers with output.
  void OnWake();

  [[nodiscard]] std::size_t open() const { return conns_.size(); }

 private:
  enum class State { kHello, kAttaching, kAttached };
  struct Conn : WsSession {
    State state = State::kHello;
    std::string workspace_id;
    std::vector<std::string> early;  // messages that came while attaching
    std::size_t early_bytes = 0;
    std::deque<std::string> local;  // our own messages (the starting status)
  };
  struct Attached {
    uint64_t id;
    std::optional<terminal::Close> close;
  };

  int OnMessage(uint64_t id, Conn& c, std::string message);
  int StartAttach(uint64_t id, Conn& c, const terminal::Hello& hello);
  void CloseWith(Conn& c, terminal::Close close);
  int SendClose(Conn& c, const WsClose& close);

  Terminals& terminals_;
  std::shared_ptr<Logger> logger_;
  WsGlue ws_{WsGlue::Frames::kBinary};

  std::unordered_map<uint64_t, Conn> conns_;
  uint64_t next_id_ = 1;

  WsInbox<Attached> done_;  // attach results from workers
};

}  // namespace codeyard::server
