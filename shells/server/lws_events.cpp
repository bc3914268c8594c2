#include "lws_events.hpp"

#include <libwebsockets.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <utility>

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
    : LwsWebSocketOf({"events",
                      WsGlue::Frames::kText,
                      kMaxHello,
                      {events_ws::kCloseTooBig, "the hello is at most 64 KiB"}},
                     std::move(logger)),
      events_(events),
      accounts_(accounts),
      reauth_interval_(reauth_interval) {
  link_->sockets = this;
  events_.Observe([link = std::weak_ptr<ObserverLink>(link_)](const Event& e) {
    if (e.type != kEventLoginsEnded) return;
    const auto held = link.lock();
    if (!held) return;
    std::lock_guard lock(held->mu);
    if (held->sockets == nullptr) return;
    held->sockets->logins_ended_.Post(e.owner_id);
    held->sockets->ws().Wake();
  });
}

EventSockets::~EventSockets() {
  {
    std::lock_guard lock(link_->mu);
    link_->sockets = nullptr;
  }
  for (auto& [id, c] : conns()) {
    if (c.sub) c.sub->Cancel();
  }
  for (Done& d : done_.Take()) {
    if (d.sub) d.sub->Cancel();
  }
}

void EventSockets::Opened(uint64_t /*id*/, EventsConn& c, const RequestLine& line) {
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
  logger().Info("events connected", {{"request_id", c.request_id}});
}

void EventSockets::OnMessage(uint64_t id, EventsConn& c, std::string message) {
  auto token = WsGlue::HelloToken(message);
  if (!token) {
    WsGlue::CloseWith(c, {events_ws::kCloseUnauthenticated, token.error().message()});
    return;
  }
  if (!c.after_error.empty()) {
    WsGlue::CloseWith(c, {events_ws::kClosePolicy, c.after_error});
    return;
  }
  WsGlue::HelloDone(c);
  c.state = EventsState::kSubscribing;
  c.token = std::move(*token);
  // Verifying reads storage: a worker does it, and subscribes (which never waits).
  Submit(c, [this, id, token = c.token, after = c.after]() -> Done {
    auto claims = accounts_.VerifyAccessToken(token);
    if (!claims)
      return {id, nullptr, "", WsClose{events_ws::kCloseUnauthenticated, claims.error().message()}};
    auto sub = events_.Subscribe(claims->user_id, after, [this, id] {
      ready_.Post(id);
      ws().Wake();
    });
    if (!sub) return {id, nullptr, "", WsClose{events_ws::kCloseTryAgain, sub.error().message()}};
    return {id, std::move(*sub), claims->user_id, std::nullopt};
  });
}

void EventSockets::Submit(EventsConn& c, std::function<Done()> job) {
  if (ws().Submit(done_, std::move(job))) return;
  if (c.state == EventsState::kSubscribed) {
    c.reauth_pending = false;  // busy: the next timer tries again
    return;
  }
  WsGlue::CloseWith(c, {events_ws::kCloseTryAgain, "the server is busy; retry later"});
}

void EventSockets::OnWake(bool stopping) {
  for (Done& d : done_.Take()) {
    EventsConn* found = Find(d.id);
    if (found == nullptr) {
      if (d.sub) d.sub->Cancel();  // closed while subscribing
      continue;
    }
    EventsConn& c = *found;
    if (d.reauth) {
      c.reauth_pending = false;
      if (d.close) {
        logger().Info("events closed: token no longer valid", {{"request_id", c.request_id}});
        WsGlue::CloseWith(c, std::move(*d.close));
      } else if (std::exchange(c.recheck_again, false)) {
        Recheck(d.id, c);  // that check may have read the login before it ended
      }
      continue;
    }
    if (d.close) {
      WsGlue::CloseWith(c, std::move(*d.close));
      continue;
    }
    c.sub = std::move(d.sub);
    c.user_id = std::move(d.user_id);
    c.state = EventsState::kSubscribed;
    c.out.push_back("{\"type\":\"ready\",\"id\":" + std::to_string(c.sub->start_id()) + "}");
    lws_set_timer_usecs(c.wsi,
                        static_cast<lws_usec_t>(reauth_interval_.count()) * LWS_USEC_PER_SEC);
    lws_callback_on_writable(c.wsi);
  }
  for (const uint64_t id : ready_.Take()) Writable(id);
  for (const std::string& user : logins_ended_.Take()) {
    for (auto& [id, c] : conns()) {
      if (c.state == EventsState::kSubscribed && !c.close && c.user_id == user) Recheck(id, c);
    }
  }
  if (stopping) CloseAll({events_ws::kCloseGoingAway, "the server is shutting down"});
}

WsNext EventSockets::After(uint64_t /*id*/, EventsConn& c, bool* more) {
  if (c.out.empty() && c.sub) {
    for (Event& e : c.sub->Take(kTakeBatch)) c.out.push_back(EventJson(e));
  }
  if (!c.out.empty()) {
    std::string message = std::move(c.out.front());
    c.out.pop_front();
    *more = true;  // more queued, or to find the queue empty
    return message;
  }
  if (c.sub) {
    if (auto closed = c.sub->closed()) return WsClose{CloseCodeFor(*closed), closed->message()};
  }
  return {};
}

void EventSockets::Timer(uint64_t id, EventsConn& c) {
  if (c.state != EventsState::kSubscribed || c.close) return;
  lws_set_timer_usecs(c.wsi, static_cast<lws_usec_t>(reauth_interval_.count()) * LWS_USEC_PER_SEC);
  Recheck(id, c);
}

void EventSockets::Recheck(uint64_t id, EventsConn& c) {
  if (c.reauth_pending) {
    c.recheck_again = true;
    return;
  }
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
}

void EventSockets::Closed(uint64_t /*id*/, EventsConn& c) {
  if (c.sub) c.sub->Cancel();
}

}  // namespace codeyard::server
