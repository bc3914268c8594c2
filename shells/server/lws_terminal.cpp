#include "lws_terminal.hpp"

#include <libwebsockets.h>

#include <variant>

#include "http_errors.hpp"

namespace codeyard::server {
namespace {

constexpr std::size_t kMaxEarlyBytes = std::size_t{1} << 20;

}  // namespace

WsClose ToWs(terminal::Close close) { return {close.code, std::move(close.reason)}; }

WsNext ToWsNext(TerminalOut out) {
  if (auto* message = std::get_if<std::string>(&out)) return WsMessage(std::move(*message));
  if (auto* close = std::get_if<terminal::Close>(&out)) return ToWs(std::move(*close));
  return {};
}

TerminalSockets::TerminalSockets(Terminals& terminals, std::shared_ptr<Logger> logger)
    : LwsWebSocketOf({"terminal",
                      WsGlue::Frames::kBinary,
                      terminal::kMaxClientMessage,
                      {terminal::kCloseTooBig, "a message is at most 1 MiB"}},
                     std::move(logger)),
      terminals_(terminals) {}

bool TerminalSockets::IsTerminalPath(std::string_view path, std::string* workspace_id) {
  constexpr std::string_view kPrefix = "/api/v1/workspaces/";
  constexpr std::string_view kSuffix = "/terminal";
  if (!path.starts_with(kPrefix) || !path.ends_with(kSuffix)) return false;
  const std::string_view id =
      path.substr(kPrefix.size(), path.size() - kPrefix.size() - kSuffix.size());
  if (id.empty() || id.find('/') != std::string_view::npos) return false;
  if (workspace_id != nullptr) *workspace_id = std::string(id);
  return true;
}

void TerminalSockets::Opened(uint64_t /*id*/, TerminalConn& c, const RequestLine& line) {
  (void)IsTerminalPath(line.path, &c.workspace_id);
  logger().Info("terminal connected",
                {{"workspace_id", ValidUtf8(c.workspace_id)}, {"request_id", c.request_id}});
}

void TerminalSockets::OnMessage(uint64_t id, TerminalConn& c, std::string message) {
  switch (c.state) {
    case TerminalState::kHello: {
      if (message.empty() || message.front() != terminal::kHelloStart) {
        CloseWith(c, {terminal::kCloseUnauthenticated,
                      "the first message must be the hello {\"token\":...}"});
        return;
      }
      auto hello = terminal::ParseHello(message);
      if (!hello) {
        CloseWith(c, {terminal::kCloseUnauthenticated, hello.error().message()});
        return;
      }
      StartAttach(id, c, *hello);
      return;
    }
    case TerminalState::kAttaching:
      c.early_bytes += message.size();
      if (c.early_bytes > kMaxEarlyBytes) {
        CloseWith(c, {terminal::kClosePolicy, "too much input before the terminal started"});
        return;
      }
      c.early.push_back(std::move(message));
      return;
    case TerminalState::kAttached:
      if (auto close = terminals_.Receive(id, message)) CloseWith(c, std::move(*close));
      return;
  }
}

void TerminalSockets::StartAttach(uint64_t id, TerminalConn& c, const terminal::Hello& hello) {
  WsGlue::HelloDone(c);
  c.state = TerminalState::kAttaching;
  c.local.push_back(terminal::Message(terminal::kStatus, R"({"state":"starting"})"));
  lws_callback_on_writable(c.wsi);
  const bool queued =
      ws().Submit<Attached>(done_, [this, id, workspace = c.workspace_id, hello]() -> Attached {
        return {id, terminals_.Attach(id, workspace, hello)};
      });
  if (!queued) CloseWith(c, {terminal::kCloseTryAgain, "the server is busy; retry later"});
}

void TerminalSockets::OnWake(bool /*stopping*/) {
  for (Attached& a : done_.Take()) {
    TerminalConn* c = Find(a.id);
    if (c == nullptr) {
      terminals_.Detach(a.id);  // closed while attaching
      continue;
    }
    if (a.close) {
      CloseWith(*c, std::move(*a.close));
      continue;
    }
    c->state = TerminalState::kAttached;
    std::vector<std::string> early;
    early.swap(c->early);
    c->early_bytes = 0;
    for (std::string& m : early) {
      if (c->close) break;
      if (auto close = terminals_.Receive(a.id, m)) CloseWith(*c, std::move(*close));
    }
    lws_callback_on_writable(c->wsi);
  }
  for (const uint64_t id : terminals_.TakeReady()) Writable(id);
}

void TerminalSockets::CloseWith(TerminalConn& c, terminal::Close close) {
  WsGlue::CloseWith(c, ToWs(std::move(close)));
}

std::optional<WsMessage> TerminalSockets::Before(TerminalConn& c) {
  if (c.local.empty()) return std::nullopt;
  std::string message = std::move(c.local.front());
  c.local.pop_front();
  return message;
}

WsNext TerminalSockets::After(uint64_t id, TerminalConn& c, bool* more) {
  if (c.state != TerminalState::kAttached) return {};
  return ToWsNext(terminals_.Next(id, more));
}

void TerminalSockets::Closed(uint64_t id, TerminalConn& c) {
  if (c.state == TerminalState::kAttached) terminals_.Detach(id);
  // A connection closed while attaching is detached when its attach finishes (OnWake).
}

std::optional<LogField> TerminalSockets::Subject(const TerminalConn& c) const {
  return LogField("workspace_id", ValidUtf8(c.workspace_id));
}

}  // namespace codeyard::server
