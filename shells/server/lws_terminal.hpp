// The terminal WebSocket's side of libwebsockets: the connections to
// /api/v1/workspaces/{id}/terminal, from the upgrade to the close, on the sockets' base
// (lws_websocket). The hello must come first (within 10 s); a worker attaches (it may start
// the pod), then messages pass to the library's Terminals and what they queued is written,
// one message per WRITEABLE callback. A close is sent with its code and reason
// (codeyard/terminals.hpp) after what was queued before it.
//
// SessionSockets is what the terminal and the run socket (lws_run_session) share: both are a
// hello, a start on a worker and then a library session (Terminals, RunSessions) that
// receives messages and hands out what to write.
//
// Service thread only; the worker jobs report back through an inbox and the wake function.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "codeyard/log.hpp"
#include "codeyard/terminals.hpp"
#include "http_errors.hpp"
#include "lws_websocket.hpp"

struct lws;

namespace codeyard::server {

// terminal::Close as the glue's, and the libraries' TerminalOut (Terminals::Next,
// RunSessions::Next) as what the base writes.
[[nodiscard]] WsClose ToWs(terminal::Close close);
[[nodiscard]] WsNext ToWsNext(TerminalOut out);

enum class SessionState { kHello, kStarting, kStarted };
// A terminal or run connection: the hello, then a worker starts (attaches) its session, then
// messages go to the library.
struct SessionConn : WsSession {
  SessionState state = SessionState::kHello;
  std::string workspace_id;
  std::vector<std::string> early;  // messages that came while starting
  std::size_t early_bytes = 0;
  std::deque<std::string> local;  // our own messages, before the library's (a status)
};

// Over the library's sessions `Sessions` (Receive, Next, TakeReady, Detach) with hellos of
// type `Hello`: binary frames, 1 MiB messages, at most 1 MiB kept while starting. A kind says
// where it lives, how its hello reads and how its session starts.
template <typename Sessions, typename Hello>
class SessionSockets : public LwsWebSocketOf<SessionConn> {
 public:
  [[nodiscard]] bool Serves(std::string_view path) const final {
    return IsWorkspaceSocketPath(path, suffix_, nullptr);
  }

  // Finished starts and connections with output (the library's CloseAll ends them on a stop).
  void OnWake(bool /*stopping*/) final {
    for (Started& s : done_.Take()) {
      SessionConn* c = Find(s.id);
      if (c == nullptr || s.close) sessions_.Detach(s.id);  // closed while starting, or failed
      if (c == nullptr) continue;
      if (s.close) {
        CloseWith(*c, std::move(*s.close));
        continue;
      }
      c->state = SessionState::kStarted;
      std::vector<std::string> early;
      early.swap(c->early);
      c->early_bytes = 0;
      for (std::string& m : early) {
        if (c->close) break;
        if (auto close = sessions_.Receive(s.id, m)) CloseWith(*c, std::move(*close));
      }
      AskWritable(c->wsi);
    }
    for (const uint64_t id : sessions_.TakeReady()) Writable(id);
  }

 protected:
  // `name` in log lines, the path's last segment, what the overflow while starting says.
  SessionSockets(std::string name, std::string_view suffix, std::string_view overflow,
                 Sessions& sessions, std::shared_ptr<Logger> logger)
      : LwsWebSocketOf<SessionConn>({std::move(name),
                                     WsGlue::Frames::kBinary,
                                     terminal::kMaxClientMessage,
                                     {terminal::kCloseTooBig, "a message is at most 1 MiB"}},
                                    std::move(logger)),
        suffix_(suffix),
        overflow_(overflow),
        sessions_(sessions) {}

  // The hello, or the close the connection gets instead.
  [[nodiscard]] virtual std::variant<Hello, terminal::Close> ReadHello(
      const std::string& message) const = 0;
  // On a worker: starts session `id` of `workspace_id`; a close when it cannot.
  virtual std::optional<terminal::Close> Start(uint64_t id, const std::string& workspace_id,
                                               const Hello& hello) = 0;
  // The hello came, before the start is handed to a worker (the terminal's status).
  virtual void Starting(SessionConn& /*c*/) {}

  static void CloseWith(SessionConn& c, terminal::Close close) {
    WsGlue::CloseWith(c, ToWs(std::move(close)));
  }

 private:
  static constexpr std::size_t kMaxEarlyBytes = std::size_t{1} << 20;

  struct Started {
    uint64_t id;
    std::optional<terminal::Close> close;
  };

  void Opened(uint64_t /*id*/, SessionConn& c, const RequestLine& line) final {
    (void)IsWorkspaceSocketPath(line.path, suffix_, &c.workspace_id);
    logger().Info(options().name + " connected",
                  {{"workspace_id", ValidUtf8(c.workspace_id)}, {"request_id", c.request_id}});
  }

  void OnMessage(uint64_t id, SessionConn& c, std::string message) final {
    switch (c.state) {
      case SessionState::kHello: {
        std::variant<Hello, terminal::Close> hello = ReadHello(message);
        if (auto* close = std::get_if<terminal::Close>(&hello)) {
          CloseWith(c, std::move(*close));
          return;
        }
        WsGlue::HelloDone(c);
        c.state = SessionState::kStarting;
        Starting(c);
        const bool queued =
            ws().template Submit<Started>(done_,
                                          [this, id, workspace = c.workspace_id,
                                           hello = std::get<Hello>(std::move(hello))]() -> Started {
                                            return {id, Start(id, workspace, hello)};
                                          });
        if (!queued) CloseWith(c, {terminal::kCloseTryAgain, "the server is busy; retry later"});
        return;
      }
      case SessionState::kStarting:
        c.early_bytes += message.size();
        if (c.early_bytes > kMaxEarlyBytes) {
          CloseWith(c, {terminal::kClosePolicy, overflow_});
          return;
        }
        c.early.push_back(std::move(message));
        return;
      case SessionState::kStarted:
        if (auto close = sessions_.Receive(id, message)) CloseWith(c, std::move(*close));
        return;
    }
  }

  std::optional<std::string> Before(SessionConn& c) final {
    if (c.local.empty()) return std::nullopt;
    std::string message = std::move(c.local.front());
    c.local.pop_front();
    return message;
  }

  WsNext After(uint64_t id, SessionConn& c, bool* more) final {
    if (c.state != SessionState::kStarted) return {};
    return ToWsNext(sessions_.Next(id, more));
  }

  // One closed while starting is detached when its start finishes (OnWake).
  void Closed(uint64_t id, SessionConn& c) final {
    if (c.state == SessionState::kStarted) sessions_.Detach(id);
  }

  [[nodiscard]] std::optional<LogField> Subject(const SessionConn& c) const final {
    return LogField("workspace_id", ValidUtf8(c.workspace_id));
  }

  const std::string suffix_;
  const std::string overflow_;
  Sessions& sessions_;
  WsInbox<Started> done_;  // start results from workers
};

class TerminalSockets final : public SessionSockets<Terminals, terminal::Hello> {
 public:
  TerminalSockets(Terminals& terminals, std::shared_ptr<Logger> logger);

  // True for /api/v1/workspaces/{id}/terminal; sets *workspace_id.
  [[nodiscard]] static bool IsTerminalPath(std::string_view path, std::string* workspace_id) {
    return IsWorkspaceSocketPath(path, "terminal", workspace_id);
  }

 private:
  [[nodiscard]] std::variant<terminal::Hello, terminal::Close> ReadHello(
      const std::string& message) const override;
  std::optional<terminal::Close> Start(uint64_t id, const std::string& workspace_id,
                                       const terminal::Hello& hello) override;
  void Starting(SessionConn& c) override;

  Terminals& terminals_;
};

}  // namespace codeyard::server
