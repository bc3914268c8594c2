// Workspaces after a crash: a process running a workspace is SIGKILLed with files in the
// pod that no sync pass has saved yet; once its lease expires, the next replica on the same
// storage and executor state takes the workspace over. On both backends.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>

#include "codeyard/backend/registry.hpp"
#include "core/store/pods.hpp"
#include "core/store/transact.hpp"
#include "services/workspace_world.hpp"

using namespace codeyard;
using namespace codeyard::testing;

namespace {

// Runs the crash helper until it says "ready", then SIGKILLs it.
void RunAndCrash(const std::string& uri, const std::string& state_dir, const std::string& user,
                 const std::string& ws) {
  int out[2];
  REQUIRE(::pipe(out) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    ::execl(CODEYARD_CRASH_HELPER, CODEYARD_CRASH_HELPER, uri.c_str(), state_dir.c_str(),
            user.c_str(), ws.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  std::string said;
  char buffer[64];
  for (ssize_t n;
       said.find('\n') == std::string::npos && (n = ::read(out[0], buffer, sizeof(buffer))) > 0;) {
    said.append(buffer, static_cast<size_t>(n));
  }
  ::close(out[0]);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  REQUIRE(said == "ready\n");
}

PodRecord StoredLease(const WorkspaceWorld& w, const std::string& ws) {
  auto lease = store::Transact(w.platform().storage(), TxKind::kRead,
                               [&](Transaction& tx) { return store::pods::Get(tx, ws); });
  REQUIRE(lease.has_value());
  return *lease;
}

}  // namespace

TEMPLATE_TEST_CASE(
    "workspaces: after a crash, the next replica takes the pod over once the "
    "lease expires",
    "[workspaces][recovery]", CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  const std::string uri = db->uri();
  WorkspaceOptions options;
  options.replica_id = "survivor";
  options.lease_renew = std::chrono::milliseconds(0);
  WorkspaceWorld w(std::move(db), options);
  auto ws = w.workspaces().Create(w.alice, "crashy");
  REQUIRE(ws.has_value());

  RunAndCrash(uri, w.state_dir().string(), w.alice, ws->id);
  CHECK(w.Stored(w.alice, ws->id, "synced.txt") == "synced by exec\n");
  CHECK(w.Stored(w.alice, ws->id, "unsynced.txt") == "<missing>");  // only in the pod
  const PodRecord dead = StoredLease(w, ws->id);
  CHECK(dead.replica != "survivor");
  REQUIRE_FALSE(dead.pod_id.empty());
  // Nothing happens at start-up any more: the workspace stays the dead replica's until its
  // lease runs out (the crash helper's clock is the real one).
  CHECK(w.workspaces().Get(w.alice, ws->id)->state == WorkspaceState::kRunning);
  const auto real_now = std::chrono::system_clock::now();
  w.clock().Advance(real_now - w.clock().Now() + std::chrono::minutes(1));
  // Whether the dead process's pod can still be reached decides between adopting it (its
  // unsynced file is saved) and replacing it from storage (the file was only in the pod).
  auto executor = BackendRegistry::WithBuiltins().OpenExecutor(
      "local:?state_dir=" + w.state_dir().string(), BackendContext{});
  REQUIRE(executor.has_value());
  const bool reachable = (*executor)->GetPod(dead.pod_id).has_value();

  ExecSpec spec;
  spec.argv = {"sh", "-c", "cat synced.txt; cat unsynced.txt 2>/dev/null || echo gone"};
  auto ran = w.workspaces().Exec(w.alice, ws->id, spec);
  REQUIRE(ran.has_value());
  const PodRecord taken = StoredLease(w, ws->id);
  CHECK(taken.replica == "survivor");
  CHECK(taken.generation == dead.generation + 1);
  CHECK(w.executor().ListPods({{"codeyard.dev/workspace", ws->id}})->size() == 1);
  if (reachable) {
    CHECK(taken.pod_id == dead.pod_id);
    CHECK(ran->stdout_data == "synced by exec\nwritten after the last pass\n");
    CHECK(w.Stored(w.alice, ws->id, "unsynced.txt") == "written after the last pass\n");
  } else {
    CHECK(taken.pod_id != dead.pod_id);
    CHECK(ran->stdout_data == "synced by exec\ngone\n");
  }
  CHECK(w.workspaces().Get(w.alice, ws->id)->state == WorkspaceState::kRunning);
}
