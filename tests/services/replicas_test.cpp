// Two replicas in one process: two Workspaces objects (replica ids "a" and "b") on one
// storage and one executor, as two servers share a database and an executor state. The
// pods table is the truth: either serves any workspace through the same pod, a lease moves
// only by claim (at once when a replica needs to sync, otherwise after it expires), and the
// running limits count both. Leases are renewed by hand (RenewLeases) on the ManualClock.
// On both backends.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>
#include <utility>

#include "codeyard/backend/storage_wrapper.hpp"

#include "core/store/pods.hpp"
#include "core/store/transact.hpp"
#include "core/store/workspaces.hpp"
#include "services/workspace_world.hpp"

using namespace codeyard;
using namespace codeyard::testing;

namespace {

WorkspaceOptions Replica(const std::string& id) {
  WorkspaceOptions options;
  options.replica_id = id;
  options.lease = std::chrono::seconds(15);
  options.lease_renew = std::chrono::milliseconds(0);
  options.idle_timeout = std::chrono::minutes(15);
  return options;
}

PodRecord Lease(const WorkspaceWorld& w, const std::string& ws) {
  auto lease = store::Transact(w.platform().storage(), TxKind::kRead,
                               [&](Transaction& tx) { return store::pods::Get(tx, ws); });
  REQUIRE(lease.has_value());
  return *lease;
}

std::string Run(Workspaces& replica, const std::string& user, const std::string& ws,
                const std::string& script) {
  ExecSpec spec;
  spec.argv = {"sh", "-c", script};
  spec.wall_time_limit = std::chrono::seconds(30);
  auto ran = replica.Exec(user, ws, spec);
  if (!ran) FAIL("Exec " << script << ": " << ran.error().ToString());
  return ran->stdout_data;
}

std::size_t PodsOf(const WorkspaceWorld& w, const std::string& ws) {
  auto pods = w.executor().ListPods({{"codeyard.dev/workspace", ws}});
  REQUIRE(pods.has_value());
  return pods->size();
}

}  // namespace

TEMPLATE_TEST_CASE("replicas: a workspace opened through one is served by the other",
                   "[workspaces][replicas]", CODEYARD_STORAGE_BACKENDS) {
  WorkspaceWorld w(TestType::Create(), Replica("a"));
  Workspaces& a = w.workspaces();
  Workspaces b(w.shared_platform(), w.shared_executor(), Replica("b"));
  auto ws = a.Create(w.alice, "shared");
  REQUIRE(ws.has_value());

  CHECK(Run(a, w.alice, ws->id, "echo from-a > a.txt; echo ok") == "ok\n");
  const PodRecord first = Lease(w, ws->id);
  CHECK(first.replica == "a");
  CHECK(first.executor == w.executor().scheme());  // the backend's scheme, recorded
  CHECK(first.executor == "local");

  // Serving a terminal does not move the lease: B resolves A's pod through the executor.
  auto pod_a = a.PodOf(w.alice, ws->id);
  auto pod_b = b.PodOf(w.alice, ws->id);
  REQUIRE(pod_a.has_value());
  REQUIRE(pod_b.has_value());
  CHECK((*pod_b)->id() == (*pod_a)->id());
  CHECK(Lease(w, ws->id).replica == "a");
  CHECK(Lease(w, ws->id).generation == first.generation);
  CHECK(b.Stats().running == 0);

  // An exec through B syncs, so B takes the lease (the same pod; no second one).
  CHECK(Run(b, w.alice, ws->id, "cat a.txt; echo from-b > b.txt") == "from-a\n");
  const PodRecord moved = Lease(w, ws->id);
  CHECK(moved.replica == "b");
  CHECK(moved.generation == first.generation + 1);
  CHECK(moved.pod_id == first.pod_id);
  CHECK(PodsOf(w, ws->id) == 1);
  CHECK(w.Stored(w.alice, ws->id, "b.txt") == "from-b\n");

  // A learns at its next renewal that it lost the lease; its next exec takes it back.
  CHECK(a.RenewLeases() == 0);
  CHECK(a.Stats().running == 0);
  CHECK(b.RenewLeases() == 1);
  CHECK(Run(a, w.alice, ws->id, "cat b.txt") == "from-b\n");
  CHECK(Lease(w, ws->id).replica == "a");
  CHECK(Lease(w, ws->id).pod_id == first.pod_id);
  CHECK(PodsOf(w, ws->id) == 1);

  // A stop through B ends the pod whoever held it.
  REQUIRE(b.Stop(w.alice, ws->id));
  CHECK(PodsOf(w, ws->id) == 0);
  CHECK(Lease(w, ws->id).state == "released");
  CHECK(a.Get(w.alice, ws->id)->state == WorkspaceState::kStopped);
}

TEMPLATE_TEST_CASE(
    "replicas: after A stops renewing, B takes over with no second pod and "
    "no file lost",
    "[workspaces][replicas]", CODEYARD_STORAGE_BACKENDS) {
  WorkspaceWorld w(TestType::Create(), Replica("a"));
  Workspaces& a = w.workspaces();
  Workspaces b(w.shared_platform(), w.shared_executor(), Replica("b"));
  auto ws = a.Create(w.alice, "orphaned");
  REQUIRE(ws.has_value());
  CHECK(Run(a, w.alice, ws->id, "echo stored > stored.txt; echo ok") == "ok\n");
  // Written in the pod after the last pass, as a terminal does: only the pod has it.
  auto pod = a.PodOf(w.alice, ws->id);
  REQUIRE(pod.has_value());
  w.PodSh(w.alice, ws->id, "echo unsynced > unsynced.txt");
  CHECK(w.Stored(w.alice, ws->id, "unsynced.txt") == "<missing>");
  const PodRecord held = Lease(w, ws->id);

  // A goes silent. While its lease lasts, B serves the pod but does not take it over.
  w.clock().Advance(std::chrono::seconds(10));
  auto served = b.Open(w.alice, ws->id);
  REQUIRE(served.has_value());
  CHECK(Lease(w, ws->id).replica == "a");
  w.clock().Advance(std::chrono::seconds(6));  // 16 s after A's last claim: expired

  auto reopened = b.Open(w.alice, ws->id);
  REQUIRE(reopened.has_value());
  CHECK(Run(b, w.alice, ws->id, "cat stored.txt unsynced.txt") == "stored\nunsynced\n");
  const PodRecord taken = Lease(w, ws->id);
  CHECK(taken.replica == "b");
  CHECK(taken.generation > held.generation);
  CHECK(taken.pod_id == held.pod_id);  // adopted, not replaced
  CHECK(PodsOf(w, ws->id) == 1);
  CHECK(w.Stored(w.alice, ws->id, "unsynced.txt") == "unsynced\n");
  // A's renewal is refused, so it stops acting for the pod.
  CHECK(a.RenewLeases() == 0);
  CHECK(a.Stats().running == 0);
  CHECK(b.Stats().running == 1);
}

TEMPLATE_TEST_CASE(
    "replicas: the reaper stops an idle workspace whose replica died, and "
    "leaves a live replica's alone",
    "[workspaces][replicas]", CODEYARD_STORAGE_BACKENDS) {
  WorkspaceWorld w(TestType::Create(), Replica("a"));
  Workspaces& a = w.workspaces();
  Workspaces b(w.shared_platform(), w.shared_executor(), Replica("b"));
  auto live = a.Create(w.alice, "first");
  auto dead = a.Create(w.alice, "second");
  REQUIRE(live.has_value());
  REQUIRE(dead.has_value());
  Run(a, w.alice, live->id, "true");
  Run(a, w.alice, dead->id, "echo kept > kept.txt");

  w.clock().Advance(std::chrono::minutes(16));  // both idle
  // A is alive: its heartbeat renews both leases (nobody claimed them meanwhile), so B's
  // reaper leaves them to A although they are idle.
  CHECK(a.RenewLeases() == 2);
  CHECK(b.StopIdle().value() == 0);
  CHECK(PodsOf(w, live->id) == 1);
  CHECK(PodsOf(w, dead->id) == 1);

  // Now A "dies": no more renewals. Its leases expire and B's reaper stops both, with a
  // final sync each.
  w.clock().Advance(std::chrono::seconds(16));
  CHECK(b.StopIdle().value() == 2);
  CHECK(PodsOf(w, live->id) == 0);
  CHECK(PodsOf(w, dead->id) == 0);
  CHECK(b.Get(w.alice, dead->id)->state == WorkspaceState::kStopped);
  CHECK(Lease(w, dead->id).state == "released");
  CHECK(w.Stored(w.alice, dead->id, "kept.txt") == "kept\n");
  CHECK(b.Stats().running == 0);
}

TEMPLATE_TEST_CASE("replicas: running limits hold across replicas", "[workspaces][replicas]",
                   CODEYARD_STORAGE_BACKENDS) {
  WorkspaceOptions options = Replica("a");
  options.max_running_per_user = 1;
  options.max_running_total = 2;
  WorkspaceWorld w(TestType::Create(), options);
  Workspaces& a = w.workspaces();
  options.replica_id = "b";
  Workspaces b(w.shared_platform(), w.shared_executor(), options);
  auto first = a.Create(w.alice, "one");
  auto second = a.Create(w.alice, "two");
  auto bobs = a.Create(w.bob, "bob's");
  const std::string carol = w.NewUser("carol");
  auto carols = a.Create(carol, "carol's");
  REQUIRE(first.has_value());
  REQUIRE(second.has_value());
  REQUIRE(bobs.has_value());
  REQUIRE(carols.has_value());

  REQUIRE(a.Open(w.alice, first->id));
  auto refused = b.Open(w.alice, second->id);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code() == Error::Code::kResourceExhausted);
  CHECK(refused.error().message().find("workspace.max_running_per_user") != std::string::npos);
  // Opening the running one through B is no new pod: allowed.
  REQUIRE(b.Open(w.alice, first->id));
  REQUIRE(b.Open(w.bob, bobs->id));
  auto full = a.Open(carol, carols->id);
  REQUIRE_FALSE(full.has_value());
  CHECK(full.error().message().find("workspace.max_running_total") != std::string::npos);
  // A stop on either side frees the slot for both.
  REQUIRE(a.Stop(w.bob, bobs->id));
  REQUIRE(a.Open(carol, carols->id));
}

TEMPLATE_TEST_CASE("replicas: a lease abandoned while starting is ended by the reaper",
                   "[workspaces][replicas]", CODEYARD_STORAGE_BACKENDS) {
  WorkspaceOptions options = Replica("b");
  options.max_running_per_user = 1;
  WorkspaceWorld w(TestType::Create(), options);
  auto stuck = w.workspaces().Create(w.alice, "stuck");
  auto other = w.workspaces().Create(w.alice, "other");
  REQUIRE(stuck.has_value());
  REQUIRE(other.has_value());
  // Replica "dead" claimed `stuck` and died before its pod was recorded.
  auto claimed =
      store::Transact(w.platform().storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
        store::pods::ClaimRequest rq;
        rq.workspace_id = stuck->id;
        rq.owner_id = w.alice;
        rq.replica = "dead";
        rq.executor = "local";
        rq.now = w.platform().clock().NowMillis();
        rq.lease_ms = 15000;
        rq.max_running_per_user = 1;
        rq.max_running_total = 10;
        CY_CHECK(store::pods::Claim(tx, rq));
        CY_TRY(const bool moved,
               store::workspaces::TransitionState(tx, stuck->id, WorkspaceState::kStopped,
                                                  WorkspaceState::kStarting, rq.now));
        if (!moved) return Fail(Error::Code::kInternal, "not stopped");
        return {};
      });
  REQUIRE(claimed.has_value());
  auto refused = w.workspaces().Open(w.alice, other->id);  // the stuck lease counts
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code() == Error::Code::kResourceExhausted);

  CHECK(w.workspaces().StopIdle().value() == 0);  // still live: left alone
  CHECK(Lease(w, stuck->id).replica == "dead");
  w.clock().Advance(std::chrono::seconds(16));
  (void)w.workspaces().StopIdle();
  CHECK(Lease(w, stuck->id).state == "released");
  CHECK(w.workspaces().Get(w.alice, stuck->id)->state == WorkspaceState::kStopped);
  REQUIRE(w.workspaces().Open(w.alice, other->id));
}

TEMPLATE_TEST_CASE("replicas: a hand-off keeps the pod and lets the next replica take it at once",
                   "[workspaces][replicas]", CODEYARD_STORAGE_BACKENDS) {
  WorkspaceWorld w(TestType::Create(), Replica("b"));
  auto a = std::make_unique<Workspaces>(w.shared_platform(), w.shared_executor(), Replica("a"));
  auto ws = a->Create(w.alice, "rolling");
  REQUIRE(ws.has_value());
  CHECK(Run(*a, w.alice, ws->id, "echo ok") == "ok\n");
  auto pod = a->PodOf(w.alice, ws->id);
  REQUIRE(pod.has_value());
  const std::string pod_id = (*pod)->id();
  ExecSpec late;
  late.argv = {"sh", "-c", "echo late > late.txt"};  // after the last pass, as a terminal
  auto process = (*pod)->Exec(late);
  REQUIRE(process.has_value());
  REQUIRE((*process)->Wait().has_value());

  CHECK(a->HandOff(std::chrono::steady_clock::time_point::max()) == 1);
  CHECK(w.Stored(w.alice, ws->id, "late.txt") == "late\n");  // the hand-off's final sync
  CHECK(a->Stats().running == 0);
  a.reset();  // holds no lease: its destructor stops nothing
  CHECK(PodsOf(w, ws->id) == 1);

  // No waiting for expiry: B's first request takes the same pod over.
  CHECK(Run(w.workspaces(), w.alice, ws->id, "cat late.txt") == "late\n");
  const PodRecord lease = Lease(w, ws->id);
  CHECK(lease.replica == "b");
  CHECK(lease.pod_id == pod_id);
  CHECK(PodsOf(w, ws->id) == 1);
}

namespace {

// Storage whose write transactions fail while `failing` is set (a database gone away).
class FlakyStorage : public StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  Result<std::unique_ptr<Transaction>> Begin(TxKind kind) override {
    if (failing && kind == TxKind::kWrite) return Fail(Error::Code::kUnavailable, "storage down");
    return StorageWrapper::Begin(kind);
  }
  std::atomic<bool> failing{false};
};

}  // namespace

// mon20: the replica heartbeat behind codeyard_replica_heartbeat_age_seconds: the age of the
// last renewal pass that renewed every lease held, which a pass with a failing storage leaves
// growing (a lost lease is no failure: it is another replica's now).
TEMPLATE_TEST_CASE("replicas: the heartbeat's age grows until a renewal pass succeeds",
                   "[workspaces][replicas]", CODEYARD_STORAGE_BACKENDS) {
  WorkspaceWorld w(TestType::Create(), Replica("a"));
  auto flaky = std::make_shared<FlakyStorage>(w.platform().shared_storage());
  Options options;
  options.storage = flaky;
  options.clock = w.platform().shared_clock();
  auto platform = Platform::Open(options);
  REQUIRE(platform.has_value());
  Workspaces c(*platform, w.shared_executor(), Replica("c"));
  CHECK(c.Heartbeat().lease_ms == 15000);
  CHECK(c.Heartbeat().age_ms == 0);
  auto ws = c.Create(w.alice, "beating");
  REQUIRE(ws.has_value());
  CHECK(Run(c, w.alice, ws->id, "echo ok") == "ok\n");

  w.clock().Advance(std::chrono::seconds(4));
  CHECK(c.Heartbeat().age_ms == 4000);
  CHECK(c.RenewLeases() == 1);
  CHECK(c.Heartbeat().age_ms == 0);

  flaky->failing = true;
  w.clock().Advance(std::chrono::seconds(5));
  CHECK(c.RenewLeases() == 0);
  w.clock().Advance(std::chrono::seconds(5));
  CHECK(c.RenewLeases() == 0);
  CHECK(c.Heartbeat().age_ms == 10000);  // both failed passes left it growing

  flaky->failing = false;
  CHECK(c.RenewLeases() == 1);
  CHECK(c.Heartbeat().age_ms == 0);
  REQUIRE(c.Stop(w.alice, ws->id));
}

namespace {

// Waits (real time, up to 20 s) until `done` holds; the debounced passes run on their own thread.
template <typename Done>
bool Eventually(Done done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace

// faults21: lease ping-pong. A terminal's output asks its replica for a sync pass; on the
// replica that only serves the pod (another holds the lease) that pass used to take the lease
// live, so two replicas whose terminals both type in one workspace took it from each other
// every pass. Now the serving replica records activity and the holder's next renewal runs the
// pass: the lease stays, and what the terminal wrote is still stored.
TEMPLATE_TEST_CASE("replicas: a terminal's pass on the replica without the lease leaves it",
                   "[workspaces][replicas][faults21]", CODEYARD_STORAGE_BACKENDS) {
  WorkspaceOptions quick_a = Replica("a");
  quick_a.sync_debounce = std::chrono::milliseconds(0);
  WorkspaceWorld w(TestType::Create(), quick_a);
  Workspaces& a = w.workspaces();
  WorkspaceOptions quick_b = Replica("b");
  quick_b.sync_debounce = std::chrono::milliseconds(0);
  Workspaces b(w.shared_platform(), w.shared_executor(), quick_b);
  auto ws = a.Create(w.alice, "typed-in-both");
  REQUIRE(ws.has_value());
  CHECK(Run(a, w.alice, ws->id, "echo ok") == "ok\n");
  REQUIRE(b.PodOf(w.alice, ws->id).has_value());  // B serves a terminal on A's pod
  const uint64_t a_passes = a.sync_passes();
  CHECK(a.RenewLeases() == 1);  // A notes the activity so far: its first renewal passes once
  CHECK(a.sync_passes() == a_passes + 1);
  const PodRecord before = Lease(w, ws->id);
  CHECK(before.replica == "a");

  w.PodSh(w.alice, ws->id, "echo typed > typed.txt");  // typed in B's terminal
  w.clock().Advance(std::chrono::seconds(1));
  const uint64_t b_passes = b.sync_passes();
  b.SyncSoon(ws->id);  // the terminal's output on B
  const auto active = [&] {
    auto got = store::Transact(w.platform().storage(), TxKind::kRead,
                               [&](Transaction& tx) { return store::workspaces::Get(tx, ws->id); });
    return got ? got->last_active_at : 0;
  };
  const int64_t now = w.clock().NowMillis();
  REQUIRE(Eventually([&] { return active() == now; }));  // B recorded the activity
  CHECK(b.sync_passes() == b_passes);                    // and ran no pass of its own
  CHECK(Lease(w, ws->id).replica == "a");
  CHECK(Lease(w, ws->id).generation == before.generation);

  CHECK(a.RenewLeases() == 1);  // A sees the activity: its pass stores the terminal's file
  CHECK(w.Stored(w.alice, ws->id, "typed.txt") == "typed\n");
  CHECK(Lease(w, ws->id).replica == "a");
  CHECK(Lease(w, ws->id).generation == before.generation);
}

namespace {

// An executor whose pods run `on_list` at their next listing (the first call of a pass), once.
class ListHookExecutor final : public ExecutorWrapper {
 public:
  using ExecutorWrapper::ExecutorWrapper;
  std::function<void()> on_list;

  Result<std::shared_ptr<Pod>> GetPod(std::string_view id) override {
    CY_TRY(auto pod, ExecutorWrapper::GetPod(id));
    return std::shared_ptr<Pod>(std::make_shared<Hooked>(std::move(pod), this));
  }

 private:
  class Hooked final : public PodWrapper {
   public:
    Hooked(std::shared_ptr<Pod> pod, ListHookExecutor* owner)
        : PodWrapper(std::move(pod)), owner_(owner) {}
    Result<std::vector<FileEntry>> ListFiles(const ListFilesOptions& options) override {
      if (auto hook = std::exchange(owner_->on_list, nullptr)) hook();
      return PodWrapper::ListFiles(options);
    }

   private:
    ListHookExecutor* owner_;
  };
};

}  // namespace

// faults21 (the two-replica fault schedule, seed 2131, round 87): an exec through A adopted
// the pod B held, and B took the lease back while A's adoption pass ran (B's own pass after a
// terminal's command). The exec answered 412 "stale lease". A now claims once more.
TEMPLATE_TEST_CASE("replicas: an adoption whose lease is taken during its pass claims again",
                   "[workspaces][replicas][faults21]", CODEYARD_STORAGE_BACKENDS) {
  WorkspaceWorld w(TestType::Create(), Replica("b"));
  Workspaces& b = w.workspaces();
  auto hooked = std::make_shared<ListHookExecutor>(w.shared_executor());
  Workspaces a(w.shared_platform(), hooked, Replica("a"));
  auto ws = b.Create(w.alice, "contested");
  REQUIRE(ws.has_value());
  CHECK(Run(b, w.alice, ws->id, "echo ok") == "ok\n");
  w.PodSh(w.alice, ws->id, "echo typed > typed.txt");  // a terminal's write: A's pass pulls it
  bool taken = false;
  hooked->on_list = [&] {  // inside A's adoption pass, after A's claim
    store::pods::ClaimRequest rq;
    rq.workspace_id = ws->id;
    rq.owner_id = w.alice;
    rq.replica = "b";
    rq.executor = w.executor().scheme();
    rq.now = w.clock().NowMillis();
    rq.lease_ms = 15000;
    rq.take_live = true;
    rq.check_limits = false;
    taken = store::Transact(w.platform().storage(), TxKind::kWrite, [&](Transaction& tx) {
              return store::pods::Claim(tx, rq);
            }).has_value();
  };
  CHECK(Run(a, w.alice, ws->id, "cat typed.txt") == "typed\n");  // no 412
  CHECK(taken);
  CHECK(Lease(w, ws->id).replica == "a");
  CHECK(w.Stored(w.alice, ws->id, "typed.txt") == "typed\n");
  CHECK(PodsOf(w, ws->id) == 1);
}

namespace {

// The local executor under a scheme too long for std::string's inline buffer: Workspaces'
// claim once kept a view of the temporary scheme() returned (ASan: stack-use-after-scope),
// so the pods table could record freed memory as the executor's name.
class LongSchemeExecutor : public ExecutorWrapper {
 public:
  using ExecutorWrapper::ExecutorWrapper;
  [[nodiscard]] std::string scheme() const override {
    return "local-under-a-scheme-name-longer-than-any-inline-string-buffer";
  }
};
}  // namespace

TEMPLATE_TEST_CASE("replicas: the lease records the executor's scheme, however long",
                   "[workspaces][replicas]", CODEYARD_STORAGE_BACKENDS) {
  WorkspaceWorld w(TestType::Create(), Replica("a"));
  auto executor = std::make_shared<LongSchemeExecutor>(w.shared_executor());
  Workspaces c(w.shared_platform(), executor, Replica("c"));
  auto ws = c.Create(w.alice, "long-scheme");
  REQUIRE(ws.has_value());
  CHECK(Run(c, w.alice, ws->id, "echo ok") == "ok\n");
  const PodRecord lease = Lease(w, ws->id);
  CHECK(lease.replica == "c");
  CHECK(lease.executor == executor->scheme());
  REQUIRE(c.Stop(w.alice, ws->id));
}
