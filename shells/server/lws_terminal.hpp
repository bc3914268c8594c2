// The terminal WebSocket's side of libwebsockets: the connections to
// /api/v1/workspaces/{id}/terminal, from the upgrade to the close. http_server hands it the
// WebSocket callbacks; it reads whole messages, takes the hello (which must come first,
// within 10 s), hands the attach to a worker (it may start the pod), then passes messages to
// the library's Terminals and writes what they queued, one message per WRITEABLE callback. A
// close is sent with its code and reason (codeyard/terminals.hpp) after what was queued
// before it. The plumbing is the sockets' base (lws_websocket). Service thread only; the
// worker jobs it submits report back through a queue and the wake function.
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
#include "lws_websocket.hpp"
#include "worker_pool.hpp"

struct lws;

namespace codeyard::server {

enum class TerminalState { kHello, kAttaching, kAttached };
// A terminal connection: the hello, then a worker attaches, then messages go to Terminals.
struct TerminalConn : WsSession {
  TerminalState state = TerminalState::kHello;
  std::string workspace_id;
  std::vector<std::string> early;  // messages that came while attaching
  std::size_t early_bytes = 0;
  std::deque<std::string> local;  // our own messages (the starting status)
};

// terminal::Close as the glue's, and the libraries' TerminalOut (Terminals::Next,
// RunSessions::Next) as what the base writes.
[[nodiscard]] WsClose ToWs(terminal::Close close);
[[nodiscard]] WsNext ToWsNext(TerminalOut out);

class TerminalSockets final : public LwsWebSocketOf<TerminalConn> {
 public:
  TerminalSockets(Terminals& terminals, std::shared_ptr<Logger> logger);

  // True for /api/v1/workspaces/{id}/terminal; sets *workspace_id.
  [[nodiscard]] static bool IsTerminalPath(std::string_view path, std::string* workspace_id);
  [[nodiscard]] bool Serves(std::string_view path) const override {
    return IsTerminalPath(path, nullptr);
  }

  // Finished attaches and viewers with output (the library's CloseAll ends them on a stop).
  void OnWake(bool stopping) override;

 private:
  struct Attached {
    uint64_t id;
    std::optional<terminal::Close> close;
  };

  void Opened(uint64_t id, TerminalConn& c, const RequestLine& line) override;
  void OnMessage(uint64_t id, TerminalConn& c, std::string message) override;
  std::optional<WsMessage> Before(TerminalConn& c) override;
  WsNext After(uint64_t id, TerminalConn& c, bool* more) override;
  void Closed(uint64_t id, TerminalConn& c) override;
  [[nodiscard]] std::optional<LogField> Subject(const TerminalConn& c) const override;

  void StartAttach(uint64_t id, TerminalConn& c, const terminal::Hello& hello);
  static void CloseWith(TerminalConn& c, terminal::Close close);

  Terminals& terminals_;
  WsInbox<Attached> done_;  // attach results from workers
};

}  // namespace codeyard::server
