// The events WebSocket's side of libwebsockets: the connections to /api/v1/events, from the
// upgrade to the close, over the glue it shares with lws_terminal (lws_ws_session). The first
// client message is the hello, {"token":"<access token>"} (within 10 s); a worker verifies the
// token and subscribes to codeyard::Events (from ?after=<event id> when given); then every event is
// one text message (EventJson), after a first {"type":"ready","id":N} saying the subscription is
// live and where to resume from if nothing else arrives. Messages after the hello are ignored. The
// token is verified again every reauth interval (on a worker); once refused the connection
// is closed with 4001 and the page reconnects with a fresh token and `after`.
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
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "codeyard/accounts.hpp"
#include "codeyard/events.hpp"
#include "codeyard/log.hpp"
#include "lws_ws_session.hpp"
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

class EventSockets {
 public:
  EventSockets(Events& events, Accounts& accounts, std::chrono::seconds reauth_interval,
               std::shared_ptr<Logger> logger);
  ~EventSockets();  // cancels every subscription: no wake comes after it

  // Before serving: where token checks run, and how another thread wakes the service thread.
  void Bind(WorkerPool* pool, std::function<void()> wake);

  [[nodiscard]] static bool IsEventsPath(std::string_view path) { return path == events_ws::kPath; }

  // LWS_CALLBACK_ESTABLISHED on the events path: registers the connection (reads ?after).
  [[nodiscard]] uint64_t Open(lws* wsi);
  [[nodiscard]] int OnReceive(uint64_t id, const void* in, std::size_t len);
  [[nodiscard]] int OnWriteable(uint64_t id);
  [[nodiscard]] int OnTimer(uint64_t id);
  void OnClosed(uint64_t id);
  // LWS_CALLBACK_EVENT_WAIT_CANCELLED: finished token checks and subscriptions with events.
  // `stopping`: every connection is closed with 1001.
  void OnWake(bool stopping);
  // A client frame that was not masked (the RawTap saw it on `fd`): closed with 1002.
  void OnUnmaskedFrame(int fd);

  [[nodiscard]] std::size_t open() const { return conns_.size(); }

 private:
  enum class State { kHello, kSubscribing, kSubscribed };
  struct Conn : WsSession {
    State state = State::kHello;
    std::optional<int64_t> after;
    std::string after_error;  // a ?after that is not an event id
    std::string token;
    std::string user_id;
    std::shared_ptr<EventSubscription> sub;
    std::deque<std::string> out;  // messages taken, waiting for WRITEABLE
    bool reauth_pending = false;
  };
  // What a worker found (any thread -> service thread).
  struct Done {
    uint64_t id;
    std::shared_ptr<EventSubscription> sub;  // set when subscribed
    std::string user_id;
    std::optional<WsClose> close;
    bool reauth = false;  // a re-check's verdict rather than a subscription
  };

  int OnMessage(uint64_t id, Conn& c, std::string_view message);
  void Submit(Conn& c, std::function<Done()> job);
  int SendClose(Conn& c, const WsClose& close);

  Events& events_;
  Accounts& accounts_;
  const std::chrono::seconds reauth_interval_;
  std::shared_ptr<Logger> logger_;
  WsGlue ws_{WsGlue::Frames::kText};

  std::unordered_map<uint64_t, Conn> conns_;
  uint64_t next_id_ = 1;

  WsInbox<Done> done_;       // from workers
  WsInbox<uint64_t> ready_;  // from the events poller: subscriptions with events
};

}  // namespace codeyard::server
