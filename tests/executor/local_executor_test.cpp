// What the local executor promises through the Executor/Pod/Process interface, on real
// pods: exec (argv, env, cwd, stdin, exit codes, signals, limits), terminals, files,
// listing by label, deletion that leaves nothing behind, and the orphan sweep.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "codeyard/backend/registry.hpp"
#include "codeyard/id.hpp"
#include "executor/local/local_pod.hpp"
#include "executor/pod_fixture.hpp"

using namespace codeyard;
using namespace codeyard::testing;
using namespace std::chrono_literals;

TEST_CASE("exec runs argv with env, cwd and stdin, and reports the exit", "[executor]") {
  PodFixture f;
  auto pod = f.NewPod();
  const Ran echo = RunIn(*pod, {"echo", "hello", "pod"});
  CHECK(echo.out == "hello pod\n");
  CHECK(echo.status.exit_code == 0);
  CHECK_FALSE(echo.status.signal);

  ExecSpec spec;
  spec.argv = {"sh", "-c", "pwd; echo $GREETING; cat; echo oops >&2; exit 7"};
  spec.env["GREETING"] = "hi";
  spec.cwd = "/tmp";
  spec.stdin_data = "from stdin\n";
  const Ran ran = RunSpec(*pod, spec);
  CHECK(ran.out == "/tmp\nhi\nfrom stdin\n");
  CHECK(ran.err == "oops\n");
  CHECK(ran.status.exit_code == 7);

  const Ran id = RunIn(*pod, {"id", "-u"});
  CHECK(id.out == "1000\n");
}

TEST_CASE("exec errors are clear: missing program, bad cwd, empty argv", "[executor]") {
  PodFixture f;
  auto pod = f.NewPod();
  ExecSpec spec;
  spec.argv = {"no-such-program-xyz"};
  auto missing = pod->Exec(spec);
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code() == Error::Code::kNotFound);
  CHECK_THAT(missing.error().message(), Catch::Contains("no-such-program-xyz"));

  spec.argv = {"true"};
  spec.cwd = "/does/not/exist";
  auto bad_cwd = pod->Exec(spec);
  REQUIRE_FALSE(bad_cwd.has_value());
  CHECK(bad_cwd.error().code() == Error::Code::kNotFound);

  spec.cwd = "relative";
  CHECK(pod->Exec(spec).error().code() == Error::Code::kInvalidArgument);
  spec.argv.clear();
  spec.cwd = "/workspace";
  CHECK(pod->Exec(spec).error().code() == Error::Code::kInvalidArgument);
}

TEST_CASE("signals, wall time and cpu time limits", "[executor]") {
  PodFixture f;
  auto pod = f.NewPod();
  SECTION("a signal ends the process and is reported") {
    ExecSpec spec;
    spec.argv = {"sleep", "60"};
    spec.stdin_open = true;
    auto process = pod->Exec(spec);
    REQUIRE(process.has_value());
    REQUIRE((*process)->Signal(SIGTERM).has_value());
    auto status = (*process)->Wait();
    REQUIRE(status.has_value());
    CHECK(status->signal == SIGTERM);
    CHECK_FALSE(status->exit_code);
    CHECK((*process)->Signal(SIGTERM).error().code() == Error::Code::kFailedPrecondition);
  }
  SECTION("the wall limit kills a sleeper") {
    ExecSpec spec;
    spec.argv = {"sleep", "60"};
    spec.wall_time_limit = 300ms;
    const Ran ran = RunSpec(*pod, spec);
    CHECK(ran.status.time_limit_exceeded);
    CHECK(ran.status.signal == SIGKILL);
    CHECK(ran.status.wall_ms >= 300);
    CHECK(ran.status.wall_ms < 5000);
  }
  SECTION("the cpu limit stops a busy loop") {
    ExecSpec spec;
    spec.argv = {"sh", "-c", "while :; do :; done"};
    spec.cpu_time_limit = 1000ms;
    spec.wall_time_limit = 20s;
    const Ran ran = RunSpec(*pod, spec);
    CHECK(ran.status.time_limit_exceeded);
    CHECK(ran.status.cpu_ms >= 500);  // rusage reads CPU time sampled from ticks: up to ~15% low
    CHECK(ran.status.wall_ms < 10000);
  }
}

TEST_CASE("a terminal exec gets a tty of the asked size and can be resized", "[executor]") {
  PodFixture f;
  auto pod = f.NewPod();
  ExecSpec spec;
  spec.argv = {"sh", "-c", "stty size; read line; stty size; echo got:$line"};
  spec.tty = true;
  spec.tty_size = {30, 100};
  spec.stdin_open = true;
  spec.wall_time_limit = 30s;
  auto process = pod->Exec(spec);
  REQUIRE(process.has_value());
  std::string out;
  while (out.find("30 100") == std::string::npos) {
    auto chunk = (*process)->ReadOutput(10s);
    REQUIRE(chunk.has_value());
    REQUIRE(chunk->has_value());
    out += (*chunk)->data;
  }
  REQUIRE((*process)->Resize({40, 120}).has_value());
  REQUIRE((*process)->WriteStdin("typed\n").has_value());
  while (true) {
    auto chunk = (*process)->ReadOutput(10s);
    REQUIRE(chunk.has_value());
    if (!*chunk) break;
    out += (*chunk)->data;
  }
  CHECK_THAT(out, Catch::Contains("40 120"));
  CHECK_THAT(out, Catch::Contains("got:typed"));
  auto status = (*process)->Wait();
  REQUIRE(status.has_value());
  CHECK(status->exit_code == 0);

  ExecSpec pipes;
  pipes.argv = {"true"};
  auto plain = pod->Exec(pipes);
  REQUIRE(plain.has_value());
  CHECK((*plain)->Resize({10, 10}).error().code() == Error::Code::kFailedPrecondition);
}

TEST_CASE("a terminal driver queues input without blocking and can be interrupted", "[executor]") {
  PodFixture f;
  auto pod = f.NewPod();
  ExecSpec spec;
  spec.argv = {"cat"};
  spec.tty = true;
  spec.stdin_open = true;
  spec.wall_time_limit = 60s;
  auto started = pod->Exec(spec);
  REQUIRE(started.has_value());
  Process& process = **started;

  // Interrupt wakes a ReadOutput blocked (with no timeout) on another thread.
  auto blocked = std::async(std::launch::async, [&] { return process.ReadOutput(std::nullopt); });
  process.Interrupt();
  REQUIRE(blocked.wait_for(10s) == std::future_status::ready);
  const auto woken = blocked.get();
  REQUIRE_FALSE(woken.has_value());
  CHECK(woken.error().code() == Error::Code::kAborted);

  // 1 MiB of input is far more than a terminal buffers while nobody reads the echo: it is
  // queued, not written, and a second MiB over the cap is refused.
  std::string input;
  const std::string line(99, 'x');
  while (input.size() < (std::size_t{1} << 20) - 200) input += line + "\n";
  input += "END\n";
  REQUIRE(process.QueueStdin(input, std::size_t{1} << 20).has_value());
  const auto over = process.QueueStdin(input, std::size_t{1} << 20);
  REQUIRE_FALSE(over.has_value());
  CHECK(over.error().code() == Error::Code::kResourceExhausted);

  // Reading the output lets the queued input through: the echo and cat's copy both end.
  std::string out;
  std::size_t ends = 0;
  while (ends < 2) {
    auto chunk = process.ReadOutput(30s);
    REQUIRE(chunk.has_value());
    REQUIRE(chunk->has_value());
    out += (*chunk)->data;
    ends = 0;
    for (auto at = out.find("END"); at != std::string::npos; at = out.find("END", at + 1)) ++ends;
  }
  CHECK(out.size() > 2 * ((std::size_t{1} << 20) - 200));
  REQUIRE(process.Signal(SIGKILL).has_value());
  CHECK(process.Wait().has_value());
}

TEST_CASE("output over the cap is truncated, flagged, and the process killed", "[executor]") {
  PodFixture f;
  auto pod = f.NewPod();
  ExecSpec spec;
  spec.argv = {"sh", "-c", "yes 0123456789"};
  spec.output_limit_bytes = 100000;
  spec.wall_time_limit = 30s;
  const Ran ran = RunSpec(*pod, spec);
  CHECK(ran.out.size() == 100000);
  CHECK(ran.status.output_truncated);
  CHECK(ran.status.signal == SIGKILL);
}

TEST_CASE("workspace files: put, get, list with sha256, delete", "[executor][files]") {
  PodFixture f;
  auto pod = f.NewPod();
  std::vector<FileData> files = {
      {"main.py", FileKind::kFile, "print('hi')\n", 0644, std::nullopt},
      {"pkg/util/helpers.py", FileKind::kFile, std::string("\0\x01\xff", 3), 0600, std::nullopt},
      {"link", FileKind::kSymlink, "main.py", 0777, std::nullopt},
      {"empty", FileKind::kDirectory, "", 0755, std::nullopt},
  };
  REQUIRE(pod->PutFiles(files).has_value());
  const Ran ran = RunIn(*pod, {"python3", "main.py"});
  CHECK(ran.out == "hi\n");
  const Ran owner = Shell(*pod, "stat -c '%u %a' pkg/util/helpers.py && echo new > made.txt");
  CHECK(owner.out == "1000 600\n");

  auto listed = pod->ListFiles({});
  REQUIRE(listed.has_value());
  CHECK(pod->ListFiles({})->size() == listed->size());  // a second listing sees the same
  std::vector<std::string> paths;
  for (const auto& e : *listed) paths.push_back(e.path);
  CHECK(paths == std::vector<std::string>{"empty", "link", "made.txt", "main.py", "pkg", "pkg/util",
                                          "pkg/util/helpers.py"});
  const auto& main = *std::find_if(listed->begin(), listed->end(),
                                   [](const FileEntry& e) { return e.path == "main.py"; });
  CHECK(main.size == 12);
  CHECK(main.sha256 == Sha256Hex("print('hi')\n"));
  const auto& link = *std::find_if(listed->begin(), listed->end(),
                                   [](const FileEntry& e) { return e.path == "link"; });
  CHECK(link.kind == FileKind::kSymlink);
  CHECK(link.target == "main.py");

  const std::vector<std::string> wanted = {"made.txt", "pkg/util/helpers.py", "link"};
  auto got = pod->GetFiles(wanted);
  REQUIRE(got.has_value());
  CHECK((*got)[0].content == "new\n");
  CHECK((*got)[1].content == std::string("\0\x01\xff", 3));
  CHECK((*got)[2].kind == FileKind::kSymlink);
  CHECK((*got)[2].content == "main.py");

  const std::vector<std::string> gone = {"pkg", "missing-is-fine"};
  REQUIRE(pod->DeleteFiles(gone).has_value());
  CHECK(Shell(*pod, "ls").out == "empty\nlink\nmade.txt\nmain.py\n");

  const std::vector<std::string> absent = {"nope.txt"};
  CHECK(pod->GetFiles(absent).error().code() == Error::Code::kNotFound);
  for (const std::string bad : {"/etc/passwd", "../x", "a/./b", "a//b", ""}) {
    std::vector<FileData> one = {{bad, FileKind::kFile, "x", 0644, std::nullopt}};
    CHECK(pod->PutFiles(one).error().code() == Error::Code::kInvalidArgument);
  }
}

TEST_CASE("the workspace size cap refuses a put that does not fit", "[executor][files]") {
  PodFixture f;
  PodSpec spec = PodFixture::DefaultSpec();
  spec.limits.workspace_bytes = uint64_t{1} << 20;
  auto pod = f.NewPod(spec);
  std::vector<FileData> big = {{"big.bin", FileKind::kFile, std::string(2 << 20, 'x'), 0644, {}}};
  auto put = pod->PutFiles(big);
  REQUIRE_FALSE(put.has_value());
  CHECK(put.error().code() == Error::Code::kResourceExhausted);
}

TEST_CASE("pods are listed by label and deleted with everything they started", "[executor]") {
  PodFixture f;
  PodSpec a = PodFixture::DefaultSpec();
  a.labels["role"] = "a";
  PodSpec b = PodFixture::DefaultSpec();
  b.labels["role"] = "b";
  auto pod_a = f.NewPod(a);
  auto pod_b = f.NewPod(b);
  auto only_a = f.executor().ListPods({{"role", "a"}});
  REQUIRE(only_a.has_value());
  REQUIRE(only_a->size() == 1);
  CHECK(only_a->front().id == pod_a->id());
  CHECK(only_a->front().phase == PodPhase::kRunning);
  CHECK(f.executor().ListPods({})->size() == 2);
  CHECK(f.executor().GetPod(pod_b->id()).value()->id() == pod_b->id());

  // A daemon that double-forks into its own session still dies with its pod.
  const Ran daemon = Shell(*pod_a,
                           "setsid sh -c 'sleep 1000 & sleep 1000' >/dev/null 2>&1 & "
                           "(sleep 1000 &) ; echo started");
  CHECK(daemon.out == "started\n");
  const uint32_t uid = f.HostUid(*pod_a);
  CHECK(HostProcessesOf(uid).size() >= 3);
  REQUIRE(f.executor().DeletePod(pod_a->id()).has_value());
  CHECK(HostProcessesOf(uid).empty());
  CHECK_FALSE(std::filesystem::exists(f.state_dir() / pod_a->id()));
  CHECK(f.executor().GetPod(pod_a->id()).error().code() == Error::Code::kNotFound);
  CHECK(f.executor().DeletePod(pod_a->id()).error().code() == Error::Code::kNotFound);
  ExecSpec spec;
  spec.argv = {"true"};
  CHECK(pod_a->Exec(spec).error().code() == Error::Code::kFailedPrecondition);
  CHECK(pod_a->Info().phase == PodPhase::kTerminated);
}

TEST_CASE("pods without memory and pids limits are refused unless allowed", "[executor]") {
  PodFixture f;
  PodSpec spec;
  auto refused = f.executor().CreatePod(spec);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code() == Error::Code::kFailedPrecondition);
  CHECK_THAT(refused.error().message(), Catch::Contains("allow_unlimited"));

  auto allowed = BackendRegistry::WithBuiltins().OpenExecutor(f.uri() + "&allow_unlimited=1", {});
  REQUIRE(allowed.has_value());
  auto pod = (*allowed)->CreatePod(spec);
  REQUIRE(pod.has_value());
  CHECK(RunIn(**pod, {"true"}).status.exit_code == 0);

  PodSpec bad = PodFixture::DefaultSpec();
  bad.labels["bad label"] = "x";
  CHECK(f.executor().CreatePod(bad).error().code() == Error::Code::kInvalidArgument);
  CHECK(BackendRegistry::WithBuiltins().OpenExecutor("local:?color=blue", {}).error().code() ==
        Error::Code::kInvalidArgument);
}

TEST_CASE("pods of a process that died are removed by the next executor", "[executor]") {
  PodFixture f;
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const pid_t owner = ::fork();
  REQUIRE(owner >= 0);
  if (owner == 0) {
    // A would-be server: makes a pod with a background process, then is killed.
    ::close(ready[0]);
    auto executor = BackendRegistry::WithBuiltins().OpenExecutor(f.uri(), {});
    if (!executor) ::_exit(1);
    PodSpec spec = PodFixture::DefaultSpec();
    spec.labels["owner"] = "doomed";
    auto pod = (*executor)->CreatePod(spec);
    if (!pod) ::_exit(2);
    ExecSpec exec;
    exec.argv = {"sh", "-c", "sleep 1000 & echo x"};
    auto process = (*pod)->Exec(exec);
    if (!process || !(*process)->Wait()) ::_exit(3);
    (void)!::write(ready[1], "k", 1);
    ::pause();
    ::_exit(0);
  }
  ::close(ready[1]);
  char byte = 0;
  REQUIRE(::read(ready[0], &byte, 1) == 1);
  ::close(ready[0]);
  auto listed = f.executor().ListPods({{"owner", "doomed"}});
  REQUIRE(listed.has_value());
  REQUIRE(listed->size() == 1);
  const std::string id = listed->front().id;
  CHECK(listed->front().phase == PodPhase::kRunning);
  // A one-shot pod is its creator's alone: no other process may hold it.
  CHECK(f.executor().GetPod(id).error().code() == Error::Code::kFailedPrecondition);
  ::kill(owner, SIGKILL);
  ::waitpid(owner, nullptr, 0);

  auto after = f.executor().ListPods({{"owner", "doomed"}});
  REQUIRE(after->size() == 1);
  CHECK(after->front().phase == PodPhase::kTerminated);

  auto next = BackendRegistry::WithBuiltins().OpenExecutor(f.uri(), {});
  REQUIRE(next.has_value());
  CHECK((*next)->ListPods({{"owner", "doomed"}})->empty());
  CHECK_FALSE(std::filesystem::exists(f.state_dir() / id));
}

TEST_CASE("ExecutorWrapper forwards every call", "[executor]") {
  PodFixture f;
  struct Counting : ExecutorWrapper {
    using ExecutorWrapper::ExecutorWrapper;
    int creates = 0;
    Result<std::shared_ptr<Pod>> CreatePod(const PodSpec& spec) override {
      ++creates;
      if (creates == 2) return Fail(Error::Code::kUnavailable, "injected");
      return ExecutorWrapper::CreatePod(spec);
    }
  };
  Counting wrapper(f.shared());
  auto pod = wrapper.CreatePod(PodFixture::DefaultSpec());
  REQUIRE(pod.has_value());
  CHECK(wrapper.CreatePod(PodFixture::DefaultSpec()).error().code() == Error::Code::kUnavailable);
  CHECK(wrapper.ListPods({})->size() == 1);
  PodWrapper pod_wrapper(*pod);
  CHECK(RunIn(pod_wrapper, {"echo", "via wrapper"}).out == "via wrapper\n");
  REQUIRE(wrapper.DeletePod((*pod)->id()).has_value());
  CHECK(wrapper.creates == 2);
}

TEST_CASE("ro_bind shows a host directory read-only in every pod, and refuses a bad path",
          "[executor]") {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("cy-robind-" + NewUuid());
  std::filesystem::create_directories(dir);
  std::filesystem::permissions(
      dir, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
               std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
               std::filesystem::perms::others_exec);
  { std::ofstream(dir / "hello.txt") << "from the host\n"; }
  PodFixture f;
  auto executor =
      BackendRegistry::WithBuiltins().OpenExecutor(f.uri() + "&ro_bind=" + dir.string(), {});
  REQUIRE(executor.has_value());
  auto pod = (*executor)->CreatePod(PodFixture::DefaultSpec());
  REQUIRE(pod.has_value());
  const Ran read = RunIn(**pod, {"cat", (dir / "hello.txt").string()});
  CHECK(read.out == "from the host\n");
  const Ran write = Shell(**pod, "echo x > " + (dir / "new.txt").string());
  CHECK(write.status.exit_code != 0);
  CHECK_FALSE(std::filesystem::exists(dir / "new.txt"));
  (void)(*executor)->DeletePod((*pod)->id());

  for (const char* bad : {"relative/dir", "/a/../b", ""}) {
    auto refused = BackendRegistry::WithBuiltins().OpenExecutor(f.uri() + "&ro_bind=" + bad, {});
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code() == Error::Code::kInvalidArgument);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("an exec or a session racing a killed init says the pod went away", "[executor]") {
  // fault21 (CI of stop 31): the exec right after a SIGKILL of a pod's init found the pod
  // alive, then its send met the closed control socket and answered kAborted, which the API
  // gave as 409 "aborted" where the workspace retries on kFailedPrecondition ("went away").
  PodFixture f;
  int went_away = 0;
  for (int round = 0; round < 120; ++round) {
    auto pod = f.NewPod();
    auto* local = dynamic_cast<local::LocalPod*>(pod.get());
    REQUIRE(local != nullptr);
    const pid_t init = local->init_pid();
    std::thread killer([init, round] {
      std::this_thread::sleep_for(std::chrono::microseconds(50 * (round % 40)));
      ::kill(init, SIGKILL);
    });
    for (int i = 0; i < 2000; ++i) {
      Result<void> outcome;
      if (i % 2 == 0) {
        ExecSpec spec;
        spec.argv = {"true"};
        auto process = pod->Exec(spec);
        if (process) {
          (void)(*process)->Wait();
        } else {
          outcome = std::unexpected(process.error());
        }
      } else {
        ExecSpec spec;
        spec.argv = {"sh"};
        spec.tty = true;
        auto session = pod->OpenSession("race", spec);
        if (!session) outcome = std::unexpected(session.error());
      }
      if (outcome) continue;
      INFO(outcome.error().ToString());
      CHECK(outcome.error().code() == Error::Code::kFailedPrecondition);
      ++went_away;
      break;
    }
    killer.join();
  }
  CHECK(went_away == 120);  // every round's init died under the loop
}
