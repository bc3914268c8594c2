#include "lws_terminal.hpp"

#include <libwebsockets.h>

#include <variant>

#include "http_errors.hpp"
#include "lws_http.hpp"

namespace codeyard::server {
namespace {

constexpr std::size_t kMaxEarlyBytes = std::size_t{1} << 20;

WsClose ToWs(terminal::Close close) { return {close.code, std::move(close.reason)}; }

}  // namespace

TerminalSockets::TerminalSockets(Terminals& terminals, std::shared_ptr<Logger> logger)
    : terminals_(terminals), logger_(logger ? std::move(logger) : NullLogger()) {}

void TerminalSockets::Bind(WorkerPool* pool, std::function<void()> wake) {
  ws_.Bind(pool, std::move(wake));
}

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

int TerminalSockets::ConfirmUpgrade(lws* wsi) {
  char version[16] = {};
  const int n = lws_hdr_copy(wsi, version, sizeof(version), WSI_TOKEN_VERSION);
  if (n > 0 && std::string_view(version, static_cast<std::size_t>(n)) == "13") return 0;
  const std::string request_id = IncomingOrNewRequestId(wsi);
  Response r =
      ErrorResponse(426,
                    Error(Error::Code::kInvalidArgument,
                          n > 0 ? "unsupported Sec-WebSocket-Version; this server speaks version 13"
                                : "a WebSocket handshake needs Sec-WebSocket-Version: 13"),
                    request_id);
  r.headers.emplace_back("Sec-WebSocket-Version", "13");
  logger_->Info("upgrade refused", {{"reason", "websocket version"},
                                    {"version", ValidUtf8(std::string_view(version))},
                                    {"request_id", request_id}});
  // Headers and body in one write, so that a client sees the whole answer at once.
  if (!WriteResponseHeaders(wsi, r, request_id, false, false, ws_.scratch(), r.body)) return -1;
  return 1;  // answered: lws completes the transaction
}

void TerminalSockets::OnUnmaskedFrame(int fd) { WsGlue::CloseUnmasked(conns_, fd); }

uint64_t TerminalSockets::Open(lws* wsi) {
  const uint64_t id = next_id_++;
  Conn& c = conns_[id];
  std::string path;
  (void)RequestMethodAndPath(wsi, &path);  // before the RawTap turns to frames
  (void)IsTerminalPath(path, &c.workspace_id);
  WsGlue::Open(c, wsi);
  logger_->Info("terminal connected",
                {{"workspace_id", ValidUtf8(c.workspace_id)}, {"request_id", c.request_id}});
  return id;
}

int TerminalSockets::OnReceive(uint64_t id, const void* in, std::size_t len) {
  const auto it = conns_.find(id);
  if (it == conns_.end()) return -1;
  Conn& c = it->second;
  if (c.close) return 0;  // closing: what comes now is ignored (an unmasked frame too)
  auto message = WsGlue::Assemble(c, in, len, terminal::kMaxClientMessage,
                                  {terminal::kCloseTooBig, "a message is at most 1 MiB"});
  if (!message) return 0;
  return OnMessage(id, c, std::move(*message));
}

int TerminalSockets::OnMessage(uint64_t id, Conn& c, std::string message) {
  switch (c.state) {
    case State::kHello: {
      if (message.empty() || message.front() != terminal::kHelloStart) {
        CloseWith(c, {terminal::kCloseUnauthenticated,
                      "the first message must be the hello {\"token\":...}"});
        return 0;
      }
      auto hello = terminal::ParseHello(message);
      if (!hello) {
        CloseWith(c, {terminal::kCloseUnauthenticated, hello.error().message()});
        return 0;
      }
      return StartAttach(id, c, *hello);
    }
    case State::kAttaching:
      c.early_bytes += message.size();
      if (c.early_bytes > kMaxEarlyBytes) {
        CloseWith(c, {terminal::kClosePolicy, "too much input before the terminal started"});
        return 0;
      }
      c.early.push_back(std::move(message));
      return 0;
    case State::kAttached:
      if (auto close = terminals_.Receive(id, message)) CloseWith(c, std::move(*close));
      return 0;
  }
  return 0;
}

int TerminalSockets::StartAttach(uint64_t id, Conn& c, const terminal::Hello& hello) {
  WsGlue::HelloDone(c);
  c.state = State::kAttaching;
  c.local.push_back(terminal::Message(terminal::kStatus, R"({"state":"starting"})"));
  lws_callback_on_writable(c.wsi);
  const bool queued =
      ws_.Submit<Attached>(done_, [this, id, workspace = c.workspace_id, hello]() -> Attached {
        return {id, terminals_.Attach(id, workspace, hello)};
      });
  if (!queued) CloseWith(c, {terminal::kCloseTryAgain, "the server is busy; retry later"});
  return 0;
}

void TerminalSockets::OnWake() {
  for (Attached& a : done_.Take()) {
    const auto it = conns_.find(a.id);
    if (it == conns_.end()) {
      terminals_.Detach(a.id);  // closed while attaching
      continue;
    }
    Conn& c = it->second;
    if (a.close) {
      CloseWith(c, std::move(*a.close));
      continue;
    }
    c.state = State::kAttached;
    std::vector<std::string> early;
    early.swap(c.early);
    c.early_bytes = 0;
    for (std::string& m : early) {
      if (c.close) break;
      if (auto close = terminals_.Receive(a.id, m)) CloseWith(c, std::move(*close));
    }
    lws_callback_on_writable(c.wsi);
  }
  for (const uint64_t id : terminals_.TakeReady()) {
    const auto it = conns_.find(id);
    if (it != conns_.end()) lws_callback_on_writable(it->second.wsi);
  }
}

void TerminalSockets::CloseWith(Conn& c, terminal::Close close) {
  WsGlue::CloseWith(c, ToWs(std::move(close)));
}

int TerminalSockets::OnWriteable(uint64_t id) {
  const auto it = conns_.find(id);
  if (it == conns_.end()) return -1;
  Conn& c = it->second;
  if (!c.local.empty()) {
    const std::string message = std::move(c.local.front());
    c.local.pop_front();
    if (ws_.Write(c, message) != 0) return -1;
    lws_callback_on_writable(c.wsi);
    return 0;
  }
  if (c.close) return SendClose(c, *c.close);
  if (c.state != State::kAttached) return 0;
  bool more = false;
  TerminalOut out = terminals_.Next(id, &more);
  if (auto* message = std::get_if<std::string>(&out)) {
    if (ws_.Write(c, *message) != 0) return -1;
  } else if (auto* close = std::get_if<terminal::Close>(&out)) {
    return SendClose(c, ToWs(*close));
  }
  if (more) lws_callback_on_writable(c.wsi);
  return 0;
}

int TerminalSockets::SendClose(Conn& c, const WsClose& close) {
  const std::string reason = WsGlue::SendClose(c, close);
  logger_->Info("terminal closing", {{"workspace_id", ValidUtf8(c.workspace_id)},
                                     {"request_id", c.request_id},
                                     {"code", static_cast<int>(close.code)},
                                     {"reason", ValidUtf8(reason)}});
  return -1;
}

int TerminalSockets::OnTimer(uint64_t id) {
  const auto it = conns_.find(id);
  if (it == conns_.end()) return 0;
  if (it->second.state == State::kHello) {
    CloseWith(it->second, {terminal::kCloseUnauthenticated, "no hello within 10 s"});
  }
  return 0;
}

void TerminalSockets::OnClosed(uint64_t id) {
  const auto it = conns_.find(id);
  if (it == conns_.end()) return;
  const Conn& c = it->second;
  if (c.state == State::kAttached) terminals_.Detach(id);
  // A connection closed while attaching is detached when its attach finishes (OnWake).
  logger_->Info("terminal disconnected", {{"workspace_id", ValidUtf8(c.workspace_id)},
                                          {"request_id", c.request_id},
                                          {"duration_ms", c.age_ms()}});
  conns_.erase(it);
}

}  // namespace codeyard::server
