// fault21: storage faults in the workspaces' background rounds, which their threads run (a
// lease renewal, a usage sample, an idle stop) and which the operations' test
// (storage_faults_test.cpp) leaves to a healthy storage: here the test's thread runs each round
// with storage call k failing, k = 1, 2, ..., and checks what suits a round.
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "services/storage_faults.hpp"

namespace codeyard::storage_faults {
namespace {

using Code = Error::Code;
using testing::Must;

// The workspaces' background rounds (the threads call them; here the test's thread does, so
// the plan counts their calls): a lease renewal, a usage sample, an idle stop. Each round is
// many transactions, one per workspace, and reports by a count, logging what failed: a failed
// round is one that did less, never one that lost what it held. Runs `round` with storage call
// k failing, and every later one, for k = 1, 2, ..., calling `after` (healthy storage) after
// each faulted round, until a round runs clean; returns how many were faulted.
int64_t FaultEveryRound(FaultyDatabase& db, Code code, const std::function<void()>& round,
                        const std::function<void(int64_t k)>& after) {
  FaultPlan& plan = db.faulty().plan;
  for (int64_t k = 1;; ++k) {
    REQUIRE(k < 500);
    plan.Arm(k, code);
    round();
    plan.Disarm();
    if (plan.failed == 0) return k - 1;
    INFO(CodeName(code) << " from storage call " << k << ", the first failed: " << plan.first);
    after(k);
  }
}

// A change in the workspace's pod that no pass has stored yet, as a terminal's command makes.
void ChangeInPod(World& w, const std::string& user, const std::string& id,
                 const std::string& content) {
  ExecSpec spec;
  spec.argv = {"sh", "-c", "echo " + content + " > typed.txt"};
  auto process = Must(Must(w.workspaces->PodOf(user, id))->Exec(spec));
  while (Must(process->ReadOutput(std::nullopt))) {
  }
  Must(process->Wait());
}

std::string Stored(World& w, const std::string& user, const std::string& id) {
  auto file = w.reviews.files().Read(user, id, "typed.txt");
  return file ? file->content : "";
}

TEMPLATE_TEST_CASE(
    "storage faults in the workspaces' background rounds: a failed round keeps what it held, "
    "and the next one completes it",
    "[faults][storage_faults]", CODEYARD_STORAGE_BACKENDS) {
  World w(TestType::Create());
  const Code faults[] = {Code::kInternal, Code::kUnavailable, Code::kDeadlineExceeded};
  ManualClock& clock = w.reviews.clock();
  std::vector<std::pair<std::string, std::string>> held;  // user, workspace
  for (int i = 0; i < 2; ++i) {
    const std::string user = w.reviews.AddUser("bg" + std::to_string(i), 0);
    const std::string id = Must(w.workspaces->Create(user, "bg")).id;
    Must(w.reviews.files().Write(user, id, "a.txt", "a\n"));
    Must(w.workspaces->Open(user, id));
    held.emplace_back(user, id);
  }
  REQUIRE(w.workspaces->Stats().running == 2);
  int64_t faulted = 0;

  // Lease renewals: a storage error is no news about the lease (only a stale one drops it), so
  // every lease is still held after each failed round, and the next clean round renews both.
  for (const Code code : faults) {
    faulted += FaultEveryRound(
        *w.db, code,
        [&] {
          clock.Advance(std::chrono::seconds(1));
          (void)w.workspaces->RenewLeases();
        },
        [&](int64_t) {
          CHECK(w.workspaces->Stats().running == 2);
          CHECK(w.workspaces->RenewLeases() == 2);
        });
  }

  // Usage samples: a storage error (a statement timeout is kDeadlineExceeded too) is not the
  // pod's silence: nothing is replaced as hung, and the next clean round samples both pods.
  for (const Code code : faults) {
    faulted += FaultEveryRound(
        *w.db, code, [&] { (void)w.workspaces->SampleUsage(); },
        [&](int64_t) { CHECK(w.workspaces->SampleUsage() == 2); });
  }
  // Two rounds in a row whose first sample's write times out (storage call 4, its Begin, after
  // the workspace's read): a pod that leaves two samples unanswered is replaced as hung, and this
  // one answered both times.
  FaultPlan& plan = w.db->faulty().plan;
  for (int round = 0; round < 2; ++round) {
    plan.Arm(4, Code::kDeadlineExceeded);
    (void)w.workspaces->SampleUsage();
    plan.Disarm();
  }
  CHECK(w.workspaces->SampleUsage() == 2);
  CHECK(w.workspaces->Stats().hung_pods_replaced == 0);

  // The idle stop, of a workspace whose pod holds a change no pass has stored yet (a terminal's
  // write): a failed round leaves the workspace running with its pod, or stopped with the
  // change stored, or "stopping" with it stored (the final sync done, the pod gone, the lease's
  // release failed: what a replica dying there leaves, which a sweep ends once the lease
  // lapses); the change is never lost, and a clean sweep a lease later stops every one.
  for (const Code code : faults) {
    for (const auto& [user, id] : held) {
      if (Must(w.workspaces->Get(user, id)).state != WorkspaceState::kRunning) {
        Must(w.workspaces->Open(user, id));
      }
      ChangeInPod(w, user, id, std::string(CodeName(code)));
    }
    clock.Advance(std::chrono::minutes(16));
    faulted += FaultEveryRound(
        *w.db, code, [&] { (void)w.workspaces->StopIdle(); },
        [&](int64_t) {
          for (const auto& [user, id] : held) {
            const Workspace ws = Must(w.workspaces->Get(user, id));
            if (ws.state == WorkspaceState::kRunning) continue;
            CHECK((ws.state == WorkspaceState::kStopped || ws.state == WorkspaceState::kStopping));
            CHECK(Must(w.reviews.files().Read(user, id, "typed.txt")).content ==
                  std::string(CodeName(code)) + "\n");
          }
        });
    clock.Advance(std::chrono::seconds(16));  // a lease (15 s) left unreleased has lapsed
    Must(w.workspaces->StopIdle());
    for (const auto& [user, id] : held) {
      CHECK(Must(w.workspaces->Get(user, id)).state == WorkspaceState::kStopped);
      CHECK(Must(w.reviews.files().Read(user, id, "typed.txt")).content ==
            std::string(CodeName(code)) + "\n");
    }
    CHECK(Must(w.executor->ListPods({{"codeyard.dev/purpose", "workspace"}})).empty());
  }
  // With -s: the figures docs/reliability.md quotes.
  WARN("background rounds: " << faulted << " faulted runs");
}

// The way out of a server (StopAll: a final pass, then the pod deleted) and of a replica in a
// rolling restart (HandOff: a final pass, then the lease ended), of a workspace whose pod holds
// a change no pass has stored. A faulted run leaves the workspace stopped with the
// change stored, or its pod kept with the change in it (StopAll: running under its lease, or
// "stopping" with it stored; HandOff: the lease left to lapse): the change is never lost. Then,
// on healthy storage, what comes after finishes it: for StopAll the idle sweep a lease later,
// for HandOff the next holder, which adopts the same pod (shells and all) and stores the change.
TEMPLATE_TEST_CASE("storage faults at shutdown: StopAll and HandOff lose no change",
                   "[faults][storage_faults]", CODEYARD_STORAGE_BACKENDS) {
  World w(TestType::Create());
  ManualClock& clock = w.reviews.clock();
  FaultPlan& plan = w.db->faulty().plan;
  // One workspace: every call from k on fails, so a second would only fail the same way.
  std::vector<std::pair<std::string, std::string>> held;  // user, workspace
  const std::string out = w.reviews.AddUser("out", 0);
  held.emplace_back(out, Must(w.workspaces->Create(out, "out")).id);
  const auto far = std::chrono::steady_clock::now() + std::chrono::hours(1);
  int64_t faulted = 0;
  int round = 0;
  auto change_each = [&] {
    ++round;
    for (const auto& [user, id] : held) {
      if (Must(w.workspaces->Get(user, id)).state != WorkspaceState::kRunning) {
        Must(w.workspaces->Open(user, id));
      }
      ChangeInPod(w, user, id, "round" + std::to_string(round));
    }
  };
  const auto want = [&] { return "round" + std::to_string(round) + "\n"; };

  for (const Code code : {Code::kInternal, Code::kUnavailable, Code::kDeadlineExceeded}) {
    for (int64_t k = 1;; ++k) {
      REQUIRE(k < 500);
      INFO("StopAll: " << CodeName(code) << " from storage call " << k);
      change_each();
      plan.Arm(k, code);
      const StopAllReport report = w.workspaces->StopAll(far);
      plan.Disarm();
      INFO("the first failed: " << plan.first);
      if (plan.failed == 0) {
        CHECK(report.synced == 1);
      } else {
        ++faulted;
        for (const auto& [user, id] : held) {
          const Workspace ws = Must(w.workspaces->Get(user, id));
          if (ws.state == WorkspaceState::kRunning) {
            CHECK(Must(w.workspaces->RunningPod(id)) != nullptr);  // kept, with the change
          } else {
            CHECK(Stored(w, user, id) == want());
          }
        }
        clock.Advance(std::chrono::minutes(16));  // idle, and any lease left has lapsed
        CHECK(Must(w.workspaces->StopIdle()) >= 0);
      }
      for (const auto& [user, id] : held) {
        CHECK(Must(w.workspaces->Get(user, id)).state == WorkspaceState::kStopped);
        CHECK(Stored(w, user, id) == want());
      }
      CHECK(Must(w.executor->ListPods({{"codeyard.dev/purpose", "workspace"}})).empty());
      if (plan.failed == 0) break;
    }
  }

  for (const Code code : {Code::kInternal, Code::kUnavailable, Code::kDeadlineExceeded}) {
    for (int64_t k = 1;; ++k) {
      REQUIRE(k < 500);
      INFO("HandOff: " << CodeName(code) << " from storage call " << k);
      change_each();
      std::vector<std::string> pods;
      for (const auto& [user, id] : held) pods.push_back(Must(w.workspaces->PodOf(user, id))->id());
      plan.Arm(k, code);
      const int handed = w.workspaces->HandOff(far);
      plan.Disarm();
      INFO("the first failed: " << plan.first);
      if (plan.failed == 0) CHECK(handed == 1);
      if (plan.failed > 0) ++faulted;
      clock.Advance(std::chrono::seconds(16));  // a lease left to lapse has
      for (size_t i = 0; i < held.size(); ++i) {
        const auto& [user, id] = held[i];
        // The next holder (here the same object, as a successor would) adopts the pod.
        Must(w.workspaces->Sync(user, id));
        CHECK(Must(w.workspaces->PodOf(user, id))->id() == pods[i]);
        CHECK(Stored(w, user, id) == want());
      }
      if (plan.failed == 0) break;
    }
  }
  WARN("StopAll and HandOff: " << faulted << " faulted runs");
}

// The pass a terminal's command asks for (SyncSoon), run by the workspaces' background thread:
// storage fails for every thread from call k while it runs. A faulted pass leaves the change
// in the pod or stores it whole; the workspace keeps its pod; the next request's pass stores it.
TEMPLATE_TEST_CASE("storage faults in a terminal's debounced pass: the next pass stores the change",
                   "[faults][storage_faults]", CODEYARD_STORAGE_BACKENDS) {
  World w(TestType::Create());
  FaultPlan& plan = w.db->faulty().plan;
  const std::string user = w.reviews.AddUser("typist", 0);
  const std::string id = Must(w.workspaces->Create(user, "typed")).id;
  Must(w.workspaces->Open(user, id));
  const std::string pod = Must(w.workspaces->PodOf(user, id))->id();
  // Asks for a pass and waits until the background thread has dealt with it.
  auto pass = [&] {
    const uint64_t before = w.workspaces->Stats().sync_requests_served;
    w.workspaces->SyncSoon(id);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (w.workspaces->Stats().sync_requests_served == before) {
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  };
  int64_t faulted = 0;
  int round = 0;
  for (const Code code : {Code::kInternal, Code::kUnavailable, Code::kDeadlineExceeded}) {
    for (int64_t k = 1;; ++k) {
      REQUIRE(k < 500);
      INFO(CodeName(code) << " from storage call " << k);
      const std::string content = "typed" + std::to_string(++round);
      ChangeInPod(w, user, id, content);
      plan.Arm(k, code, /*on_any_thread=*/true);
      pass();
      plan.Disarm();
      INFO("the first failed: " << plan.first);
      const std::string stored = Stored(w, user, id);
      if (plan.failed == 0) {
        CHECK(stored == content + "\n");
        break;
      }
      ++faulted;
      CHECK(Must(w.workspaces->RunningPod(id))->id() == pod);
      pass();
      CHECK(Stored(w, user, id) == content + "\n");
    }
  }
  CHECK(Must(w.workspaces->PodOf(user, id))->id() == pod);
  WARN("debounced passes: " << faulted << " faulted runs");
}

}  // namespace
}  // namespace codeyard::storage_faults
