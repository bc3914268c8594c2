#include "lws_ws_session.hpp"

#include <libwebsockets.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstring>

#include "lws_http.hpp"
#include "lws_raw_tap.hpp"

namespace codeyard::server {
namespace {

constexpr lws_usec_t kHelloTimeoutUs = 10LL * LWS_USEC_PER_SEC;
constexpr std::size_t kMaxCloseReason = 123;  // RFC 6455: 125 bytes with the code

// Terminals sit idle for hours and an events channel is silent while nothing changes, so a
// peer that vanished (a laptop closed, a NAT that forgot the flow) would hold its connection
// (and its shell viewer or subscription) forever: TCP keepalive probes after 60 s of
// silence, every 10 s, and the kernel drops the connection after 3 unanswered probes.
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

int64_t WsSession::age_ms() const { return NowMs() - opened_ms; }

void WsGlue::Bind(WorkerPool* pool, std::function<void()> wake) {
  pool_ = pool;
  wake_ = std::move(wake);
}

void WsGlue::Wake() const {
  if (wake_) wake_();
}

void WsGlue::Open(WsSession& s, lws* wsi) {
  s.wsi = wsi;
  s.opened_ms = NowMs();
  s.request_id = IncomingOrNewRequestId(wsi);
  lws_set_timer_usecs(wsi, kHelloTimeoutUs);
  EnableKeepalive(wsi);
  if (RawTap* tap = RawTap::OfThisThread()) tap->WatchFrames(lws_get_socket_fd(wsi));
}

void WsGlue::HelloDone(WsSession& s) {
  s.hello_done = true;
  lws_set_timer_usecs(s.wsi, LWS_SET_TIMER_USEC_CANCEL);
}

std::optional<std::string> WsGlue::Assemble(WsSession& s, const void* in, std::size_t len,
                                            std::size_t max, const WsClose& too_big) {
  if (lws_is_first_fragment(s.wsi) != 0) s.message.clear();
  if (s.message.size() + len > max) {
    s.message.clear();
    CloseWith(s, too_big);
    return std::nullopt;
  }
  s.message.append(static_cast<const char*>(in), len);
  if (lws_is_final_fragment(s.wsi) == 0 || lws_remaining_packet_payload(s.wsi) != 0) {
    return std::nullopt;
  }
  std::string message;
  message.swap(s.message);
  return message;
}

void WsGlue::CloseWith(WsSession& s, WsClose close) {
  if (s.close) return;
  s.close = std::move(close);
  lws_callback_on_writable(s.wsi);
}

int WsGlue::SocketFd(const WsSession& s) { return lws_get_socket_fd(s.wsi); }

int WsGlue::Write(WsSession& s, std::string_view message) {
  scratch_.resize(LWS_PRE + message.size());
  std::memcpy(scratch_.data() + LWS_PRE, message.data(), message.size());
  const int n = lws_write(s.wsi, scratch_.data() + LWS_PRE, message.size(),
                          frames_ == Frames::kText ? LWS_WRITE_TEXT : LWS_WRITE_BINARY);
  return n < static_cast<int>(message.size()) ? -1 : 0;
}

std::string WsGlue::SendClose(WsSession& s, const WsClose& close) {
  std::string reason(CutReason(close.reason));
  lws_close_reason(s.wsi, static_cast<lws_close_status>(close.code),
                   reinterpret_cast<unsigned char*>(reason.data()), reason.size());
  return reason;
}

Result<std::string> WsGlue::HelloToken(std::string_view message) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(message, ec);
  const boost::json::value* token =
      !ec && value.is_object() ? value.as_object().if_contains("token") : nullptr;
  if (token == nullptr || !token->is_string() || token->as_string().empty()) {
    return Fail(Error::Code::kUnauthenticated,
                "the first message must be the hello {\"token\":\"<access token>\"}");
  }
  return std::string(token->as_string());
}

}  // namespace codeyard::server
