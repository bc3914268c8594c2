#include "lws_terminal.hpp"

#include <libwebsockets.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <chrono>
#include <cstring>
#include <variant>

#include "http_errors.hpp"
#include "lws_http.hpp"
#include "lws_raw_tap.hpp"

namespace codeyard::server {
namespace {

constexpr lws_usec_t kHelloTimeoutUs = 10LL * LWS_USEC_PER_SEC;
constexpr std::size_t kMaxEarlyBytes = std::size_t{1} << 20;
constexpr std::size_t kMaxCloseReason = 123;  // RFC 6455: 125 bytes with the code

// Terminals sit idle for hours, so a peer that vanished (a laptop closed, a NAT that forgot
// the flow) would hold its connection forever: TCP keepalive probes after 60 s of silence,
// every 10 s, and the kernel drops the connection after 3 unanswered probes.
void EnableKeepalive(lws* wsi) {
  const int fd = lws_get_socket_fd(wsi);
  if (fd < 0) return;
  const int on = 1;
  const int idle_s = 60;
  const int interval_s = 10;
  const int probes = 3;
  (void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
  (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle_s, sizeof(idle_s));
  (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval_s, sizeof(interval_s));
  (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof(probes));
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Cuts at a UTF-8 character boundary.
std::string_view CutReason(std::string_view reason) {
  if (reason.size() <= kMaxCloseReason) return reason;
  std::size_t n = kMaxCloseReason;
  while (n > 0 && (static_cast<unsigned char>(reason[n]) & 0xC0) == 0x80) --n;
  return reason.substr(0, n);
}

}  // namespace

TerminalSockets::TerminalSockets(Terminals& terminals, std::shared_ptr<Logger> logger)
    : terminals_(terminals), logger_(logger ? std::move(logger) : NullLogger()) {}

void TerminalSockets::Bind(WorkerPool* pool, std::function<void()> wake) {
  pool_ = pool;
  wake_ = std::move(wake);
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
  if (!WriteResponseHeaders(wsi, r, request_id, false, false, scratch_, r.body)) return -1;
  return 1;  // answered: lws completes the transaction
}

void TerminalSockets::OnUnmaskedFrame(int fd) {
  for (auto& [id, c] : conns_) {
    if (lws_get_socket_fd(c.wsi) == fd) {
      CloseWith(c, {terminal::kCloseProtocolError, "client frames must be masked (RFC 6455)"});
      return;
    }
  }
}

uint64_t TerminalSockets::Open(lws* wsi) {
  const uint64_t id = next_id_++;
  Conn& c = conns_[id];
  c.wsi = wsi;
  c.opened_ms = NowMs();
  c.request_id = IncomingOrNewRequestId(wsi);
  std::string path;
  (void)RequestMethodAndPath(wsi, &path);
  (void)IsTerminalPath(path, &c.workspace_id);
  lws_set_timer_usecs(wsi, kHelloTimeoutUs);
  EnableKeepalive(wsi);
  if (RawTap* tap = RawTap::OfThisThread()) tap->WatchFrames(lws_get_socket_fd(wsi));
  logger_->Info("terminal connected",
                {{"workspace_id", ValidUtf8(c.workspace_id)}, {"request_id", c.request_id}});
  return id;
}

int TerminalSockets::OnReceive(uint64_t id, const void* in, std::size_t len) {
  const auto it = conns_.find(id);
  if (it == conns_.end()) return -1;
  Conn& c = it->second;
  if (c.close) return 0;  // closing: what comes now is ignored (an unmasked frame too)
  if (lws_is_first_fragment(c.wsi) != 0) c.message.clear();
  if (c.message.size() + len > terminal::kMaxClientMessage) {
    c.message.clear();
    CloseWith(c, {terminal::kCloseTooBig, "a message is at most 1 MiB"});
    return 0;
  }
  c.message.append(static_cast<const char*>(in), len);
  if (lws_is_final_fragment(c.wsi) == 0 || lws_remaining_packet_payload(c.wsi) != 0) return 0;
  std::string message;
  message.swap(c.message);
  return OnMessage(id, c, std::move(message));
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
  lws_set_timer_usecs(c.wsi, LWS_SET_TIMER_USEC_CANCEL);
  c.state = State::kAttaching;
  c.local.push_back(terminal::Message(terminal::kStatus, R"({"state":"starting"})"));
  lws_callback_on_writable(c.wsi);
  const bool queued =
      pool_ != nullptr && pool_->TrySubmit([this, id, workspace = c.workspace_id, hello] {
        std::optional<terminal::Close> close = terminals_.Attach(id, workspace, hello);
        {
          std::lock_guard lock(done_mu_);
          done_.push_back({id, std::move(close)});
        }
        if (wake_) wake_();
      });
  if (!queued) CloseWith(c, {terminal::kCloseTryAgain, "the server is busy; retry later"});
  return 0;
}

void TerminalSockets::OnWake() {
  std::vector<Attached> done;
  {
    std::lock_guard lock(done_mu_);
    done.swap(done_);
  }
  for (Attached& a : done) {
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
  if (c.close) return;
  c.close = std::move(close);
  lws_callback_on_writable(c.wsi);
}

int TerminalSockets::OnWriteable(uint64_t id) {
  const auto it = conns_.find(id);
  if (it == conns_.end()) return -1;
  Conn& c = it->second;
  if (!c.local.empty()) {
    const std::string message = std::move(c.local.front());
    c.local.pop_front();
    if (Write(c, message) != 0) return -1;
    lws_callback_on_writable(c.wsi);
    return 0;
  }
  if (c.close) return SendClose(c, *c.close);
  if (c.state != State::kAttached) return 0;
  bool more = false;
  TerminalOut out = terminals_.Next(id, &more);
  if (auto* message = std::get_if<std::string>(&out)) {
    if (Write(c, *message) != 0) return -1;
  } else if (auto* close = std::get_if<terminal::Close>(&out)) {
    return SendClose(c, *close);
  }
  if (more) lws_callback_on_writable(c.wsi);
  return 0;
}

int TerminalSockets::Write(Conn& c, std::string_view message) {
  scratch_.resize(LWS_PRE + message.size());
  std::memcpy(scratch_.data() + LWS_PRE, message.data(), message.size());
  const int n = lws_write(c.wsi, scratch_.data() + LWS_PRE, message.size(), LWS_WRITE_BINARY);
  return n < static_cast<int>(message.size()) ? -1 : 0;
}

int TerminalSockets::SendClose(Conn& c, const terminal::Close& close) {
  const std::string_view reason = CutReason(close.reason);
  std::string copy(reason);
  lws_close_reason(c.wsi, static_cast<lws_close_status>(close.code),
                   reinterpret_cast<unsigned char*>(copy.data()), copy.size());
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
                                          {"duration_ms", NowMs() - c.opened_ms}});
  conns_.erase(it);
}

}  // namespace codeyard::server
