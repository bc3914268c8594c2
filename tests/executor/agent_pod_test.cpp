// AgentPod through the whole chain without Kubernetes (agent_fixture.hpp): a local pod plays
// the container, `codeyard-pod container` its init, `codeyard-pod agent` runs in it through
// the local Exec, and the library speaks the agent protocol over that stream.
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <string>

#include "executor/agent_fixture.hpp"
#include "executor/pod_fixture.hpp"

using namespace codeyard;
using namespace codeyard::testing;
using namespace std::chrono_literals;

namespace {

std::string ReadUntil(Process& process, const std::string& wanted) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (out.find(wanted) == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    REQUIRE(left.count() > 0);
    auto chunk = process.ReadOutput(left);
    REQUIRE(chunk.has_value());
    if (!*chunk) break;
    out += (*chunk)->data;
  }
  return out;
}

}  // namespace

TEST_CASE("agent: exec runs through the container init with stdin, stderr and exit codes",
          "[executor][agent]") {
  AgentWorld world;
  ContainerPod pod = world.NewContainer();
  CHECK(pod.init_log.rfind("codeyard-pod container: started", 0) == 0);

  const Ran echo = RunIn(*pod.agent, {"sh", "-c", "echo out; echo err >&2; exit 3"});
  CHECK(echo.out == "out\n");
  CHECK(echo.err == "err\n");
  CHECK(echo.status.exit_code == 3);
  CHECK(RunIn(*pod.agent, {"cat"}, "fed on stdin").out == "fed on stdin");

  ExecSpec missing;
  missing.argv = {"no-such-program-here"};
  CHECK(pod.agent->Exec(missing).error().code() == Error::Code::kNotFound);

  // A process the agent started is the init's child: its parent is the container init.
  const Ran parent = RunIn(*pod.agent, {"sh", "-c", "cat /proc/$PPID/cmdline | tr '\\0' ' '"});
  CHECK(parent.out.find("container") != std::string::npos);

  ExecSpec limited;
  limited.argv = {"sleep", "30"};
  limited.wall_time_limit = 300ms;
  const Ran slow = RunSpec(*pod.agent, limited);
  CHECK(slow.status.time_limit_exceeded);
  CHECK(slow.status.signal == SIGKILL);

  ExecSpec tty;
  tty.argv = {"sh", "-c", "stty size; tty >/dev/null && echo on-a-tty"};
  tty.tty = true;
  tty.tty_size = {30, 100};
  const Ran terminal = RunSpec(*pod.agent, tty);
  CHECK(terminal.out.find("30 100") != std::string::npos);
  CHECK(terminal.out.find("on-a-tty") != std::string::npos);
}

TEST_CASE("agent: workspace files keep their sizes, modes, hashes and symlink refusals",
          "[executor][agent]") {
  AgentWorld world;
  ContainerPod pod = world.NewContainer();
  const std::string big(300 * 1024, 'x');  // several frames each way
  const std::vector<FileData> files = {
      {"a.txt", FileKind::kFile, "alpha\n", 0600, {}},
      {"dir/big.bin", FileKind::kFile, big, 0644, {}},
      {"link", FileKind::kSymlink, "/etc", 0777, {}},
  };
  REQUIRE(pod.agent->PutFiles(files).has_value());
  const std::vector<std::string> paths = {"a.txt", "dir/big.bin"};
  auto got = pod.agent->GetFiles(paths);
  REQUIRE(got.has_value());
  REQUIRE(got->size() == 2);
  CHECK(got->at(0).content == "alpha\n");
  CHECK(got->at(0).mode == 0600);
  CHECK(got->at(1).content == big);
  CHECK(RunIn(*pod.agent, {"cat", "a.txt"}).out == "alpha\n");

  const std::vector<std::string> through = {"link/passwd"};
  CHECK(pod.agent->GetFiles(through).error().code() == Error::Code::kPermissionDenied);
  const std::vector<std::string> missing = {"nope"};
  CHECK(pod.agent->GetFiles(missing).error().code() == Error::Code::kNotFound);

  auto listed = pod.agent->ListFiles({});
  REQUIRE(listed.has_value());
  std::vector<std::string> names;
  for (const auto& entry : *listed) names.push_back(entry.path);
  CHECK(names == std::vector<std::string>{"a.txt", "dir", "dir/big.bin", "link"});
  CHECK(listed->at(0).sha256 ==
        "b6a98d9ce9a2d9149288fa3df42d377c3e42737afdcdaf714e33c0a100b51060");  // sha256 of "alpha\n"
  CHECK(listed->at(0).mode == 0600);
  CHECK(listed->at(2).size == big.size());
  CHECK(listed->at(3).kind == FileKind::kSymlink);
  CHECK(listed->at(3).target == "/etc");

  const std::vector<std::string> doomed = {"dir"};
  REQUIRE(pod.agent->DeleteFiles(doomed).has_value());
  CHECK(pod.agent->ListFiles({}).value().size() == 2);
}

TEST_CASE("agent: a broken stream kills the exec it served", "[executor][agent]") {
  AgentWorld world;
  ContainerPod pod = world.NewContainer();
  ExecSpec spec;
  spec.argv = {"sh", "-c", "echo $$; exec sleep 300"};
  spec.stdin_open = true;
  auto process = pod.agent->Exec(spec);
  REQUIRE(process.has_value());
  const std::string pid = ReadUntil(**process, "\n");
  REQUIRE(!pid.empty());
  process->reset();  // the stream ends: the agent ends, and the init kills the process group
  const Ran gone = Shell(*pod.agent, "while kill -0 " + pid.substr(0, pid.size() - 1) +
                                         " 2>/dev/null; do sleep 0.05; done; echo gone");
  CHECK(gone.out == "gone\n");
}

TEST_CASE("agent: a session survives its stream and is joined again from a new one",
          "[executor][agent]") {
  AgentWorld world;
  ContainerPod pod = world.NewContainer();
  ExecSpec shell;
  shell.argv = {"sh"};
  shell.tty = true;
  {
    auto opened = pod.agent->OpenSession("main", shell);
    REQUIRE(opened.has_value());
    CHECK(opened->started);
    REQUIRE(opened->process->WriteStdin("echo hi-$((40+2))\n").has_value());
    CHECK(ReadUntil(*opened->process, "hi-42").find("hi-42") != std::string::npos);
  }  // the attachment's stream ends: the shell keeps running in the init
  auto joined = pod.agent->JoinSession("main");
  REQUIRE(joined.has_value());
  CHECK_FALSE(joined->started);
  REQUIRE(joined->process->WriteStdin("echo again-$((1+1))\n").has_value());
  const std::string seen = ReadUntil(*joined->process, "again-2");
  CHECK(seen.find("hi-42") != std::string::npos);  // the scrollback came first
  REQUIRE(joined->process->WriteStdin("exit 5\n").has_value());
  CHECK(joined->process->Wait().value().exit_code == 5);
  CHECK(pod.agent->JoinSession("main").error().code() == Error::Code::kNotFound);
}

TEST_CASE("agent: a port relay reaches python3 -m http.server and half-closes",
          "[executor][agent]") {
  AgentWorld world;
  ContainerPod pod = world.NewContainer();
  const std::vector<FileData> page = {{"page.txt", FileKind::kFile, "served\n", 0644, {}}};
  REQUIRE(pod.agent->PutFiles(page).has_value());
  ExecSpec server;
  server.argv = {"python3", "-u", "-m", "http.server", "8123", "--bind", "127.0.0.1"};
  server.stdin_open = true;
  auto running = pod.agent->Exec(server);
  REQUIRE(running.has_value());
  ReadUntil(**running, "Serving HTTP");

  auto stream = pod.agent->ConnectPort(8123);
  REQUIRE(stream.has_value());
  REQUIRE((*stream)->Write("GET /page.txt HTTP/1.0\r\n\r\n", 10s).has_value());
  REQUIRE((*stream)->CloseWrite().has_value());
  std::string response;
  while (true) {
    auto got = (*stream)->Read(64 << 10, 20s);
    REQUIRE(got.has_value());
    if (got->empty()) break;
    response += *got;
  }
  CHECK(response.rfind("HTTP/1.0 200", 0) == 0);
  CHECK(response.ends_with("\r\n\r\nserved\n"));
  CHECK(pod.agent->ConnectPort(8124).error().code() == Error::Code::kUnavailable);
}

TEST_CASE("agent: reset empties the pod and keeps the control socket", "[executor][agent]") {
  AgentWorld world;
  ContainerPod pod = world.NewContainer();
  const std::vector<FileData> files = {{"left.txt", FileKind::kFile, "x", 0644, {}}};
  REQUIRE(pod.agent->PutFiles(files).has_value());
  ExecSpec background;
  background.argv = {"sh", "-c", "sleep 300 & echo $! > /tmp/sleeper; echo started"};
  REQUIRE(RunSpec(*pod.agent, background).out == "started\n");
  const std::string sleeper = Shell(*pod.agent, "cat /tmp/sleeper").out;
  REQUIRE(!sleeper.empty());

  REQUIRE(pod.agent->Reset().has_value());
  CHECK(pod.agent->ListFiles({}).value().empty());
  // The build directory bound into the pod stays where it is under /tmp (a CI clone's is):
  // a mount point is not the programs' to remove. Everything else there is gone.
  std::string kept = "-";
  const std::filesystem::path bin = std::filesystem::path(PodBinary()).parent_path();
  if (bin.string().starts_with("/tmp/")) kept = std::next(bin.begin(), 2)->string();
  CHECK(Shell(*pod.agent, "ls -A /tmp | grep -vxF -- '" + kept + "'; kill -0 " +
                              sleeper.substr(0, sleeper.size() - 1) +
                              " 2>/dev/null || echo no-sleeper")
            .out == "no-sleeper\n");
  // Twice: the init and its abstract socket outlived the first.
  REQUIRE(pod.agent->Reset().has_value());
  CHECK(RunIn(*pod.agent, {"echo", "still"}).out == "still\n");
}

TEST_CASE("agent: a frame past the size limit is refused cleanly", "[executor][agent]") {
  AgentWorld world;
  ContainerPod pod = world.NewContainer();
  auto stream = OpenerFor(pod.local)({PodBinary(), "agent"});
  REQUIRE(stream.has_value());
  // An open frame claiming 1 MiB, over the 64 KiB limit.
  const std::string header = {'o', '\0', '\x10', '\0', '\0'};
  REQUIRE((*stream)->Write(header, 10s).has_value());
  std::string answer;
  while (true) {
    auto got = (*stream)->Read(64 << 10, 20s);
    REQUIRE(got.has_value());
    if (got->empty()) break;
    answer += *got;
  }
  REQUIRE(answer.size() > 5);
  CHECK(answer[0] == 'e');
  CHECK(answer.find("invalid_argument") != std::string::npos);
  // The pod is unharmed.
  CHECK(RunIn(*pod.agent, {"echo", "fine"}).out == "fine\n");
}

TEST_CASE("agent: SIGTERM ends the container init's sessions and it exits 0", "[executor][agent]") {
  AgentWorld world;
  ContainerPod pod = world.NewContainer();
  ExecSpec shell;
  shell.argv = {"sh"};
  shell.tty = true;
  auto session = pod.agent->OpenSession("term", shell);
  REQUIRE(session.has_value());
  REQUIRE(pod.init->Signal(SIGTERM).has_value());
  CHECK(session->process->Wait().value().signal == SIGKILL);
  const std::string log = ReadUntil(*pod.init, "stopped");
  CHECK(log.find("codeyard-pod container: stopped") != std::string::npos);
  CHECK(pod.init->Wait().value().exit_code == 0);
}

TEST_CASE("agent: output past the channel's queue arrives whole, and the output cap holds",
          "[executor][agent]") {
  AgentWorld world;
  ContainerPod pod = world.NewContainer();
  // 20 MB: five times the bounded queue, so its reader waits for room and resumes.
  const Ran flood = Shell(*pod.agent, "head -c 20000000 /dev/zero");
  CHECK(flood.out.size() == 20000000);
  CHECK(flood.status.exit_code == 0);
  CHECK_FALSE(flood.status.output_truncated);

  ExecSpec capped;
  capped.argv = {"sh", "-c", "yes"};
  capped.output_limit_bytes = 100000;
  capped.wall_time_limit = 20s;
  const Ran cut = RunSpec(*pod.agent, capped);
  CHECK(cut.out.size() == 100000);
  CHECK(cut.status.output_truncated);
  CHECK(cut.status.signal == SIGKILL);
  CHECK_FALSE(cut.status.time_limit_exceeded);
}

namespace {

// An agent that says `script` and then nothing until shut down: for what the library does
// with a misbehaving or silent agent.
class ScriptedStream : public PortStream {
 public:
  explicit ScriptedStream(std::string script) : script_(std::move(script)) {}
  Result<void> Write(std::string_view, std::optional<std::chrono::milliseconds>) override {
    return {};
  }
  Result<std::string> Read(std::size_t max, std::optional<std::chrono::milliseconds>) override {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !script_.empty() || shut_; });
    if (shut_) return std::string();
    std::string out = script_.substr(0, max);
    script_.erase(0, out.size());
    return out;
  }
  Result<void> CloseWrite() override { return {}; }
  void Shutdown() override {
    std::lock_guard lock(mu_);
    shut_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::string script_;
  bool shut_ = false;
};

std::shared_ptr<Pod> ScriptedPod(std::string script) {
  agent::AgentPodOptions options;
  options.call_timeout = 200ms;
  PodInfo info;
  info.id = "scripted";
  return agent::MakeAgentPod(
      info,
      [script](std::vector<std::string>) -> Result<std::unique_ptr<PortStream>> {
        return std::unique_ptr<PortStream>(std::make_unique<ScriptedStream>(script));
      },
      options);
}

}  // namespace

TEST_CASE("agent: the library refuses an oversized frame and gives up on a silent agent",
          "[executor][agent]") {
  // A reply frame claiming 1 MiB: the stream is dropped with an error, not buffered.
  const std::string oversized = {'d', '\0', '\x10', '\0', '\0'};
  auto listed = ScriptedPod(oversized)->ListFiles({});
  REQUIRE_FALSE(listed.has_value());
  CHECK(listed.error().message().find("past the limit") != std::string::npos);

  // Nothing at all: the call's deadline ends the wait.
  auto silent = ScriptedPod("")->ListFiles({});
  REQUIRE_FALSE(silent.has_value());
  CHECK(silent.error().code() == Error::Code::kDeadlineExceeded);
  ExecSpec spec;
  spec.argv = {"true"};
  CHECK(ScriptedPod("")->Exec(spec).error().code() == Error::Code::kDeadlineExceeded);
}
