// Workspaces after a crash: a process running a workspace is SIGKILLed with files in the
// pod that no sync pass has saved yet; the next Workspaces on the same storage and executor
// state saves them before anything else. On both backends.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>

#include "codeyard/backend/registry.hpp"
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

}  // namespace

TEMPLATE_TEST_CASE("workspaces: after a crash, the next start saves what the pod held",
                   "[workspaces][recovery]", CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  const std::string uri = db->uri();
  WorkspaceWorld w(std::move(db));
  auto ws = w.workspaces().Create(w.alice, "crashy");
  REQUIRE(ws.has_value());

  RunAndCrash(uri, w.state_dir().string(), w.alice, ws->id);
  CHECK(w.Stored(w.alice, ws->id, "synced.txt") == "synced by exec\n");
  CHECK(w.Stored(w.alice, ws->id, "unsynced.txt") == "<missing>");  // only in the pod

  auto executor = BackendRegistry::WithBuiltins().OpenExecutor(
      "local:?state_dir=" + w.state_dir().string(), BackendContext{});
  REQUIRE(executor.has_value());
  {
    Workspaces after(w.platform(), *executor, WorkspaceOptions{});
    CHECK(w.Stored(w.alice, ws->id, "unsynced.txt") == "written after the last pass\n");
    CHECK(after.Get(w.alice, ws->id)->state == WorkspaceState::kStopped);
    auto left = (*executor)->ListPods({{"codeyard.dev/purpose", "workspace"}});
    REQUIRE(left.has_value());
    CHECK(left->empty());
    ExecSpec spec;
    spec.argv = {"cat", "unsynced.txt"};
    auto ran = after.Exec(w.alice, ws->id, spec);
    REQUIRE(ran.has_value());
    CHECK(ran->stdout_data == "written after the last pass\n");
  }
}
