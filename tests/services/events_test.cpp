// The events service on both storage backends, as two replicas see it: two Platforms on one
// database, changes made through one (Files on "A"), subscribers on the other ("B"). Each
// subscriber gets the events of what it may read, in order, live or resumed after an id
// without a gap or a duplicate; a slow one is closed; a reviewer audience can widen who reads.
#include <catch2/catch.hpp>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "codeyard/backend/fake_executor.hpp"
#include "codeyard/events.hpp"
#include "codeyard/files.hpp"
#include "codeyard/id.hpp"
#include "codeyard/log.hpp"
#include "codeyard/workspaces.hpp"
#include "core/store/events.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "core/store/workspaces.hpp"
#include "services/must.hpp"
#include "storage/backend_fixture.hpp"

namespace codeyard {
namespace {

using testing::Must;
using namespace std::chrono_literals;

// Counts wakes, so a test waits on a condition with a deadline instead of sleeping. The wake
// shares the count rather than pointing at the Waker: the service wakes every subscription
// still open when it stops, after a test's Wakers are gone (ASan: stack-use-after-scope).
class Waker {
 public:
  std::function<void()> fn() {
    return [state = state_] {
      std::lock_guard lock(state->mu);
      ++state->wakes;
      state->cv.notify_all();
    };
  }
  // Waits until `done()` holds, checking at each wake, for at most 10 s.
  template <class Done>
  bool Wait(Done done) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    std::unique_lock lock(state_->mu);
    for (;;) {
      const int64_t before = state_->wakes;  // a wake while done() runs is not lost
      lock.unlock();
      const bool ok = done();
      lock.lock();
      if (ok) return true;
      if (!state_->cv.wait_until(lock, deadline, [&] { return state_->wakes != before; })) {
        return false;
      }
    }
  }
  // Takes events from `sub` until `done(all taken)` holds or 10 s pass.
  template <class Done>
  std::vector<Event> TakeUntil(EventSubscription& sub, Done done) {
    std::vector<Event> all;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    std::unique_lock lock(state_->mu);
    for (;;) {
      lock.unlock();
      for (Event& e : sub.Take(1000)) all.push_back(std::move(e));
      lock.lock();
      if (done(all) || sub.closed()) return all;
      if (!state_->cv.wait_until(lock, deadline, [&] { return state_->wakes != seen_; })) {
        return all;
      }
      seen_ = state_->wakes;
    }
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    int64_t wakes = 0;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
  int64_t seen_ = 0;
};

class Replicas {
 public:
  explicit Replicas(std::unique_ptr<testing::TestDatabase> db) : db_(std::move(db)) {
    a_ = Open(db_->shared());
    b_ = Open(testing::OpenOrDie(db_->uri()));
    files_ = std::make_unique<Files>(a_);
    ada = AddUser("ada");
    bob = AddUser("bob");
    ada_ws = AddWorkspace(ada);
    bob_ws = AddWorkspace(bob);
  }

  // The events service of replica B (stopped before the platforms go).
  Events& StartEvents(EventsOptions options = {}) {
    if (options.poll_interval == EventsOptions{}.poll_interval) options.poll_interval = 10ms;
    events_ = std::make_unique<Events>(b_, std::move(options));
    Must(events_->Start());
    return *events_;
  }
  ~Replicas() {
    if (events_) events_->Stop();
  }

  void Write(const std::string& user, const std::string& ws, const std::string& path) {
    Must(files_->Write(user, ws, path, "x", std::nullopt));
  }

  std::string uri() const { return db_->uri(); }
  // Log lines (of both platforms) containing `text`.
  std::size_t Logged(std::string_view text) {
    std::lock_guard lock(log_mu_);
    return static_cast<std::size_t>(std::count_if(log_.begin(), log_.end(), [&](const auto& l) {
      return l.find(text) != std::string::npos;
    }));
  }
  Storage& storage() { return a_->storage(); }
  std::shared_ptr<Platform> platform_a() const { return a_; }

  std::string ada, bob, ada_ws, bob_ws;

 private:
  std::shared_ptr<Platform> Open(std::shared_ptr<Storage> storage) {
    Options options;
    options.storage = std::move(storage);
    options.logger = std::make_shared<Logger>(LogLevel::kInfo, [this](std::string_view line) {
      std::lock_guard lock(log_mu_);
      log_.emplace_back(line);
    });
    return Must(Platform::Open(options));
  }
  std::string AddUser(const std::string& name) {
    User user;
    user.id = NewUuid();
    user.username = name;
    user.password_hash = "$argon2id$test-only";
    Must(store::Transact(a_->storage(), TxKind::kWrite,
                         [&](Transaction& tx) { return store::users::Insert(tx, user); }));
    return user.id;
  }
  std::string AddWorkspace(const std::string& owner) {
    Workspace w;
    w.id = NewUuid();
    w.owner_id = owner;
    w.name = "proj";
    Must(store::Transact(a_->storage(), TxKind::kWrite,
                         [&](Transaction& tx) { return store::workspaces::Insert(tx, w); }));
    return w.id;
  }

  std::mutex log_mu_;
  std::vector<std::string> log_;
  std::unique_ptr<testing::TestDatabase> db_;
  std::shared_ptr<Platform> a_, b_;
  std::shared_ptr<Files> files_;
  std::shared_ptr<Events> events_;
};

std::vector<std::string> Paths(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const Event& e : events) {
    const auto at = e.data.find("\"path\":\"");
    out.push_back(at == std::string::npos
                      ? e.type
                      : e.data.substr(at + 8, e.data.find('"', at + 8) - at - 8));
  }
  return out;
}

auto Count(std::size_t n) {
  return [n](const std::vector<Event>& all) { return all.size() >= n; };
}

TEMPLATE_TEST_CASE("events: a change on replica A reaches its owner's subscriber on B only",
                   "[services][events]", CODEYARD_STORAGE_BACKENDS) {
  Replicas r(TestType::Create());
  Events& events = r.StartEvents();
  Waker ada_wake, bob_wake;
  auto ada = Must(events.Subscribe(r.ada, std::nullopt, ada_wake.fn()));
  auto bob = Must(events.Subscribe(r.bob, std::nullopt, bob_wake.fn()));
  CHECK(events.subscribers() == 2);

  r.Write(r.ada, r.ada_ws, "a1.txt");
  r.Write(r.ada, r.ada_ws, "a2.txt");
  r.Write(r.bob, r.bob_ws, "b1.txt");
  const std::vector<Event> got = ada_wake.TakeUntil(*ada, Count(2));
  CHECK(Paths(got) == std::vector<std::string>{"a1.txt", "a2.txt"});
  CHECK(got[0].type == "file.created");
  CHECK(got[0].workspace_id == r.ada_ws);
  // Bob's own event comes after ada's two in the table: had those reached bob, they would
  // be in front of it.
  CHECK(Paths(bob_wake.TakeUntil(*bob, Count(1))) == std::vector<std::string>{"b1.txt"});
  CHECK_FALSE(ada->closed());

  ada->Cancel();
  bob->Cancel();
}

TEMPLATE_TEST_CASE("events: resuming after an id replays what followed, then goes live",
                   "[services][events]", CODEYARD_STORAGE_BACKENDS) {
  Replicas r(TestType::Create());
  Events& events = r.StartEvents();
  Waker w1;
  auto first = Must(events.Subscribe(r.ada, std::nullopt, w1.fn()));
  r.Write(r.ada, r.ada_ws, "one.txt");
  const std::vector<Event> seen = w1.TakeUntil(*first, Count(1));
  REQUIRE(seen.size() == 1);
  first->Cancel();  // the page disconnects

  r.Write(r.ada, r.ada_ws, "two.txt");
  r.Write(r.bob, r.bob_ws, "bob.txt");
  r.Write(r.ada, r.ada_ws, "three.txt");
  Waker w2;
  auto resumed = Must(events.Subscribe(r.ada, seen.back().id, w2.fn()));
  CHECK(resumed->start_id() == seen.back().id);
  std::vector<Event> got = w2.TakeUntil(*resumed, Count(2));
  r.Write(r.ada, r.ada_ws, "four.txt");  // live, after the replay
  for (Event& e : w2.TakeUntil(*resumed, Count(1))) got.push_back(std::move(e));
  CHECK(Paths(got) == std::vector<std::string>{"two.txt", "three.txt", "four.txt"});

  // From the start of the table (after=0): everything of ada's, once each.
  Waker w3;
  auto all = Must(events.Subscribe(r.ada, 0, w3.fn()));
  CHECK(Paths(w3.TakeUntil(*all, Count(4))) ==
        std::vector<std::string>{"one.txt", "two.txt", "three.txt", "four.txt"});

  // An id that is not kept cannot be resumed from: the client reloads.
  Waker w4;
  auto gone = Must(events.Subscribe(r.ada, 1'000'000'000, w4.fn()));
  (void)w4.TakeUntil(*gone, Count(1));
  REQUIRE(gone->closed());
  CHECK(gone->closed()->code() == Error::Code::kNotFound);
}

TEMPLATE_TEST_CASE("events: a subscriber that falls behind is closed, with where to resume",
                   "[services][events]", CODEYARD_STORAGE_BACKENDS) {
  Replicas r(TestType::Create());
  EventsOptions options;
  options.queue_limit = 3;
  Events& events = r.StartEvents(options);
  Waker w;
  auto slow = Must(events.Subscribe(r.ada, std::nullopt, w.fn()));
  const int64_t start = slow->start_id();
  for (int i = 0; i < 5; ++i) r.Write(r.ada, r.ada_ws, "f" + std::to_string(i));
  // Never take: wait for the close.
  REQUIRE(w.Wait([&] { return slow->closed().has_value(); }));
  CHECK(slow->closed()->code() == Error::Code::kResourceExhausted);
  CHECK_THAT(slow->closed()->message(),
             Catch::Matchers::Contains("?after=" + std::to_string(start)));
  // What was queued before the close can still be taken.
  CHECK(slow->Take(100).size() == 3);
}

TEMPLATE_TEST_CASE("events: the audience is a function of the event (a reviewer reads too)",
                   "[services][events]", CODEYARD_STORAGE_BACKENDS) {
  Replicas r(TestType::Create());
  EventsOptions options;
  const std::string reviewed = r.ada_ws;
  const std::string reviewer = r.bob;
  options.may_read = [&](std::string_view user, const Event& e) {
    return e.owner_id == user || (user == reviewer && e.workspace_id == reviewed);
  };
  Events& events = r.StartEvents(options);
  Waker w;
  auto bob = Must(events.Subscribe(r.bob, std::nullopt, w.fn()));
  r.Write(r.ada, r.ada_ws, "review-me.txt");
  r.Write(r.bob, r.bob_ws, "mine.txt");
  CHECK(Paths(w.TakeUntil(*bob, Count(2))) ==
        std::vector<std::string>{"review-me.txt", "mine.txt"});
}

TEMPLATE_TEST_CASE("events: a deleted workspace's event reaches its owner, after its files'",
                   "[services][events]", CODEYARD_STORAGE_BACKENDS) {
  Replicas r(TestType::Create());
  Events& events = r.StartEvents();
  Waker ada_wake, bob_wake;
  auto ada = Must(events.Subscribe(r.ada, std::nullopt, ada_wake.fn()));
  auto bob = Must(events.Subscribe(r.bob, std::nullopt, bob_wake.fn()));
  Workspaces workspaces(r.platform_a(), std::make_shared<FakeExecutor>());
  const Workspace doomed = Must(workspaces.Create(r.ada, "doomed"));
  r.Write(r.ada, doomed.id, "last.txt");
  Must(workspaces.Delete(r.ada, doomed.id));
  // Nobody may read the workspace now; its owner still learns it went.
  CHECK(workspaces.Get(r.ada, doomed.id).error().code() == Error::Code::kNotFound);
  const std::vector<Event> got = ada_wake.TakeUntil(*ada, Count(2));
  REQUIRE(got.size() == 2);
  CHECK(got[0].type == kEventFileCreated);
  CHECK(got[1].type == kEventWorkspaceDeleted);
  CHECK(got[1].workspace_id == doomed.id);
  CHECK(got[1].data == R"({"name":"doomed"})");
  CHECK(EventJson(got[1]) == "{\"id\":" + std::to_string(got[1].id) +
                                 ",\"type\":\"workspace.deleted\",\"workspace_id\":\"" + doomed.id +
                                 "\",\"at\":" + std::to_string(got[1].at) +
                                 ",\"name\":\"doomed\"}");
  // Written after the deletion: had it reached bob, it would come first.
  r.Write(r.bob, r.bob_ws, "mine.txt");
  CHECK(Paths(bob_wake.TakeUntil(*bob, Count(1))) == std::vector<std::string>{"mine.txt"});
}

TEMPLATE_TEST_CASE("events: a change made in this process wakes its poller at once",
                   "[services][events]", CODEYARD_STORAGE_BACKENDS) {
  Replicas r(TestType::Create());
  EventsOptions options;
  options.poll_interval = 60s;  // far beyond the wait below: only the commit's wake can do it
  Events& events = r.StartEvents(options);
  Waker w;
  auto sub = Must(events.Subscribe(r.ada, std::nullopt, w.fn()));
  r.Write(r.ada, r.ada_ws, "now.txt");
  CHECK(Paths(w.TakeUntil(*sub, Count(1))) == std::vector<std::string>{"now.txt"});
}

// Another database of the test server, made once (never template1: a session left there
// would make every CREATE DATABASE on the server fail, other suites' included).
std::string OtherDatabase(const std::string& server_uri) {
  const std::string create =
      "psql '" + server_uri + "' -q -c 'CREATE DATABASE codeyard_elsewhere' >/dev/null 2>&1";
  (void)std::system(create.c_str());  // fails harmlessly when it exists; the open below checks
  const std::size_t query = server_uri.find('?');
  const std::size_t slash = server_uri.rfind('/', query);
  REQUIRE(slash != std::string::npos);
  return server_uri.substr(0, slash) + "/codeyard_elsewhere" +
         (query == std::string::npos ? "" : server_uri.substr(query));
}

// A transaction with a transaction id, left open: what a forgotten session does.
std::unique_ptr<Transaction> HoldOpen(Storage& storage) {
  auto tx = Must(storage.Begin(TxKind::kWrite));
  Must(tx->Query("SELECT pg_current_xact_id()::text", {}));
  return tx;
}

// Waits (deadline 20 s) until PostgreSQL's commit horizon has passed transaction `xact`:
// other test processes on the server may hold it back a while too.
bool HorizonPassed(Storage& storage, int64_t xact) {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  for (;;) {
    auto horizon = store::Transact(
        storage, TxKind::kRead, [](Transaction& tx) { return store::events::Horizon(tx, true); });
    if (horizon && horizon->value_or(0) > xact) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
}

// Sessions left open in this database and in another one of the server hold the horizon
// back; events still come once they waited horizon_wait, in the order they committed, each
// once: also one of an older transaction that commits late, below the cursor. When the
// horizon passes them at last, none comes again.
TEST_CASE("events: a transaction left open on the server delays events by horizon_wait only",
          "[services][events][postgres]") {
  Replicas r(testing::PostgresBackend::Create());
  EventsOptions options;
  options.horizon_wait = 100ms;
  Events& events = r.StartEvents(options);
  Waker w;
  auto sub = Must(events.Subscribe(r.ada, std::nullopt, w.fn()));

  auto elsewhere_db = testing::OpenOrDie(OtherDatabase(testing::PostgresServerUri()));
  auto here_db = testing::OpenOrDie(r.uri());
  auto held_elsewhere = HoldOpen(*elsewhere_db);
  auto held_here = HoldOpen(*here_db);
  // An older transaction with an event, committed only later: its id is below the others.
  auto late = HoldOpen(*here_db);
  Must(store::events::Append(*late, kEventFileCreated, r.ada_ws, R"({"path":"late"})", 1));

  r.Write(r.ada, r.ada_ws, "w1");
  r.Write(r.ada, r.ada_ws, "w2");
  std::vector<Event> got = w.TakeUntil(*sub, Count(2));
  CHECK(Paths(got) == std::vector<std::string>{"w1", "w2"});
  CHECK(events.horizon_fallbacks() == 2);
  constexpr std::string_view kStallWarning = "holds the commit horizon back";
  CHECK(r.Logged(kStallWarning) == 1);

  Must(late->Commit());
  for (Event& e : w.TakeUntil(*sub, Count(1))) got.push_back(std::move(e));
  r.Write(r.ada, r.ada_ws, "w3");
  for (Event& e : w.TakeUntil(*sub, Count(1))) got.push_back(std::move(e));
  REQUIRE(Paths(got) == std::vector<std::string>{"w1", "w2", "late", "w3"});
  CHECK(got[2].id < got[0].id);  // below the cursor, and delivered
  CHECK(events.horizon_fallbacks() == 4);
  CHECK(r.Logged(kStallWarning) == 1);  // several fallback reads, one stall: one warning

  // The sessions end; once the horizon has passed w3, the poller reads all four below it and
  // must send none again: a duplicate would come before w4.
  held_here->Rollback();
  held_elsewhere->Rollback();
  REQUIRE(HorizonPassed(r.storage(), got.back().xact));
  r.Write(r.ada, r.ada_ws, "w4");
  for (Event& e : w.TakeUntil(*sub, Count(1))) got.push_back(std::move(e));
  CHECK(Paths(got) == std::vector<std::string>{"w1", "w2", "late", "w3", "w4"});
  CHECK_FALSE(sub->closed());

  // What a client had when it got w1 depended on timing, which no position records: a
  // resume after it (on any replica) is told to reload rather than guess.
  Waker w2;
  auto resumed = Must(events.Subscribe(r.ada, got[0].id, w2.fn()));
  REQUIRE(w2.Wait([&] { return resumed->closed().has_value(); }));
  CHECK(resumed->closed()->code() == Error::Code::kNotFound);
  CHECK(resumed->Take(10).empty());
}

}  // namespace
}  // namespace codeyard
