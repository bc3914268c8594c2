#include "lws_events.hpp"

#include <libwebsockets.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <charconv>

#include "http_errors.hpp"
#include "lws_http.hpp"

namespace codeyard::server {
namespace {

constexpr std::size_t kMaxHello = std::size_t{64} << 10;
constexpr std::size_t kTakeBatch = 64;

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
  for (Done& d : done_.Take()) {
    if (d.sub) d.sub->Cancel();
  }
}

void EventSockets::Bind(WorkerPool* pool, std::function<void()> wake) {
  ws_.Bind(pool, std::move(wake));
}

uint64_t EventSockets::Open(lws* wsi) {
  const uint64_t id = next_id_++;
  Conn& c = conns_[id];
  const RequestLine line = ReadRequestLine(wsi);  // before the RawTap turns to frames
  WsGlue::Open(c, wsi);
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
  logger_->Info("events connected", {{"request_id", c.request_id}});
  return id;
}

void EventSockets::OnUnmaskedFrame(int fd) { WsGlue::CloseUnmasked(conns_, fd); }

int EventSockets::OnReceive(uint64_t id, const void* in, std::size_t len) {
  const auto it = conns_.find(id);
  if (it == conns_.end()) return -1;
  Conn& c = it->second;
  if (c.close || c.state != State::kHello) return 0;  // only the hello is read
  auto message = WsGlue::Assemble(c, in, len, kMaxHello,
                                  {events_ws::kCloseTooBig, "the hello is at most 64 KiB"});
  if (!message) return 0;
  return OnMessage(id, c, *message);
}

int EventSockets::OnMessage(uint64_t id, Conn& c, std::string_view message) {
  auto token = WsGlue::HelloToken(message);
  if (!token) {
    WsGlue::CloseWith(c, {events_ws::kCloseUnauthenticated, token.error().message()});
    return 0;
  }
  if (!c.after_error.empty()) {
    WsGlue::CloseWith(c, {events_ws::kClosePolicy, c.after_error});
    return 0;
  }
  WsGlue::HelloDone(c);
  c.state = State::kSubscribing;
  c.token = std::move(*token);
  // Verifying reads storage: a worker does it, and subscribes (which never waits).
  Submit(c, [this, id, token = c.token, after = c.after]() -> Done {
    auto claims = accounts_.VerifyAccessToken(token);
    if (!claims)
      return {id, nullptr, "", WsClose{events_ws::kCloseUnauthenticated, claims.error().message()}};
    auto sub = events_.Subscribe(claims->user_id, after, [this, id] {
      ready_.Post(id);
      ws_.Wake();
    });
    if (!sub) return {id, nullptr, "", WsClose{events_ws::kCloseTryAgain, sub.error().message()}};
    return {id, std::move(*sub), claims->user_id, std::nullopt};
  });
  return 0;
}

void EventSockets::Submit(Conn& c, std::function<Done()> job) {
  if (ws_.Submit(done_, std::move(job))) return;
  if (c.state == State::kSubscribed) {
    c.reauth_pending = false;  // busy: the next timer tries again
    return;
  }
  WsGlue::CloseWith(c, {events_ws::kCloseTryAgain, "the server is busy; retry later"});
}

void EventSockets::OnWake(bool stopping) {
  for (Done& d : done_.Take()) {
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
        WsGlue::CloseWith(c, std::move(*d.close));
      }
      continue;
    }
    if (d.close) {
      WsGlue::CloseWith(c, std::move(*d.close));
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
  for (const uint64_t id : ready_.Take()) {
    const auto it = conns_.find(id);
    if (it != conns_.end()) lws_callback_on_writable(it->second.wsi);
  }
  if (stopping) {
    for (auto& [id, c] : conns_)
      WsGlue::CloseWith(c, {events_ws::kCloseGoingAway, "the server is shutting down"});
  }
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
    if (ws_.Write(c, message) != 0) return -1;
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

int EventSockets::SendClose(Conn& c, const WsClose& close) {
  const std::string reason = WsGlue::SendClose(c, close);
  logger_->Info("events closing", {{"request_id", c.request_id},
                                   {"code", static_cast<int>(close.code)},
                                   {"reason", ValidUtf8(reason)}});
  return -1;
}

int EventSockets::OnTimer(uint64_t id) {
  const auto it = conns_.find(id);
  if (it == conns_.end()) return 0;
  Conn& c = it->second;
  if (c.state == State::kHello) {
    WsGlue::CloseWith(c, {events_ws::kCloseUnauthenticated, "no hello within 10 s"});
    return 0;
  }
  if (c.state != State::kSubscribed || c.close) return 0;
  lws_set_timer_usecs(c.wsi, static_cast<lws_usec_t>(reauth_interval_.count()) * LWS_USEC_PER_SEC);
  if (c.reauth_pending) return 0;
  c.reauth_pending = true;
  // The same check as the hello's: logout, a password change, a disabled or deleted user
  // or expiry end the subscription.
  Submit(c, [this, id, token = c.token, user = c.user_id]() -> Done {
    Done d{id, nullptr, "", std::nullopt, true};
    auto claims = accounts_.VerifyAccessToken(token);
    if (!claims || claims->user_id != user) {
      d.close = WsClose{events_ws::kCloseUnauthenticated,
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
  logger_->Info("events disconnected", {{"request_id", c.request_id}, {"duration_ms", c.age_ms()}});
  conns_.erase(it);
}

}  // namespace codeyard::server
