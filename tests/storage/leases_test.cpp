// Pod leases (store/pods) on every backend: the claim's compare-and-swap, takeover after
// expiry, fencing of a stale holder, and the running-pod limits counted in the claiming
// transaction, with real threads on separate connections.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "codeyard/id.hpp"
#include "core/store/items.hpp"
#include "core/store/pods.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "core/store/workspaces.hpp"
#include "storage/backend_fixture.hpp"

namespace codeyard {
namespace {

namespace pods = store::pods;

std::string NewUser(Storage& s) {
  const std::string id = NewUuid();
  REQUIRE(store::Transact(s, TxKind::kWrite, [&](Transaction& tx) {
    return store::users::Insert(
        tx, User{id, "u" + id.substr(0, 8), "", "h", Role::kUser, 0, false, 1, 1, 1});
  }));
  return id;
}

std::string NewWorkspace(Storage& s, const std::string& owner) {
  const std::string id = NewUuid();
  REQUIRE(store::Transact(s, TxKind::kWrite, [&](Transaction& tx) {
    return store::workspaces::Insert(
        tx, Workspace{id, owner, "w" + id.substr(0, 8), WorkspaceState::kStopped, 0, 1, 1, 1, 1});
  }));
  return id;
}

// The request holds views of its arguments (a literal, or a string that outlives the claim;
// a `const std::string&` parameter made a literal a temporary that died before the claim).
pods::ClaimRequest Request(std::string_view ws, std::string_view owner, std::string_view replica,
                           int64_t now) {
  return {.workspace_id = ws,
          .owner_id = owner,
          .replica = replica,
          .executor = "local",
          .now = now,
          .lease_ms = 1000,
          .max_running_per_user = 100,
          .max_running_total = 100};
}

Result<pods::Claimed> Claim(Storage& s, const pods::ClaimRequest& rq) {
  return store::Transact(s, TxKind::kWrite, [&](Transaction& tx) { return pods::Claim(tx, rq); });
}

PodRecord Get(Storage& s, const std::string& ws) {
  auto got = store::Transact(s, TxKind::kRead, [&](Transaction& tx) { return pods::Get(tx, ws); });
  REQUIRE(got);
  return *got;
}

template <class F>
Result<void> Write(Storage& s, F&& work) {
  return store::Transact(s, TxKind::kWrite, std::forward<F>(work));
}

void RequireStale(const Result<void>& r) {
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == Error::Code::kFailedPrecondition);
  CHECK(pods::IsStaleLease(r.error()));
}

TEMPLATE_TEST_CASE("a lease is claimed by compare-and-swap and taken over only once expired",
                   "[storage][leases]", CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  Storage& s = db->storage();
  const std::string user = NewUser(s);
  const std::string ws = NewWorkspace(s, user);

  auto a = Claim(s, Request(ws, user, "a", 1000));
  REQUIRE(a);
  CHECK(a->outcome == pods::ClaimOutcome::kNew);
  CHECK(a->lease.generation == 1);
  CHECK(a->lease.state == "starting");
  CHECK(a->lease.pod_id.empty());
  REQUIRE(Write(s, [&](Transaction& tx) { return pods::SetPod(tx, ws, "a", 1, "pod-1", 1001); }));

  // Another replica while the lease is live: refused, nothing written.
  auto b = Claim(s, Request(ws, user, "b", 1500));
  REQUIRE(b);
  CHECK(b->outcome == pods::ClaimOutcome::kHeld);
  CHECK(b->lease.replica == "a");
  CHECK(b->lease.pod_id == "pod-1");
  CHECK(Get(s, ws).generation == 1);

  // The holder claiming again keeps the pod and bumps the generation.
  auto again = Claim(s, Request(ws, user, "a", 1600));
  REQUIRE(again);
  CHECK(again->outcome == pods::ClaimOutcome::kOwn);
  CHECK(again->lease.generation == 2);
  CHECK(again->lease.lease_until == 2600);
  CHECK(again->lease.pod_id == "pod-1");

  // Renewal moves the lease; at lease_until it has expired and another replica takes over,
  // keeping the pod id (to adopt it) under a new generation.
  REQUIRE(Write(s, [&](Transaction& tx) { return pods::Renew(tx, ws, "a", 2, 2000, 1000); }));
  auto early = Claim(s, Request(ws, user, "b", 2999));
  REQUIRE(early);
  CHECK(early->outcome == pods::ClaimOutcome::kHeld);
  auto taken = Claim(s, Request(ws, user, "b", 3000));
  REQUIRE(taken);
  CHECK(taken->outcome == pods::ClaimOutcome::kTakenOver);
  CHECK(taken->lease.generation == 3);
  CHECK(taken->lease.replica == "b");
  CHECK(taken->lease.pod_id == "pod-1");
  CHECK(taken->lease.state == "running");
  const PodRecord stored = Get(s, ws);
  CHECK(stored.replica == "b");
  CHECK(stored.generation == 3);
  CHECK(stored.lease_until == 4000);

  // Released: no pod, and the next claim (any replica) is new again at a higher generation.
  REQUIRE(Write(s, [&](Transaction& tx) { return pods::Release(tx, ws, "b", 3, 3100); }));
  CHECK(Get(s, ws).state == "released");
  CHECK(Get(s, ws).pod_id.empty());
  auto fresh = Claim(s, Request(ws, user, "a", 3200));
  REQUIRE(fresh);
  CHECK(fresh->outcome == pods::ClaimOutcome::kNew);
  CHECK(fresh->lease.generation == 4);
  CHECK(fresh->lease.pod_id.empty());
}

TEMPLATE_TEST_CASE("a stale holder's renew, pod change, release and fenced writes are refused",
                   "[storage][leases]", CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  Storage& s = db->storage();
  const std::string user = NewUser(s);
  const std::string ws = NewWorkspace(s, user);
  REQUIRE(Claim(s, Request(ws, user, "a", 1000)));
  REQUIRE(Write(s, [&](Transaction& tx) { return pods::SetPod(tx, ws, "a", 1, "pod-1", 1000); }));
  auto taken = Claim(s, Request(ws, user, "b", 5000));  // a's lease ran out at 2000
  REQUIRE(taken);
  REQUIRE(taken->outcome == pods::ClaimOutcome::kTakenOver);

  RequireStale(Write(s, [&](Transaction& tx) { return pods::Renew(tx, ws, "a", 1, 5001, 1000); }));
  RequireStale(
      Write(s, [&](Transaction& tx) { return pods::SetPod(tx, ws, "a", 1, "pod-2", 5001); }));
  RequireStale(Write(s, [&](Transaction& tx) { return pods::Release(tx, ws, "a", 1, 5001); }));
  // The right replica with an old generation is as stale as a wrong replica.
  RequireStale(Write(s, [&](Transaction& tx) { return pods::Fence(tx, ws, "b", 1); }));

  // A write made on behalf of the pod by the stale holder commits nothing.
  WorkspaceItem item;
  item.id = NewUuid();
  item.workspace_id = ws;
  item.path = "from-stale-holder.txt";
  item.content = "x";
  item.sha256 = Sha256Hex("x");
  RequireStale(Write(s, [&](Transaction& tx) -> Result<void> {
    CY_CHECK(store::items::Insert(tx, item));
    return pods::Fence(tx, ws, "a", 1);
  }));
  auto reader = s.Begin(TxKind::kRead);
  REQUIRE(reader);
  auto missing = store::items::Get(**reader, ws, item.path, store::items::Content::kSkip);
  CHECK(missing.error().code() == Error::Code::kNotFound);
  (*reader)->Rollback();

  // The holder's own fenced write goes through.
  item.path = "from-holder.txt";
  REQUIRE(Write(s, [&](Transaction& tx) -> Result<void> {
    CY_CHECK(pods::Fence(tx, ws, "b", taken->lease.generation));
    return store::items::Insert(tx, item);
  }));
  CHECK(Get(s, ws).pod_id == "pod-1");
  CHECK(Get(s, ws).replica == "b");
}

TEMPLATE_TEST_CASE("two replicas racing to claim one workspace: exactly one wins",
                   "[storage][leases][concurrency]", CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  Storage& s = db->storage();
  const std::string user = NewUser(s);
  constexpr int kRounds = 20;
  for (int round = 0; round < kRounds; ++round) {
    const std::string ws = NewWorkspace(s, user);
    std::atomic<int> ready{0};
    std::vector<Result<pods::Claimed>> results(2, Fail(Error::Code::kInternal, "not run"));
    std::vector<std::thread> threads;
    for (int i = 0; i < 2; ++i) {
      threads.emplace_back([&, i] {
        ++ready;
        while (ready.load() < 2) std::this_thread::yield();
        results[i] = Claim(s, Request(ws, user, i == 0 ? "a" : "b", 1000));
      });
    }
    for (auto& t : threads) t.join();
    REQUIRE(results[0]);
    REQUIRE(results[1]);
    const int won = (results[0]->outcome == pods::ClaimOutcome::kNew) +
                    (results[1]->outcome == pods::ClaimOutcome::kNew);
    const int held = (results[0]->outcome == pods::ClaimOutcome::kHeld) +
                     (results[1]->outcome == pods::ClaimOutcome::kHeld);
    CHECK(won == 1);
    CHECK(held == 1);
    const PodRecord stored = Get(s, ws);
    CHECK(stored.generation == 1);
    const auto& winner =
        results[0]->outcome == pods::ClaimOutcome::kNew ? *results[0] : *results[1];
    CHECK(stored.replica == winner.lease.replica);
  }
}

TEMPLATE_TEST_CASE("running limits hold under concurrent claims from many replicas",
                   "[storage][leases][concurrency]", CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  Storage& s = db->storage();
  const std::string alice = NewUser(s);
  const std::string bob = NewUser(s);
  constexpr int kEach = 6;
  std::vector<std::pair<std::string, std::string>> targets;  // (workspace, owner)
  for (int i = 0; i < kEach; ++i) {
    targets.emplace_back(NewWorkspace(s, alice), alice);
    targets.emplace_back(NewWorkspace(s, bob), bob);
  }
  std::atomic<int> ready{0};
  std::vector<Result<pods::Claimed>> results(targets.size(),
                                             Fail(Error::Code::kInternal, "not run"));
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    threads.emplace_back([&, i] {
      // ClaimRequest holds views: the replica's name must outlive rq (ASan's
      // stack-use-after-scope when it was a temporary).
      const std::string replica = "replica-" + std::to_string(i);
      auto rq = Request(targets[i].first, targets[i].second, replica, 1000);
      rq.max_running_per_user = 3;
      rq.max_running_total = 5;
      ++ready;
      while (ready.load() < static_cast<int>(targets.size())) std::this_thread::yield();
      results[i] = Claim(s, rq);
    });
  }
  for (auto& t : threads) t.join();
  int total = 0;
  int per_user[2] = {0, 0};
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (results[i]) {
      CHECK(results[i]->outcome == pods::ClaimOutcome::kNew);
      ++total;
      ++per_user[targets[i].second == alice ? 0 : 1];
    } else {
      CHECK(results[i].error().code() == Error::Code::kResourceExhausted);
    }
  }
  CHECK(total == 5);
  CHECK(per_user[0] <= 3);
  CHECK(per_user[1] <= 3);
  auto held = store::Transact(s, TxKind::kRead, [](Transaction& tx) { return pods::ListHeld(tx); });
  REQUIRE(held);
  CHECK(held->size() == 5);

  // A released lease no longer counts; an expired one still does (its pod may still run).
  const auto first_won =
      std::find_if(results.begin(), results.end(), [](const auto& r) { return r.has_value(); });
  REQUIRE(first_won != results.end());
  const PodRecord& lease = (*first_won)->lease;
  REQUIRE(Write(s, [&](Transaction& tx) {
    return pods::Release(tx, lease.workspace_id, lease.replica, lease.generation, 1100);
  }));
  // A workspace of the same owner that was refused: its claim now fits both limits.
  std::string released_owner;
  for (const auto& [ws, owner] : targets) {
    if (ws == lease.workspace_id) released_owner = owner;
  }
  std::size_t refused = 0;
  while (refused < targets.size() &&
         (results[refused] || targets[refused].second != released_owner)) {
    ++refused;
  }
  auto rq = Request(targets[refused].first, targets[refused].second, "late", 99999);
  rq.max_running_per_user = 3;
  rq.max_running_total = 5;
  CHECK(Claim(s, rq));  // one slot freed by the release, though every other lease expired
  auto another = std::find_if(results.begin() + static_cast<std::ptrdiff_t>(refused) + 1,
                              results.end(), [](const auto& r) { return !r.has_value(); });
  REQUIRE(another != results.end());
  const auto& t = targets[static_cast<std::size_t>(another - results.begin())];
  auto full = Request(t.first, t.second, "late", 99999);
  full.max_running_per_user = 3;
  full.max_running_total = 5;
  auto refused_again = Claim(s, full);
  REQUIRE_FALSE(refused_again);
  CHECK(refused_again.error().code() == Error::Code::kResourceExhausted);
}

}  // namespace
}  // namespace codeyard
