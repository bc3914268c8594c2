// codeyard::Events: one poller thread tails the events table and fans out to subscribers.
// The poller alone reads storage and alone moves `tail_` (the position up to which live
// subscribers have been served), under `mu_` together with the fan-out, so a subscription
// registered live at `tail_` gets exactly the events after it. A subscription with `after`
// catches up from storage in the poller, up to `tail_`, and only then turns live: the stored
// and the live events meet at `tail_`, without a gap or a duplicate.
//
// On PostgreSQL `tail_` moves only below the commit horizon, which any long transaction on
// the server holds back. The horizon fallback (EventsOptions::horizon_wait) delivers a
// committed event above it once this poller has seen it for that long. The cursor is then a
// set: everything up to `tail_`, and in (`tail_`, `seen_`] everything except the events still
// `waiting_` and those of the `pending_` transactions (running at the last read, so they may
// yet commit below `seen_`). docs/architecture.md, "Events", has the argument.
#include "codeyard/events.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "core/events/notify.hpp"
#include "core/json_text.hpp"
#include "core/store/events.hpp"
#include "core/store/transact.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

using store::events::Position;

constexpr int64_t kPage = 500;
constexpr std::chrono::seconds kPruneEvery{60};

bool Before(const Position& a, const Position& b) {
  return a.xact < b.xact || (a.xact == b.xact && a.id < b.id);
}

struct PositionLess {
  bool operator()(const Position& a, const Position& b) const { return Before(a, b); }
};

class Subscription final : public EventSubscription {
 public:
  Subscription(std::string user, int64_t start, std::function<void()> wake)
      : user_id(std::move(user)), start_(start), last_taken_(start), wake_(std::move(wake)) {}

  std::vector<Event> Take(std::size_t max) override {
    std::lock_guard lock(mu_);
    std::vector<Event> out;
    while (!queue_.empty() && out.size() < max) {
      out.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    if (!out.empty()) last_taken_ = out.back().id;
    return out;
  }

  std::optional<Error> closed() const override {
    std::lock_guard lock(mu_);
    return closed_;
  }

  int64_t start_id() const override { return start_; }

  void Cancel() override {
    {
      std::lock_guard lock(mu_);
      cancelled_ = true;
      queue_.clear();
    }
    std::lock_guard lock(wake_mu_);
    wake_ = nullptr;
  }

  // ---- the poller's side ----
  bool cancelled() const {
    std::lock_guard lock(mu_);
    return cancelled_;
  }

  std::size_t room(std::size_t limit) const {
    std::lock_guard lock(mu_);
    return queue_.size() >= limit ? 0 : limit - queue_.size();
  }

  // Queues the events the user may read, in order; closes the subscription when that would
  // pass `limit`. Returns whether anything changed for the consumer.
  bool Deliver(const std::vector<const Event*>& events, std::size_t limit) {
    std::lock_guard lock(mu_);
    if (closed_ || cancelled_) return false;
    for (const Event* e : events) {
      if (queue_.size() >= limit) {
        closed_ = Error(Error::Code::kResourceExhausted,
                        "events: fell behind by " + std::to_string(limit) +
                            " events; reconnect with ?after=" + std::to_string(last_taken_));
        return true;
      }
      queue_.push_back(*e);
    }
    return !events.empty();
  }

  void Close(Error why) {
    std::lock_guard lock(mu_);
    if (!closed_) closed_ = std::move(why);
  }

  void Wake() {
    std::lock_guard lock(wake_mu_);
    if (wake_) wake_();
  }

  const std::string user_id;
  // Poller thread only: where this subscription stands, and what it still has to do.
  Position pos;
  std::optional<int64_t> unresolved_after;
  bool live = false;  // written under Impl::mu_

 private:
  const int64_t start_;
  mutable std::mutex mu_;
  std::deque<Event> queue_;
  std::optional<Error> closed_;
  bool cancelled_ = false;
  int64_t last_taken_;
  std::mutex wake_mu_;
  std::function<void()> wake_;
};

}  // namespace

std::string EventJson(const Event& event) {
  std::string out = "{\"id\":" + std::to_string(event.id) + ",\"type\":";
  AppendJsonString(out, event.type);
  out += ",\"workspace_id\":";
  AppendJsonString(out, event.workspace_id);
  out += ",\"at\":" + std::to_string(event.at);
  // data is a JSON object the library wrote: its members follow the common ones.
  const std::string_view data = event.data;
  if (data.size() > 2 && data.front() == '{' && data.back() == '}') {
    out += ',';
    out += data.substr(1);
  } else {
    out += '}';
  }
  return out;
}

EventsOptions EventsOptionsFrom(const Config& config) {
  EventsOptions options;
  options.poll_interval = std::chrono::milliseconds(config.events_poll_interval_ms);
  options.queue_limit = static_cast<std::size_t>(config.events_queue_limit);
  options.retention = std::chrono::seconds(config.events_retention_s);
  options.horizon_wait = std::chrono::milliseconds(config.events_horizon_wait_ms);
  return options;
}

class Events::Impl {
 public:
  Impl(Platform& platform, EventsOptions options)
      : platform_(platform),
        options_(std::move(options)),
        concurrent_writers_(platform.storage().Info().backend == "postgres") {
    if (!options_.may_read) {
      options_.may_read = [](std::string_view user_id, const Event& e) {
        return e.owner_id == user_id;
      };
    }
    // org20: events about a user (no workspace) are the library's own signals: observers only.
    options_.may_read = [inner = std::move(options_.may_read)](std::string_view user_id,
                                                               const Event& e) {
      return !e.workspace_id.empty() && inner(user_id, e);
    };
  }

  void Observe(std::function<void(const Event&)> observer) {
    std::lock_guard lock(mu_);
    observers_.push_back(std::move(observer));
  }

  ~Impl() { Stop(); }

  Result<void> Start() {
    CY_TRY(const Position tail,
           store::Transact(
               platform_.storage(), TxKind::kRead, [&](Transaction& tx) -> Result<Position> {
                 CY_TRY(const auto horizon, store::events::Horizon(tx, concurrent_writers_));
                 return store::events::Tail(tx, horizon);
               }));
    // Registered before mu_ is taken: a committing thread calls Kick (which takes mu_) under
    // the listeners' lock, so this file never calls Listen or Unlisten under mu_.
    const uint64_t id = events::Listen([this] { Kick(); });
    bool first = false;
    {
      std::lock_guard lock(mu_);
      if (!started_ && !stopped_) {
        first = true;
        tail_ = tail;
        started_ = true;
        listener_ = id;
        thread_ = std::thread([this] { Loop(); });
      }
    }
    if (!first) events::Unlisten(id);
    return {};
  }

  void Stop() {
    if (const uint64_t id = listener_.exchange(0); id != 0) events::Unlisten(id);  // not under mu_
    std::vector<std::shared_ptr<Subscription>> subs;
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      stopped_ = true;
      subs.swap(subs_);
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    for (const auto& s : subs) {
      s->Close(Error(Error::Code::kUnavailable, "events: the server is stopping"));
      s->Wake();
    }
  }

  Result<std::shared_ptr<EventSubscription>> Subscribe(std::string user_id,
                                                       std::optional<int64_t> after,
                                                       std::function<void()> wake) {
    std::lock_guard lock(mu_);
    if (!started_ || stopped_) {
      return Fail(Error::Code::kFailedPrecondition, "events: the service is not running");
    }
    auto sub = std::make_shared<Subscription>(std::move(user_id), after ? *after : tail_.id,
                                              std::move(wake));
    if (after) {
      sub->unresolved_after = after;  // the poller looks it up: this call never waits
      kicked_ = true;
      cv_.notify_all();
    } else {
      sub->pos = tail_;
      sub->live = true;
    }
    subs_.push_back(sub);
    return std::shared_ptr<EventSubscription>(sub);
  }

  std::size_t subscribers() const {
    std::lock_guard lock(mu_);
    return subs_.size();
  }

  int64_t delivered() const { return delivered_.load(); }
  int64_t horizon_fallbacks() const { return fallbacks_.load(); }

 private:
  // A transaction of this process that wrote events committed: read now.
  void Kick() {
    {
      std::lock_guard lock(mu_);
      kicked_ = true;
    }
    cv_.notify_all();
  }

  // Until the next poll, or sooner when an event waiting for the horizon is due.
  std::chrono::steady_clock::duration NextWait() const {
    std::chrono::steady_clock::duration wait = options_.poll_interval;
    if (waiting_.empty()) return wait;
    const auto now = std::chrono::steady_clock::now();
    for (const auto& [pos, w] : waiting_) {
      const auto due = w.since + options_.horizon_wait - now;
      wait = std::min(wait, std::max<std::chrono::steady_clock::duration>(due, {}));
    }
    return wait;
  }

  void Loop() {
    auto next_prune = std::chrono::steady_clock::now();
    std::unique_lock lock(mu_);
    while (!stopped_) {
      cv_.wait_for(lock, NextWait(), [&] { return stopped_ || kicked_; });
      if (stopped_) break;
      kicked_ = false;
      lock.unlock();
      if (auto r = PollLive(); !r) Warn("events: reading new events failed", r.error());
      CatchUp();
      if (std::chrono::steady_clock::now() >= next_prune) {
        next_prune = std::chrono::steady_clock::now() + kPruneEvery;
        Prune();
      }
      lock.lock();
    }
  }

  void Warn(std::string_view what, const Error& error) {
    platform_.logger().Warn(what, {{"error", error.ToString()}});
  }

  struct Read {
    std::optional<int64_t> horizon;
    std::vector<Event> below;      // below the horizon, after tail_
    std::vector<Event> late;       // of pending_ transactions that committed above the horizon
    std::vector<Event> fresh;      // above the horizon, after seen_
    std::vector<int64_t> running;  // the snapshot's running transactions
  };

  // Reads what committed after tail_ and hands it to the live subscribers: what the horizon
  // passed, then what waited horizon_wait above it. The cursor (top of this file):
  // everything at or before tail_ went out; in (tail_, seen_], every event went out except
  // those in waiting_ and those of the pending_ transactions (running when last read).
  Result<void> PollLive() {
    for (;;) {
      CY_TRY(Read read, store::Transact(platform_.storage(), TxKind::kRead,
                                        [&](Transaction& tx) { return ReadTick(tx); }));
      const bool full = static_cast<int64_t>(read.below.size()) == kPage;
      const Position tail =
          read.below.empty() ? tail_ : store::events::PositionOfEvent(read.below.back());
      // In (tail_, seen_], only what waited or was pending is new: the rest went out early.
      std::erase_if(read.below, [&](const Event& e) {
        const Position p = store::events::PositionOfEvent(e);
        return !Before(seen_, p) && !waiting_.contains(p) && !pending_.contains(e.xact);
      });
      waiting_.erase(waiting_.begin(), waiting_.upper_bound(tail));
      std::vector<Event> due;
      if (read.horizon && !full) {
        const auto now = std::chrono::steady_clock::now();
        for (auto* list : {&read.late, &read.fresh}) {
          for (Event& e : *list) {
            waiting_.try_emplace(store::events::PositionOfEvent(e), Waiting{now, std::move(e)});
          }
        }
        if (!read.fresh.empty()) seen_ = store::events::PositionOfEvent(read.fresh.back());
        if (Before(seen_, tail)) seen_ = tail;
        pending_.clear();
        for (const int64_t x : read.running) {
          if (x > tail.xact && x <= seen_.xact) pending_.insert(x);
        }
        due = Due(*read.horizon, now);
        NoteStall(read.horizon, due.size());  // the warning comes before what it explains
      } else if (Before(seen_, tail)) {
        seen_ = tail;
      }

      if (!read.below.empty() || !due.empty() || !(tail == tail_)) {
        std::vector<std::shared_ptr<Subscription>> woken;
        std::vector<std::function<void(const Event&)>> observers;
        {
          std::lock_guard lock(mu_);
          std::erase_if(subs_, [](const auto& s) { return s->cancelled(); });
          for (const auto& s : subs_) {
            if (!s->live) continue;
            bool woke = Serve(*s, read.below, std::nullopt);
            if (Before(s->pos, tail)) s->pos = tail;  // the rest up to tail went out early
            woke = ServeEarly(*s, due) || woke;
            if (woke) woken.push_back(s);
          }
          tail_ = tail;
          observers = observers_;
        }
        for (const auto& s : woken) s->Wake();
        for (const auto& observe : observers) {
          for (const Event& e : read.below) observe(e);
          for (const Event& e : due) observe(e);
        }
      }
      if (!full) return {};
    }
  }

  // One snapshot: the horizon, what is below it after tail_, and (unless that filled a page)
  // what committed above it: events of pending_ transactions, and those after seen_.
  Result<Read> ReadTick(Transaction& tx) {
    Read r;
    CY_TRY(r.horizon, store::events::Horizon(tx, concurrent_writers_));
    CY_TRY(r.below, store::events::ReadAfter(tx, tail_, r.horizon, kPage));
    if (!r.horizon || static_cast<int64_t>(r.below.size()) == kPage) return r;
    const Position tail = r.below.empty() ? tail_ : store::events::PositionOfEvent(r.below.back());
    const std::vector<int64_t> pending(pending_.begin(), pending_.end());
    CY_TRY(r.late, store::events::ReadOf(tx, pending, tail, *r.horizon));
    CY_TRY(r.fresh,
           store::events::ReadBeyond(tx, Before(seen_, tail) ? tail : seen_, *r.horizon, kPage));
    // Pending transactions lie between tail and the last event seen above the horizon: none
    // when nothing is seen above it (the common case costs no query).
    const Position seen = r.fresh.empty() ? (Before(seen_, tail) ? tail : seen_)
                                          : store::events::PositionOfEvent(r.fresh.back());
    if (seen.xact > tail.xact) {
      CY_TRY(r.running, store::events::Running(tx));
    }
    return r;
  }

  // The waiting events seen horizon_wait ago or more, in order, once their stall range is
  // recorded (for resumes on any replica: see store::events::RecordStall); they leave
  // waiting_. If the record fails they wait on.
  std::vector<Event> Due(int64_t horizon, std::chrono::steady_clock::time_point now) {
    std::vector<Event> due;
    int64_t hi = horizon;
    for (const auto& [p, w] : waiting_) {
      if (now - w.since < options_.horizon_wait) continue;
      due.push_back(w.event);
      hi = std::max(hi, p.xact);
    }
    if (due.empty()) return due;
    auto recorded = store::Transact(platform_.storage(), TxKind::kWrite, [&](Transaction& tx) {
      return store::events::RecordStall(tx, horizon, hi, platform_.clock().NowMillis());
    });
    if (!recorded) {
      Warn("events: recording a horizon stall failed; its events wait", recorded.error());
      return {};
    }
    for (const Event& e : due) waiting_.erase(store::events::PositionOfEvent(e));
    fallbacks_.fetch_add(static_cast<int64_t>(due.size()));
    return due;
  }

  // One warning when the fallback starts delivering, one line when the horizon caught up.
  void NoteStall(std::optional<int64_t> horizon, std::size_t delivered_early) {
    if (delivered_early > 0 && !stalled_) {
      stalled_ = true;
      platform_.logger().Warn(
          "events: a long transaction on the PostgreSQL server holds the commit horizon back; "
          "delivering committed events after events.horizon_wait_ms without it",
          {{"horizon_xid", std::to_string(horizon.value_or(0))},
           {"horizon_wait_ms", std::to_string(options_.horizon_wait.count())}});
    } else if (stalled_ && waiting_.empty() && horizon && seen_.xact < *horizon) {
      stalled_ = false;
      platform_.logger().Info("events: the commit horizon caught up",
                              {{"fallbacks_total", std::to_string(fallbacks_.load())}});
    }
  }

  // Queues to `s` the early events after its position (which they do not move: older
  // transactions may still commit below them).
  bool ServeEarly(Subscription& s, const std::vector<Event>& due) {
    std::vector<const Event*> readable;
    for (const Event& e : due) {
      if (!Before(s.pos, store::events::PositionOfEvent(e))) continue;
      if (options_.may_read(s.user_id, e)) readable.push_back(&e);
    }
    delivered_.fetch_add(static_cast<int64_t>(readable.size()));
    return s.Deliver(readable, options_.queue_limit);
  }

  // Queues to `s` the events after its position (up to `upto`) that its user may read.
  bool Serve(Subscription& s, const std::vector<Event>& events, std::optional<Position> upto) {
    std::vector<const Event*> readable;
    for (const Event& e : events) {
      const Position p = store::events::PositionOfEvent(e);
      if (!Before(s.pos, p)) continue;  // already had it (an `after` ahead of tail_)
      if (upto && Before(*upto, p)) break;
      s.pos = p;
      if (options_.may_read(s.user_id, e)) readable.push_back(&e);
    }
    delivered_.fetch_add(static_cast<int64_t>(readable.size()));
    return s.Deliver(readable, options_.queue_limit);
  }

  // Subscriptions with `after`: stored events up to tail_ (which only this thread moves),
  // as much as their queue has room for; then they turn live.
  void CatchUp() {
    std::vector<std::shared_ptr<Subscription>> pending;
    Position tail;
    {
      std::lock_guard lock(mu_);
      // Cancelled ones go here too, not only when events come: an idle table must not keep
      // every closed connection's subscription.
      std::erase_if(subs_, [](const auto& s) { return s->cancelled(); });
      for (const auto& s : subs_) {
        if (!s->live) pending.push_back(s);
      }
      tail = tail_;
    }
    for (const auto& s : pending) {
      auto r = CatchUpOne(*s, tail);
      if (r) continue;
      if (r.error().code() != Error::Code::kNotFound) {
        Warn("events: catching a subscriber up failed; retrying", r.error());
        continue;  // storage trouble: the next tick tries again
      }
      s->Close(r.error());  // its `after` is not kept
      s->Wake();
    }
  }

  Result<void> CatchUpOne(Subscription& s, const Position& tail) {
    if (s.unresolved_after) {
      const int64_t after = *s.unresolved_after;
      std::optional<Position> found = Position{};
      if (after != 0) {
        CY_TRY(found, store::Transact(platform_.storage(), TxKind::kRead,
                                      [&](Transaction& tx) -> Result<std::optional<Position>> {
                                        return store::events::PositionOf(tx, after);
                                      }));
      }
      if (!found) {
        return Fail(Error::Code::kNotFound,
                    "events: event " + std::to_string(after) +
                        " is not kept (pruned, or never was); reload and subscribe without after");
      }
      if (after != 0) {
        CY_TRY(const bool in_stall,
               store::Transact(platform_.storage(), TxKind::kRead, [&](Transaction& tx) {
                 return store::events::InStall(tx, found->xact);
               }));
        if (in_stall) {
          // What the client had when it got this event depended on timing; no position says.
          return Fail(Error::Code::kNotFound,
                      "events: event " + std::to_string(after) +
                          " came during a stall of the commit horizon, out of order; reload and "
                          "subscribe without after");
        }
      }
      s.pos = *found;
      s.unresolved_after.reset();
    }
    bool woke = false;
    while (Before(s.pos, tail)) {
      const std::size_t room = s.room(options_.queue_limit);
      if (room == 0) break;  // the consumer drains first; the next tick goes on
      const int64_t want = std::min<int64_t>(kPage, static_cast<int64_t>(room));
      CY_TRY(const std::vector<Event> events,
             store::Transact(platform_.storage(), TxKind::kRead,
                             [&](Transaction& tx) -> Result<std::vector<Event>> {
                               // Everything up to tail is committed: no horizon needed.
                               return store::events::ReadAfter(tx, s.pos, std::nullopt, want);
                             }));
      woke = Serve(s, events, tail) || woke;
      const bool more = static_cast<int64_t>(events.size()) == want &&
                        Before(store::events::PositionOfEvent(events.back()), tail);
      if (!more) s.pos = tail;  // every stored event up to tail is served
    }
    if (!Before(s.pos, tail)) {
      // What the fallback gave the live subscribers beyond tail; the cursor moves only on
      // this thread, so nothing comes between this and turning live.
      CY_TRY(const bool early, CatchUpEarly(s));
      woke = early || woke;
      std::lock_guard lock(mu_);
      s.live = true;
    }
    if (woke) s.Wake();
    return {};
  }

  // What went out early in (tail_, seen_]: every stored event there except those waiting_
  // and those of pending_ transactions.
  Result<bool> CatchUpEarly(Subscription& s) {
    if (!Before(s.pos, seen_)) return false;
    Position from = s.pos;
    std::vector<Event> events;
    for (;;) {
      CY_TRY(const std::vector<Event> page,
             store::Transact(platform_.storage(), TxKind::kRead,
                             [&](Transaction& tx) -> Result<std::vector<Event>> {
                               return store::events::ReadAfter(tx, from, std::nullopt, kPage);
                             }));
      for (const Event& e : page) {
        const Position p = store::events::PositionOfEvent(e);
        if (Before(seen_, p)) break;
        if (!waiting_.contains(p) && !pending_.contains(e.xact)) events.push_back(e);
      }
      if (static_cast<int64_t>(page.size()) < kPage) break;
      from = store::events::PositionOfEvent(page.back());
      if (!Before(from, seen_)) break;
    }
    return ServeEarly(s, events);
  }

  void Prune() {
    const int64_t before =
        platform_.clock().NowMillis() -
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.retention).count();
    auto pruned = store::Transact(platform_.storage(), TxKind::kWrite, [&](Transaction& tx) {
      return store::events::PruneBefore(tx, before);
    });
    if (!pruned) Warn("events: pruning old events failed", pruned.error());
  }

  Platform& platform_;
  EventsOptions options_;
  const bool concurrent_writers_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool started_ = false;
  bool stopped_ = false;
  bool kicked_ = false;
  Position tail_;
  std::vector<std::shared_ptr<Subscription>> subs_;
  std::vector<std::function<void(const Event&)>> observers_;  // org20: see Events::Observe
  std::thread thread_;
  std::atomic<int64_t> delivered_{0};
  std::atomic<int64_t> fallbacks_{0};
  std::atomic<uint64_t> listener_{0};
  // Poller thread only: the fallback's part of the cursor (see PollLive). In (tail_, seen_],
  // the events not yet sent are those waiting_ (committed above the horizon, since when
  // first seen) and those of the pending_ transactions.
  struct Waiting {
    std::chrono::steady_clock::time_point since;
    Event event;
  };
  Position seen_;
  std::map<Position, Waiting, PositionLess> waiting_;
  std::set<int64_t> pending_;
  bool stalled_ = false;
};

Events::Events(std::shared_ptr<Platform> platform, EventsOptions options)
    : platform_(std::move(platform)),
      impl_(std::make_unique<Impl>(*platform_, std::move(options))) {}

Events::~Events() = default;

Result<void> Events::Start() { return impl_->Start(); }

void Events::Stop() { impl_->Stop(); }

void Events::Observe(std::function<void(const Event&)> observer) {
  impl_->Observe(std::move(observer));
}

Result<std::shared_ptr<EventSubscription>> Events::Subscribe(std::string user_id,
                                                             std::optional<int64_t> after,
                                                             std::function<void()> wake) {
  return impl_->Subscribe(std::move(user_id), after, std::move(wake));
}

std::size_t Events::subscribers() const { return impl_->subscribers(); }

int64_t Events::delivered() const { return impl_->delivered(); }

int64_t Events::horizon_fallbacks() const { return impl_->horizon_fallbacks(); }

}  // namespace codeyard
