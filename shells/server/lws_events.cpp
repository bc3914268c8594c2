#include "lws_events.hpp"

#include <libwebsockets.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <cstring>

#include "http_errors.hpp"
#include "lws_http.hpp"
#include "lws_raw_tap.hpp"

namespace codeyard::server {
namespace {

constexpr lws_usec_t kHelloTimeoutUs = 10LL * LWS_USEC_PER_SEC;
constexpr std::size_t kMaxHello = std::size_t{64} << 10;
constexpr std::size_t kMaxCloseReason = 123;  // RFC 6455: 125 bytes with the code
constexpr std::size_t kTakeBatch = 64;

// An events channel is silent for as long as nothing changes, like a terminal: TCP keepalive
// (probes after 60 s of silence, every 10 s, 3 unanswered drop it) frees the connection and its
// subscription when the peer vanished without closing.
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

std::string_view CutReason(std::string_view reason) {
  if (reason.size() <= kMaxCloseReason) return reason;
  std::size_t n = kMaxCloseReason;
  while (n > 0 && (static_cast<unsigned char>(reason[n]) & 0xC0) == 0x80) --n;
  return reason.substr(0, n);
}

// The token of the hello {"token":"..."}; an error saying what is wrong otherwise.
Result<std::string> HelloToken(std::string_view message) {
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

// Why a subscription ended, as a close the client acts on.
uint16_t CloseCodeFor(const Error& error) {
  switch (error.code()) {
    case Error::Code::kResourceExhausted:
      return events_ws::kCloseFellBehind;
    case Error::Code::kNotFound:
      return events_ws::kCloseNotKept;
    case Error::Code::kUnavailable:
      return events_ws::kCloseGoingAway;
    default:
      return events_ws::kCloseInternal;
  }
}

}  // namespace

EventSockets::EventSockets(Events& events, Accounts& accounts, std::chrono::seconds reauth_interval,
                           std::shared_ptr<Logger> logger)
    : events_(events),
      accounts_(accounts),
      reauth_interval_(reauth_interval),
      logger_(logger ? std::move(logger) : NullLogger()) {}

EventSockets::~EventSockets() {
  for (auto& [id, c] : conns_) {
    if (c.sub) c.sub->Cancel();
  }
  std::lock_guard lock(mu_);
  for (Done& d : done_) {
    if (d.sub) d.sub->Cancel();
  }
}

void EventSockets::Bind(WorkerPool* pool, std::function<void()> wake) {
  pool_ = pool;
  wake_ = std::move(wake);
}

uint64_t EventSockets::Open(lws* wsi) {
  const uint64_t id = next_id_++;
  Conn& c = conns_[id];
  c.wsi = wsi;
  c.opened_ms = NowMs();
  c.request_id = IncomingOrNewRequestId(wsi);
  const RequestLine line = ReadRequestLine(wsi);
  for (const auto& [name, value] : line.query) {
    if (name != "after") continue;
    int64_t after = -1;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), after);
    if (ec != std::errc() || end != value.data() + value.size() || after < 0) {
      c.after_error = "after must be an event id (a non-negative integer)";
    } else {
      c.after = after;
    }
  }
  lws_set_timer_usecs(wsi, kHelloTimeoutUs);
  EnableKeepalive(wsi);
  if (RawTap* tap = RawTap::OfThisThread()) tap->WatchFrames(lws_get_socket_fd(wsi));
  logger_->Info("events connected", {{"request_id", c.request_id}});
  return id;
}

void EventSockets::OnUnmaskedFrame(int fd) {
  for (auto& [id, c] : conns_) {
    if (lws_get_socket_fd(c.wsi) == fd) {
      CloseWith(c, {1002, "client frames must be masked (RFC 6455)"});
      return;
    }
  }
}

int EventSockets::OnReceive(uint64_t id, const void* in, std::size_t len) {
  const auto it = conns_.find(id);
  if (it == conns_.end()) return -1;
  Conn& c = it->second;
  if (c.close || c.state != State::kHello) return 0;  // only the hello is read
  if (lws_is_first_fragment(c.wsi) != 0) c.message.clear();
  if (c.message.size() + len > kMaxHello) {
    c.message.clear();
    CloseWith(c, {events_ws::kCloseTooBig, "the hello is at most 64 KiB"});
    return 0;
  }
  c.message.append(static_cast<const char*>(in), len);
  if (lws_is_final_fragment(c.wsi) == 0 || lws_remaining_packet_payload(c.wsi) != 0) return 0;
  std::string message;
  message.swap(c.message);
  return OnMessage(id, c, std::move(message));
}

int EventSockets::OnMessage(uint64_t id, Conn& c, std::string message) {
  auto token = HelloToken(message);
  if (!token) {
    CloseWith(c, {events_ws::kCloseUnauthenticated, token.error().message()});
    return 0;
  }
  if (!c.after_error.empty()) {
    CloseWith(c, {events_ws::kClosePolicy, c.after_error});
    return 0;
  }
  lws_set_timer_usecs(c.wsi, LWS_SET_TIMER_USEC_CANCEL);
  c.state = State::kSubscribing;
  c.token = std::move(*token);
  // Verifying reads storage: a worker does it, and subscribes (which never waits).
  Submit(id, c, [this, id, token = c.token, after = c.after]() -> Done {
    auto claims = accounts_.VerifyAccessToken(token);
    if (!claims)
      return {id, nullptr, "", Close{events_ws::kCloseUnauthenticated, claims.error().message()}};
    auto sub = events_.Subscribe(claims->user_id, after, [this, id] {
      {
        std::lock_guard lock(mu_);
        ready_.push_back(id);
      }
      if (wake_) wake_();
    });
    if (!sub) return {id, nullptr, "", Close{events_ws::kCloseTryAgain, sub.error().message()}};
    return {id, std::move(*sub), claims->user_id, std::nullopt};
  });
  return 0;
}

void EventSockets::Submit(uint64_t id, Conn& c, std::function<Done()> job) {
  const bool queued =
      pool_ != nullptr && pool_->TrySubmit([this, job = std::move(job)] { Report(job()); });
  if (queued) return;
  if (c.state == State::kSubscribed) {
    c.reauth_pending = false;  // busy: the next timer tries again
    return;
  }
  (void)id;
  CloseWith(c, {events_ws::kCloseTryAgain, "the server is busy; retry later"});
}

void EventSockets::Report(Done done) {
  {
    std::lock_guard lock(mu_);
    done_.push_back(std::move(done));
  }
  if (wake_) wake_();
}

void EventSockets::OnWake(bool stopping) {
  std::vector<Done> done;
  std::vector<uint64_t> ready;
  {
    std::lock_guard lock(mu_);
    done.swap(done_);
    ready.swap(ready_);
  }
  for (Done& d : done) {
    const auto it = conns_.find(d.id);
    if (it == conns_.end()) {
      if (d.sub) d.sub->Cancel();  // closed while subscribing
      continue;
    }
    Conn& c = it->second;
    if (d.reauth) {
      c.reauth_pending = false;
      if (d.close) {
        logger_->Info("events closed: token no longer valid", {{"request_id", c.request_id}});
        CloseWith(c, std::move(*d.close));
      }
      continue;
    }
    if (d.close) {
      CloseWith(c, std::move(*d.close));
      continue;
    }
    c.sub = std::move(d.sub);
    c.user_id = std::move(d.user_id);
    c.state = State::kSubscribed;
    c.out.push_back("{\"type\":\"ready\",\"id\":" + std::to_string(c.sub->start_id()) + "}");
    lws_set_timer_usecs(c.wsi,
                        static_cast<lws_usec_t>(reauth_interval_.count()) * LWS_USEC_PER_SEC);
    lws_callback_on_writable(c.wsi);
  }
  for (const uint64_t id : ready) {
    const auto it = conns_.find(id);
    if (it != conns_.end()) lws_callback_on_writable(it->second.wsi);
  }
  if (stopping) {
    for (auto& [id, c] : conns_)
      CloseWith(c, {events_ws::kCloseGoingAway, "the server is shutting down"});
  }
}

void EventSockets::CloseWith(Conn& c, Close close) {
  if (c.close) return;
  c.close = std::move(close);
  lws_callback_on_writable(c.wsi);
}

int EventSockets::OnWriteable(uint64_t id) {
  const auto it = conns_.find(id);
  if (it == conns_.end()) return -1;
  Conn& c = it->second;
  if (c.close) return SendClose(c, *c.close);
  if (c.out.empty() && c.sub) {
    for (Event& e : c.sub->Take(kTakeBatch)) c.out.push_back(EventJson(e));
  }
  if (!c.out.empty()) {
    const std::string message = std::move(c.out.front());
    c.out.pop_front();
    if (Write(c, message) != 0) return -1;
    lws_callback_on_writable(c.wsi);  // more queued, or to find the queue empty
    return 0;
  }
  if (c.sub) {
    if (auto closed = c.sub->closed()) {
      return SendClose(c, {CloseCodeFor(*closed), closed->message()});
    }
  }
  return 0;
}

int EventSockets::Write(Conn& c, std::string_view message) {
  scratch_.resize(LWS_PRE + message.size());
  std::memcpy(scratch_.data() + LWS_PRE, message.data(), message.size());
  const int n = lws_write(c.wsi, scratch_.data() + LWS_PRE, message.size(), LWS_WRITE_TEXT);
  return n < static_cast<int>(message.size()) ? -1 : 0;
}

int EventSockets::SendClose(Conn& c, const Close& close) {
  std::string copy(CutReason(close.reason));
  lws_close_reason(c.wsi, static_cast<lws_close_status>(close.code),
                   reinterpret_cast<unsigned char*>(copy.data()), copy.size());
  logger_->Info("events closing", {{"request_id", c.request_id},
                                   {"code", static_cast<int>(close.code)},
                                   {"reason", ValidUtf8(copy)}});
  return -1;
}

int EventSockets::OnTimer(uint64_t id) {
  const auto it = conns_.find(id);
  if (it == conns_.end()) return 0;
  Conn& c = it->second;
  if (c.state == State::kHello) {
    CloseWith(c, {events_ws::kCloseUnauthenticated, "no hello within 10 s"});
    return 0;
  }
  if (c.state != State::kSubscribed || c.close) return 0;
  lws_set_timer_usecs(c.wsi, static_cast<lws_usec_t>(reauth_interval_.count()) * LWS_USEC_PER_SEC);
  if (c.reauth_pending) return 0;
  c.reauth_pending = true;
  // The same check as the hello's: logout, a password change, a disabled or deleted user
  // or expiry end the subscription.
  Submit(id, c, [this, id, token = c.token, user = c.user_id]() -> Done {
    Done d{id, nullptr, "", std::nullopt, true};
    auto claims = accounts_.VerifyAccessToken(token);
    if (!claims || claims->user_id != user) {
      d.close = Close{events_ws::kCloseUnauthenticated,
                      "session revoked or expired: reconnect with a fresh token"};
    }
    return d;
  });
  return 0;
}

void EventSockets::OnClosed(uint64_t id) {
  const auto it = conns_.find(id);
  if (it == conns_.end()) return;
  Conn& c = it->second;
  if (c.sub) c.sub->Cancel();
  logger_->Info("events disconnected",
                {{"request_id", c.request_id}, {"duration_ms", NowMs() - c.opened_ms}});
  conns_.erase(it);
}

}  // namespace codeyard::server
