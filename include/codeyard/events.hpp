// Changes pushed, not polled. Every change a page shows (a workspace's state or its
// deletion, a file created, changed, deleted or moved) is recorded in storage's events table
// in the transaction that makes it, whichever process or replica made it. An Events object tails
// that table with one poller thread per process and hands each event to the subscribers
// allowed to read it: today the workspace's owner; the audience is a function of the event
// (EventsOptions::may_read), so reviewers can be added without changing the service.
//
// A subscription starts either live (from the newest event the poller has read, whose id
// start_id() gives) or after a given event id (`after`): then the stored events after it
// come first, then the live ones, with no gap and no duplicate. Ids are unique but, on
// PostgreSQL, the delivery order is commit order, which is not always id order: resume with
// the id of the last event received, never with the largest one. While a long transaction
// on the PostgreSQL server holds the commit horizon back, events wait for it at most
// EventsOptions::horizon_wait; then they come out of id order, each still once, and a
// subscription `after` one of them is closed like one whose event is not kept (kNotFound):
// what the client had then depended on timing. A subscriber that lets more than
// EventsOptions::queue_limit events pile up is closed with a reason saying so (it
// reconnects with `after`); a subscription whose `after` event is no longer kept (pruned)
// is closed too (kNotFound: the client reloads what it shows and subscribes live).
//
// Threads: Events and EventSubscription are safe to use from any thread. Subscribe and the
// subscription's methods never touch storage and never wait for it, so they may be called
// from an event loop; the `wake` function given to Subscribe is called from the poller
// thread (it must not block, nor call back into Events).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/config.hpp"
#include "codeyard/error.hpp"
#include "codeyard/platform.hpp"

namespace codeyard {

// The event types the library writes.
inline constexpr std::string_view kEventWorkspaceState = "workspace.state";      // {"state"}
inline constexpr std::string_view kEventFileCreated = "file.created";            // {"path","kind"}
inline constexpr std::string_view kEventFileChanged = "file.changed";            // {"path"}
inline constexpr std::string_view kEventFileDeleted = "file.deleted";            // {"path"}
inline constexpr std::string_view kEventFileMoved = "file.moved";                // {"from","to"}
inline constexpr std::string_view kEventWorkspaceDeleted = "workspace.deleted";  // {"name"}
// org20: a login of user owner_id ended (logout, disabled, every login ended by an admin or a
// password change). workspace_id is empty; never sent to subscribers, only to observers
// (Events::Observe), so each replica re-checks its terminals and runs at once.
inline constexpr std::string_view kEventLoginsEnded = "user.logins_ended";

struct Event {
  int64_t id = 0;
  std::string type;  // one of the kEvent* names
  std::string workspace_id;
  std::string owner_id;  // the workspace's owner when the event was written
  int64_t at = 0;        // when the change was written, ms since the epoch
  std::string data;      // a JSON object with the type's own fields
  int64_t xact = 0;      // the writing transaction's place in commit order (store's cursor)
};

// The event as clients get it: one JSON object {"id","type","workspace_id","at",...} with
// the type's own fields after the common ones (owner_id and xact are not sent).
[[nodiscard]] std::string EventJson(const Event& event);

// Whether `user_id` may read `event`.
using EventAudience = std::function<bool(std::string_view user_id, const Event& event)>;

struct EventsOptions {
  // How often the poller reads new events (events.poll_interval_ms): the latency of an event
  // made on another replica, and one indexed query per interval per process.
  std::chrono::milliseconds poll_interval{250};
  // Events queued for one subscriber before it is closed as too slow (events.queue_limit).
  std::size_t queue_limit = 1000;
  // Events older than this are deleted (events.retention_s); a client away for longer
  // cannot resume with `after` and reloads instead.
  std::chrono::seconds retention{24 * 3600};
  // PostgreSQL only (events.horizon_wait_ms): how long a committed event waits for the
  // server-wide commit horizon before it is delivered without it. Any transaction left open
  // on the server (any database, any application) holds the horizon back; past this wait an
  // event goes out anyway, and one of an older transaction that commits later still comes,
  // once, after it. 0 delivers at once; a longer wait keeps id order longer in a stall.
  std::chrono::milliseconds horizon_wait{2000};
  // Who may read an event; empty: the workspace's owner only. Called on the poller thread
  // under the service's lock, once per subscriber and event: it must be quick and must not
  // read storage (keep what it needs, e.g. a workspace's reviewers, in memory).
  EventAudience may_read;
};

// The events.* keys of a Config.
[[nodiscard]] EventsOptions EventsOptionsFrom(const Config& config);

class EventSubscription {
 public:
  virtual ~EventSubscription() = default;
  // Up to `max` events, oldest first, removing them from the queue.
  [[nodiscard]] virtual std::vector<Event> Take(std::size_t max) = 0;
  // Set once the subscription has ended (fell behind, `after` no longer kept, the service
  // stopping); events queued before it can still be taken.
  [[nodiscard]] virtual std::optional<Error> closed() const = 0;
  // The id a client resumes from when it has received nothing yet: the `after` given, or
  // for a live subscription the newest event the poller had read (0 when none).
  [[nodiscard]] virtual int64_t start_id() const = 0;
  // Ends the subscription; no more wakes once it returns.
  virtual void Cancel() = 0;
};

class Events {
 public:
  explicit Events(std::shared_ptr<Platform> platform, EventsOptions options = {});
  Events(const Events&) = delete;
  Events& operator=(const Events&) = delete;
  ~Events();  // stops the poller; open subscriptions are closed

  // Finds where the table ends and starts the poller. Storage errors (kUnavailable).
  [[nodiscard]] Result<void> Start();
  // Stops the poller and closes every subscription (kUnavailable, "server stopping").
  void Stop();

  // Subscribes `user_id` to the events it may read, live or after the event `after`.
  // `wake` is called (poller thread) when events arrive or the subscription closes.
  // kFailedPrecondition when the service is not started or already stopped.
  [[nodiscard]] Result<std::shared_ptr<EventSubscription>> Subscribe(std::string user_id,
                                                                     std::optional<int64_t> after,
                                                                     std::function<void()> wake);

  // org20: `observer` sees every event once as the poller delivers it live (not the catch-up
  // of `after` subscriptions), on the poller thread, outside the service's lock; it must not
  // block nor call back into Events. Events about a user (empty workspace_id) reach only
  // observers. Any time; an observer stays until the service stops.
  void Observe(std::function<void(const Event&)> observer);

  // Subscriptions open now, and events delivered in all (for metrics).
  [[nodiscard]] std::size_t subscribers() const;
  [[nodiscard]] int64_t delivered() const;
  // Events the poller delivered without PostgreSQL's commit horizon, after horizon_wait.
  [[nodiscard]] int64_t horizon_fallbacks() const;

 private:
  class Impl;
  std::shared_ptr<Platform> platform_;  // before impl_, whose poller uses it until stopped
  std::unique_ptr<Impl> impl_;
};

}  // namespace codeyard
