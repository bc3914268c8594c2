// Pod::Reset on real local pods: whatever one program leaves behind (processes however they
// hid, files, IPC objects, a changed login environment, modes) is gone before the next runs,
// and the pod still runs programs normally afterwards.
#include <csignal>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "codeyard/backend/registry.hpp"
#include "codeyard/id.hpp"
#include "executor/pod_fixture.hpp"

using namespace codeyard;
using namespace codeyard::testing;
using namespace std::chrono_literals;

namespace {

// Every process of the pod as the pod sees it, but for PID 1 (the init) and this probe itself.
// A process may end between the listing and the read (the fork loop's children do, all the
// time): it is then gone, not an error.
const char* const kOthers =
    "import os\n"
    "me = os.getpid()\n"
    "for p in sorted(os.listdir('/proc')):\n"
    "    if p.isdigit() and int(p) not in (1, me):\n"
    "        try:\n"
    "            print(p, open('/proc/%s/comm' % p).read().strip())\n"
    "        except (FileNotFoundError, ProcessLookupError):\n"
    "            pass\n";

// From "/": the program before may have locked the workspace (cwd) away.
std::string OtherProcesses(Pod& pod) {
  ExecSpec spec;
  spec.argv = {"python3", "-c", kOthers};
  spec.cwd = "/";
  spec.wall_time_limit = 30s;
  const Ran ran = RunSpec(pod, spec);
  REQUIRE(ran.status.exit_code == 0);
  return ran.out;
}

}  // namespace

TEST_CASE("reset: no process, file, IPC object or login setting survives", "[executor][reset]") {
  PodFixture f;
  auto pod = f.NewPod();

  // A background job, a double-forked daemon in its own session, a stopped process, and a
  // loop forking as fast as it can while the reset kills it (a fork racing the kill).
  const Ran left =
      Shell(*pod,
            "sleep 1000 > /dev/null 2>&1 &\n"
            "(setsid sh -c 'sleep 1000' > /dev/null 2>&1 < /dev/null &) &\n"
            "sh -c 'kill -STOP $$' > /dev/null 2>&1 &\n"
            "(while :; do sh -c 'exit 0'; done) > /dev/null 2>&1 &\n"
            "echo x > /tmp/a; mkdir -p /tmp/d/e; echo y > /tmp/d/e/f; chmod 0 /tmp/d\n"
            "echo s > /dev/shm/s\n"
            "mkdir -p sub/deeper; echo w > sub/deeper/w; chmod 0 sub\n"
            "echo 'export LEAK=1' > $HOME/.profile; sh -l -c 'echo \"[$LEAK]\"'\n"
            "ipcmk -M 4096 > /dev/null && ipcmk -Q > /dev/null && ipcmk -S 1 > /dev/null\n"
            "ipcs -m -q -s | grep -c '^0x'\n"
            "chmod 0 /workspace\n"
            "echo done");
  // What the checks below look for is there before the reset.
  REQUIRE(left.out == "[1]\n3\ndone\n");
  // A process this caller still holds.
  ExecSpec held_spec;
  held_spec.argv = {"sleep", "1000"};
  held_spec.cwd = "/";
  auto held = pod->Exec(held_spec);
  REQUIRE(held.has_value());
  CHECK(!OtherProcesses(*pod).empty());

  REQUIRE(pod->Reset().has_value());

  CHECK(OtherProcesses(*pod).empty());
  const auto status = (*held)->Wait();
  REQUIRE(status.has_value());
  CHECK(status->signal == SIGKILL);
  const Ran files = Shell(*pod, "ls -A /tmp /dev/shm /workspace; stat -c %a /workspace");
  CHECK(files.out == "/dev/shm:\n\n/tmp:\n\n/workspace:\n755\n");
  const Ran ipc = Shell(*pod, "ipcs -m -q -s | grep -c '^0x' || true");
  CHECK(ipc.out == "0\n");
  const Ran login = Shell(*pod, "sh -l -c 'echo \"[$LEAK]\"'");
  CHECK(login.out == "[]\n");
}

TEST_CASE("reset: the pod runs the next program as a fresh one would", "[executor][reset]") {
  PodFixture f;
  auto pod = f.NewPod();
  for (int round = 0; round < 3; ++round) {
    const std::vector<FileData> files = {
        {"main.py", FileKind::kFile, "print(open('in.txt').read().strip() * 2)\n", 0644, {}},
        {"in.txt", FileKind::kFile, std::to_string(round), 0644, {}}};
    REQUIRE(pod->PutFiles(files).has_value());
    const Ran ran = RunIn(*pod, {"python3", "main.py"});
    CHECK(ran.status.exit_code == 0);
    CHECK(ran.out == std::to_string(round) + std::to_string(round) + "\n");
    REQUIRE(pod->Reset().has_value());
    auto listed = pod->ListFiles({});
    REQUIRE(listed.has_value());
    CHECK(listed->empty());
  }
}

TEST_CASE("reset: a deleted pod cannot be reset", "[executor][reset]") {
  PodFixture f;
  auto pod = f.NewPod();
  REQUIRE(f.executor().DeletePod(pod->id()).has_value());
  const auto reset = pod->Reset();
  REQUIRE(!reset.has_value());
  CHECK(reset.error().code() == Error::Code::kFailedPrecondition);
}

// A read-only bind the pod was given under /tmp (`ro_bind=`: a test's build directory under
// /tmp, as on a CI clone) is not the programs' to remove: the reset empties /tmp around it.
TEST_CASE("reset: a read-only bind under /tmp stays, and the rest of /tmp is emptied",
          "[executor][reset]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path("/tmp") / ("cy-reset-bind-" + NewUuid()) / "bin";
  fs::create_directories(dir);
  for (fs::path p = dir; p != "/tmp"; p = p.parent_path()) {
    fs::permissions(p, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec);
  }
  { std::ofstream(dir / "tool") << "kept\n"; }
  PodFixture f;
  auto executor =
      BackendRegistry::WithBuiltins().OpenExecutor(f.uri() + "&ro_bind=" + dir.string(), {});
  REQUIRE(executor.has_value());
  auto pod = (*executor)->CreatePod(PodFixture::DefaultSpec());
  REQUIRE(pod.has_value());
  const Ran before =
      Shell(**pod, "echo x > /tmp/mine; mkdir -p /tmp/d; echo y > /tmp/d/f; echo ok");
  REQUIRE(before.out == "ok\n");

  REQUIRE((*pod)->Reset().has_value());

  const Ran after = Shell(
      **pod, "cat " + (dir / "tool").string() + "; ls -A /tmp | grep -v '^cy-reset-bind-' | wc -l");
  CHECK(after.out == "kept\n0\n");
  (void)(*executor)->DeletePod((**pod).id());
  fs::remove_all(dir.parent_path());
}
