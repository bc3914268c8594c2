// The events WebSocket's side of libwebsockets: the connections to /api/v1/events, from the
// upgrade to the close, on the sockets' base (lws_websocket). The first
// client message is the hello, {"token":"<access token>"} (within 10 s); a worker verifies the
// token and subscribes to codeyard::Events (from ?after=<event id> when given); then every event is
// one text message (EventJson), after a first {"type":"ready","id":N} saying the subscription is
// live and where to resume from if nothing else arrives. Messages after the hello are ignored. The
// token is verified again every reauth interval (on a worker); once refused the connection
// is closed with 4001 and the page reconnects with a fresh token and `after`. meter20: a
// `user.logins_ended` event (a logout, a disabled user, a forced logout, on any replica) re-checks
// that user's connections at once, as Terminals and RunSessions do.
//
// Close codes (docs/api.md, "Events"): 1001 server stopping, 1008 a bad ?after, 1009 a hello
// over 64 KiB, 1013 busy, 4001 no/bad/expired token, 4008 fell behind (reconnect with the
// `after` in the reason), 4010 the `after` event is no longer kept (reload, then subscribe
// without `after`).
//
// Service thread only, except where noted: worker jobs and the events poller report back
// through mutex-guarded queues and the wake function, never touching a connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "codeyard/accounts.hpp"
#include "codeyard/events.hpp"
#include "codeyard/log.hpp"
#include "lws_websocket.hpp"
#include "worker_pool.hpp"

struct lws;

namespace codeyard::server {

namespace events_ws {
inline constexpr uint16_t kCloseGoingAway = 1001;
inline constexpr uint16_t kClosePolicy = 1008;
inline constexpr uint16_t kCloseTooBig = 1009;
inline constexpr uint16_t kCloseInternal = 1011;
inline constexpr uint16_t kCloseTryAgain = 1013;
inline constexpr uint16_t kCloseUnauthenticated = 4001;
inline constexpr uint16_t kCloseFellBehind = 4008;
inline constexpr uint16_t kCloseNotKept = 4010;
inline constexpr std::string_view kPath = "/api/v1/events";
}  // namespace events_ws

enum class EventsState { kHello, kSubscribing, kSubscribed };
struct EventsConn : WsSession {
  EventsState state = EventsState::kHello;
  std::optional<int64_t> after;
  std::string after_error;  // a ?after that is not an event id
  std::string token;
  std::string user_id;
  std::shared_ptr<EventSubscription> sub;
  std::deque<std::string> out;  // messages taken, waiting for WRITEABLE
  bool reauth_pending = false;
  bool recheck_again = false;  // logins ended while a check ran: check once more after it
};

class EventSockets final : public LwsWebSocketOf<EventsConn> {
 public:
  EventSockets(Events& events, Accounts& accounts, std::chrono::seconds reauth_interval,
               std::shared_ptr<Logger> logger);
  ~EventSockets() override;  // cancels every subscription: no wake comes after it

  [[nodiscard]] static bool IsEventsPath(std::string_view path) { return path == events_ws::kPath; }
  [[nodiscard]] bool Serves(std::string_view path) const override { return IsEventsPath(path); }

  // Finished token checks and subscriptions with events. `stopping`: every connection is
  // closed with 1001.
  void OnWake(bool stopping) override;

 private:
  // What a worker found (any thread -> service thread).
  struct Done {
    uint64_t id;
    std::shared_ptr<EventSubscription> sub;  // set when subscribed
    std::string user_id;
    std::optional<WsClose> close;
    bool reauth = false;  // a re-check's verdict rather than a subscription
  };

  void Opened(uint64_t id, EventsConn& c, const RequestLine& line) override;  // reads ?after
  void OnMessage(uint64_t id, EventsConn& c, std::string message) override;
  // Only the hello is read.
  [[nodiscard]] bool Reads(const EventsConn& c) const override {
    return c.state == EventsState::kHello;
  }
  WsNext After(uint64_t id, EventsConn& c, bool* more) override;
  void Timer(uint64_t id, EventsConn& c) override;  // the reauth interval
  void Closed(uint64_t id, EventsConn& c) override;

  void Submit(EventsConn& c, std::function<Done()> job);
  // Verifies the connection's token again on a worker (the timer's and logins_ended's check).
  void Recheck(uint64_t id, EventsConn& c);

  // The Events observer outlives these sockets (it stays until the service stops): it
  // reaches them through this link, which the destructor cuts.
  struct ObserverLink {
    std::mutex mu;
    EventSockets* sockets = nullptr;  // guarded by mu
  };

  Events& events_;
  Accounts& accounts_;
  const std::chrono::seconds reauth_interval_;

  WsInbox<Done> done_;                 // from workers
  WsInbox<uint64_t> ready_;            // from the events poller: subscriptions with events
  WsInbox<std::string> logins_ended_;  // from the events poller: users whose logins ended
  std::shared_ptr<ObserverLink> link_ = std::make_shared<ObserverLink>();
};

}  // namespace codeyard::server
