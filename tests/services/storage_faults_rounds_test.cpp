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
      ExecSpec spec;
      spec.argv = {"sh", "-c", "echo " + std::string(CodeName(code)) + " > typed.txt"};
      auto process = Must(Must(w.workspaces->PodOf(user, id))->Exec(spec));
      while (Must(process->ReadOutput(std::nullopt))) {
      }
      Must(process->Wait());
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

}  // namespace
}  // namespace codeyard::storage_faults
