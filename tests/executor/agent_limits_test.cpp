// The agent's bounds (agent_fixture.hpp: a local pod as the container, `codeyard-pod agent`
// through its Exec): OOM kills reported from the container's cgroup, input held to
// kAgentMaxPendingInput, and relays that keep taking input while their reader stalls.
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <string>
#include <thread>

#include "executor/agent_fixture.hpp"
#include "executor/local/pod/agent_protocol.hpp"
#include "executor/pod_fixture.hpp"

using namespace codeyard;
using namespace codeyard::testing;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<Process> Start(Pod& pod, std::vector<std::string> argv) {
  ExecSpec spec;
  spec.argv = std::move(argv);
  spec.stdin_open = true;
  auto process = pod.Exec(spec);
  REQUIRE(process.has_value());
  return std::move(*process);
}

}  // namespace

TEST_CASE("agent: a process over the pod's memory limit is oom_killed, a plain kill is not",
          "[executor][agent]") {
  AgentWorld world;
  PodSpec spec = PodFixture::DefaultSpec();
  spec.limits.memory_bytes = uint64_t{96} << 20;
  ContainerPod pod = world.NewContainer(spec);
  // The agent reads the count where a container runtime mounts the pod's cgroup.
  const Ran mounted = RunIn(*pod.agent, {"sh", "-c",
                                         "cat /sys/fs/cgroup/memory.events "
                                         "/sys/fs/cgroup/memory/memory.oom_control 2>/dev/null"});
  INFO("cgroup files: " << mounted.out);
  REQUIRE(mounted.out.find("oom_kill ") != std::string::npos);

  const Ran hog = RunIn(*pod.agent, {"python3", "-c", "b = b'x' * (512 << 20)\nprint('survived')"});
  CHECK(hog.status.signal == SIGKILL);
  CHECK(hog.status.oom_killed);
  CHECK(hog.out.empty());

  auto sleeper = Start(*pod.agent, {"sleep", "60"});
  REQUIRE(sleeper->Signal(SIGKILL).has_value());
  const ExitStatus killed = sleeper->Wait().value();
  CHECK(killed.signal == SIGKILL);
  CHECK_FALSE(killed.oom_killed);
}

TEST_CASE("agent: queued input past max_pending is refused, blocking writes wait for room",
          "[executor][agent]") {
  AgentWorld world;
  ContainerPod pod = world.NewContainer();
  // `sleep` never reads its stdin: what is queued stays queued in the agent.
  auto sleeper = Start(*pod.agent, {"sleep", "60"});
  const std::string half(600 << 10, 'x');
  REQUIRE(sleeper->QueueStdin(half, size_t{1} << 20).has_value());
  auto refused = sleeper->QueueStdin(half, size_t{1} << 20);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code() == Error::Code::kResourceExhausted);
  // A smaller caller's bound holds too, counting what already waits in the agent (600 KiB
  // less what the pipe took: at most 64 KiB).
  CHECK(sleeper->QueueStdin("y", 400 << 10).error().code() == Error::Code::kResourceExhausted);
  REQUIRE(sleeper->Signal(SIGKILL).has_value());
  (void)sleeper->Wait();

  // A reader that takes its input gets more than the agent's bound through WriteStdin.
  auto counter = Start(*pod.agent, {"wc", "-c"});
  const std::string big(3 * local::kAgentMaxPendingInput + 17, 'z');
  REQUIRE(counter->WriteStdin(big).has_value());
  REQUIRE(counter->CloseStdin().has_value());
  std::string out;
  while (true) {
    auto chunk = counter->ReadOutput(20s);
    REQUIRE(chunk.has_value());
    if (!*chunk) break;
    out += (*chunk)->data;
  }
  CHECK(out == std::to_string(big.size()) + "\n");
}

TEST_CASE("agent: input past the agent's bound is dropped with resource_exhausted",
          "[executor][agent]") {
  AgentWorld world;
  ContainerPod pod = world.NewContainer();
  // A client that ignores kTaken: the raw stream to the agent.
  auto stream = OpenerFor(pod.local)({PodBinary(), "agent"});
  REQUIRE(stream.has_value());
  std::string out;
  local::AppendFrame(
      out, local::FrameType::kOpen,
      R"({"op":"exec","stdin_open":true,"exec":{"argv":["sleep","60"],"env":["PATH=/usr/bin:/bin"],)"
      R"("cwd":"/workspace"}})");
  local::AppendChunked(out, local::FrameType::kInput,
                       std::string(local::kAgentMaxPendingInput + (256 << 10), 'x'));
  REQUIRE((*stream)->Write(out, 20s).has_value());
  local::FrameReader reader;
  std::optional<local::Frame> error;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!error) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    auto got = (*stream)->Read(64 << 10, 20s);
    REQUIRE(got.has_value());
    REQUIRE_FALSE(got->empty());
    reader.Feed(*got);
    while (auto frame = reader.Next()) {
      if (frame->type == local::FrameType::kError) error = std::move(frame);
    }
  }
  CHECK(error->payload.find("resource_exhausted") != std::string::npos);
  CHECK(error->payload.find("input dropped") != std::string::npos);
}

TEST_CASE("agent: a stalled terminal still takes input and the pod's other streams go on",
          "[executor][agent]") {
  AgentWorld world;
  ContainerPod pod = world.NewContainer();
  ExecSpec shell;
  shell.argv = {"sh"};
  shell.tty = true;
  auto opened = pod.agent->OpenSession("main", shell);
  REQUIRE(opened.has_value());
  Process& terminal = *opened->process;
  // Output far past every buffer on the way, never read from here on. No prompt (PS1 empty):
  // the shell's own writes would queue behind the flood on the pty, and under load `yes` can
  // win that queue for long enough that the shell reads no more input (seen 1 run in 40 with
  // four copies at once); what is tested is that input gets through, not the tty's fairness.
  REQUIRE(terminal.WriteStdin("PS1= PS2=; yes flood &\n").has_value());
  // Other streams of the pod go on.
  CHECK(RunIn(*pod.agent, {"echo", "fine"}).out == "fine\n");
  // Input well past the stdin pipe (320 KiB of comment lines, cheap for the shell): a relay
  // stuck writing output stops reading its stdin, and this write never completes.
  std::string commands;
  while (commands.size() < (size_t{320} << 10)) commands += "#" + std::string(1000, 'c') + "\n";
  commands += "echo marker > /workspace/marker; kill %1\n";
  REQUIRE(terminal.WriteStdin(commands).has_value());
  const std::vector<std::string> wanted = {"marker"};
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (true) {
    auto files = pod.agent->GetFiles(wanted);
    if (files && files->size() == 1 && files->front().content == "marker\n") break;
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(100ms);
  }
  CHECK(RunIn(*pod.agent, {"echo", "still"}).out == "still\n");
}
