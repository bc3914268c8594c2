// Pod lifetime across processes, on real pods: a survive_owner pod belongs to no process.
// Another process (the pod_holder helper, a would-be server) creates pods and exits or is
// killed -9; this process reaches the survivor with GetPod, runs in it, reads what was
// written before, and deletes it; two executors and two processes use one pod at once; a
// pod with no holder ends after its orphan timeout and the sweep removes what it left; a
// one-shot pod still dies with the process that made it.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

#include "codeyard/backend/registry.hpp"
#include "codeyard/id.hpp"
#include "executor/local/local_executor.hpp"
#include "executor/local/pod_record.hpp"
#include "executor/pod_fixture.hpp"

extern char** environ;

using namespace codeyard;
using namespace codeyard::testing;
using namespace std::chrono_literals;

namespace {

// Waits for `condition` until `limit` passes; true if it held.
bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

// The pod_holder program, run with a pipe on its stdin and stdout.
class Holder {
 public:
  explicit Holder(std::vector<std::string> args) {
    int in[2];
    int out[2];
    REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    args.insert(args.begin(), CODEYARD_POD_HOLDER);
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    const int spawned =
        ::posix_spawn(&pid_, CODEYARD_POD_HOLDER, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    to_ = in[1];
    from_ = out[0];
    REQUIRE(spawned == 0);
  }
  Holder(const Holder&) = delete;
  Holder& operator=(const Holder&) = delete;
  ~Holder() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(to_);
    ::close(from_);
  }

  // The next line it prints (without the newline); fails the test after 60 s or at EOF.
  std::string Line() {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (buffer_.find('\n') == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{from_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
        FAIL("pod_holder said nothing in time");
      }
      char chunk[256];
      const ssize_t n = ::read(from_, chunk, sizeof(chunk));
      if (n <= 0) FAIL("pod_holder ended; it said: " << buffer_);
      buffer_.append(chunk, static_cast<size_t>(n));
    }
    const auto newline = buffer_.find('\n');
    std::string line = buffer_.substr(0, newline);
    buffer_.erase(0, newline + 1);
    return line;
  }

  void Say(const std::string& line) {
    const std::string text = line + "\n";
    REQUIRE(::write(to_, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  }

  void Kill() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  // Waits for a clean exit; its status.
  int Exit() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
  int to_ = -1;
  int from_ = -1;
  std::string buffer_;
};

struct Created {
  std::string kept;      // survive_owner
  std::string one_shot;  // dies with the holder
};

Created ReadIds(Holder& holder) {
  const std::string line = holder.Line();
  const auto space = line.find(' ');
  REQUIRE(space != std::string::npos);
  return {line.substr(0, space), line.substr(space + 1)};
}

std::string Content(Pod& pod, const std::string& path) {
  const std::vector<std::string> paths = {path};
  auto files = pod.GetFiles(paths);
  if (!files) return "<" + files.error().ToString() + ">";
  return files->at(0).content;
}

uint32_t HostUidOf(const std::filesystem::path& state_dir, const std::string& id) {
  auto record = local::ReadPodRecord((state_dir / id).string());
  REQUIRE(record.has_value());
  return record->host_uid;
}

std::shared_ptr<local::LocalExecutor> OpenLocal(const std::filesystem::path& state_dir) {
  local::LocalExecutorOptions options;
  options.state_dir = state_dir.string();
  auto executor = local::LocalExecutor::Open(options, BackendContext{});
  REQUIRE(executor.has_value());
  return *executor;
}

// A state directory of its own, removed (with any pod left in it) at the end.
struct StateDir {
  explicit StateDir(const std::string& deep = "")
      : root("/tmp/cy-life-" + NewUuid().substr(0, 8)), path(deep.empty() ? root : root / deep) {
    std::filesystem::create_directories(path);
  }
  ~StateDir() {
    auto executor = OpenLocal(path);
    for (const auto& info : executor->ListPods({}).value_or(std::vector<PodInfo>{})) {
      (void)executor->DeletePod(info.id);
    }
    executor.reset();
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }
  std::filesystem::path root;
  std::filesystem::path path;
};

}  // namespace

TEST_CASE("a survive_owner pod outlives its creator's kill -9, any process reaches and deletes it",
          "[executor][lifetime]") {
  // Deep enough that <state_dir>/<pod id>/control.sock overflows a unix socket path.
  StateDir state("a-state-directory-deep-down-in-a-data-dir-of-a-server");
  Holder creator({state.path.string(), "create", "600000"});
  const Created ids = ReadIds(creator);
  const uint32_t one_shot_uid = HostUidOf(state.path, ids.one_shot);
  creator.Kill();

  auto executor = OpenLocal(state.path);
  // The one-shot pod died with its creator and the sweep at open removed what it left.
  CHECK(executor->GetPod(ids.one_shot).error().code() == Error::Code::kNotFound);
  CHECK_FALSE(std::filesystem::exists(state.path / ids.one_shot));
  CHECK(WaitFor([&] { return HostProcessesOf(one_shot_uid).empty(); }));

  auto pod = executor->GetPod(ids.kept);
  REQUIRE(pod.has_value());
  CHECK((*pod)->Info().phase == PodPhase::kRunning);
  CHECK(Content(**pod, "by-api.txt") == "api\n");
  CHECK(Content(**pod, "note.txt") == "written by the creator\n");
  // Its processes were the creator's: they end with their status sockets, the pod stays.
  CHECK(WaitFor([&] { return Shell(**pod, "ps -eo comm | grep -c sleep").out == "0\n"; }));
  CHECK(executor->GetPod(ids.kept)->get() == pod->get());

  // A third process reaches it too, while this one holds it, and both exec into it.
  Holder other({state.path.string(), "reach", ids.kept});
  CHECK(other.Line() == "written by the creator");
  CHECK(Content(**pod, "reach.txt") == "written by another process\n");
  CHECK(Shell(**pod, "echo still here").out == "still here\n");

  // Deleted from here, though another process made it and a third holds it.
  const uint32_t uid = HostUidOf(state.path, ids.kept);
  REQUIRE(executor->DeletePod(ids.kept).has_value());
  CHECK_FALSE(std::filesystem::exists(state.path / ids.kept));
  CHECK(HostProcessesOf(uid).empty());
  CHECK(executor->GetPod(ids.kept).error().code() == Error::Code::kNotFound);
  CHECK(executor->cgroups().Open(ids.kept).error().code() == Error::Code::kNotFound);
  other.Say("exit");
  CHECK(other.Line() == "terminated");
  CHECK(other.Exit() == 0);
}

TEST_CASE("a survive_owner pod outlives its creator's clean exit, a one-shot pod does not",
          "[executor][lifetime]") {
  StateDir state;
  Holder creator({state.path.string(), "create", "600000"});
  const Created ids = ReadIds(creator);
  auto executor = OpenLocal(state.path);
  // While its creator runs, the one-shot pod is the creator's alone.
  CHECK(executor->GetPod(ids.one_shot).error().code() == Error::Code::kFailedPrecondition);
  creator.Say("exit");
  CHECK(creator.Line() == "running");
  CHECK(creator.Line() == "running");
  CHECK(creator.Exit() == 0);

  CHECK(executor->GetPod(ids.one_shot).error().code() == Error::Code::kNotFound);
  CHECK_FALSE(std::filesystem::exists(state.path / ids.one_shot));
  auto pod = executor->GetPod(ids.kept);
  REQUIRE(pod.has_value());
  CHECK(Content(**pod, "note.txt") == "written by the creator\n");
  auto listed = executor->ListPods({{"test", "lifetime"}});
  REQUIRE(listed.has_value());
  REQUIRE(listed->size() == 1);
  CHECK(listed->front().id == ids.kept);
  CHECK(listed->front().phase == PodPhase::kRunning);
  CHECK(listed->front().spec.survive_owner);
}

TEST_CASE("two executors in one process exec into one pod at once", "[executor][lifetime]") {
  StateDir state;
  auto first = OpenLocal(state.path);
  auto second = OpenLocal(state.path);
  PodSpec spec = PodFixture::DefaultSpec();
  spec.survive_owner = true;
  auto created = first->CreatePod(spec);
  REQUIRE(created.has_value());
  auto reached = second->GetPod((*created)->id());
  REQUIRE(reached.has_value());
  CHECK(reached->get() != created->get());  // a holder of its own

  // A process of the first stays running while the second execs and writes.
  ExecSpec cat;
  cat.argv = {"cat"};
  cat.stdin_open = true;
  auto running = (*created)->Exec(cat);
  REQUIRE(running.has_value());
  CHECK(Shell(**reached, "echo from the second > second.txt").status.exit_code == 0);
  CHECK(Content(**created, "second.txt") == "from the second\n");
  REQUIRE((*running)->WriteStdin("from the first\n").has_value());
  REQUIRE((*running)->CloseStdin().has_value());
  auto chunk = (*running)->ReadOutput(30s);
  REQUIRE(chunk.has_value());
  REQUIRE(chunk->has_value());
  CHECK((*chunk)->data == "from the first\n");
  CHECK((*running)->Wait()->exit_code == 0);

  // The first lets go: the second still holds and uses the pod.
  running->reset();
  created->reset();
  first.reset();
  CHECK(Shell(**reached, "cat second.txt").out == "from the second\n");
  REQUIRE(second->DeletePod((*reached)->id()).has_value());
}

TEST_CASE("a pod with no holder ends after its orphan timeout, the sweep removes what it left",
          "[executor][lifetime]") {
  StateDir state;
  auto creator = OpenLocal(state.path);
  auto holder = OpenLocal(state.path);
  PodSpec spec = PodFixture::DefaultSpec();
  spec.survive_owner = true;
  spec.orphan_timeout = -1ms;
  CHECK(creator->CreatePod(spec).error().code() == Error::Code::kInvalidArgument);
  spec.orphan_timeout = 300ms;
  auto created = creator->CreatePod(spec);
  REQUIRE(created.has_value());
  const std::string id = (*created)->id();
  auto held = holder->GetPod(id);
  REQUIRE(held.has_value());
  created->reset();
  creator.reset();  // lets go; `holder` still holds it

  // Held, it lives past its timeout (the pod's own sleep outlasts it).
  CHECK(Shell(**held, "sleep 1; echo held").out == "held\n");
  CHECK(Shell(**held, "echo still").out == "still\n");

  held->reset();
  holder.reset();  // no holder left: the timer runs
  auto watcher = OpenLocal(state.path);
  CHECK(WaitFor([&] {
    auto listed = watcher->ListPods({});
    return listed && listed->size() == 1 && listed->front().phase == PodPhase::kTerminated;
  }));
  CHECK(watcher->GetPod(id).error().code() == Error::Code::kNotFound);

  auto next = OpenLocal(state.path);
  CHECK(next->orphans_removed() == 1);
  CHECK_FALSE(std::filesystem::exists(state.path / id));
  CHECK(next->cgroups().Open(id).error().code() == Error::Code::kNotFound);
  CHECK(next->ListPods({})->empty());
}
