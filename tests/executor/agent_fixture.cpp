#include "executor/agent_fixture.hpp"

#include <catch2/catch.hpp>
#include <filesystem>

#include "codeyard/backend/registry.hpp"
#include "codeyard/id.hpp"
#include "executor/pod_fixture.hpp"

namespace codeyard::testing {

using namespace std::chrono_literals;

std::string PodBinary() { return CODEYARD_POD_BIN; }

AgentWorld::AgentWorld()
    : state_dir_(std::filesystem::temp_directory_path() / ("cy-agent-" + NewUuid().substr(0, 8))) {
  auto executor =
      BackendRegistry::WithBuiltins().OpenExecutor(AgentLocalUri(state_dir_.string()), {});
  if (!executor) FAIL("open the local executor: " << executor.error().ToString());
  executor_ = *executor;
}

AgentWorld::~AgentWorld() {
  executor_.reset();
  std::error_code ec;
  std::filesystem::remove_all(state_dir_, ec);
}

ContainerPod AgentWorld::NewContainer(PodSpec spec) {
  auto local = executor_->CreatePod(spec);
  if (!local) FAIL("CreatePod: " << local.error().ToString());
  PodInfo info = (*local)->Info();
  return StartContainer(*local, info);
}

std::string AgentLocalUri(const std::string& state_dir) {
  const std::string bin = std::filesystem::path(PodBinary()).parent_path().string();
  return "local:?state_dir=" + state_dir + "&ro_bind=" + bin;
}

agent::StreamOpener OpenerFor(std::shared_ptr<Pod> local) {
  return [local](std::vector<std::string> argv) -> Result<std::unique_ptr<PortStream>> {
    ExecSpec spec;
    spec.argv = std::move(argv);
    spec.stdin_open = true;
    spec.output_limit_bytes = ~uint64_t{0};  // the stream carries what the agent relays
    spec.kill_on_output_limit = false;
    auto process = local->Exec(spec);
    if (!process) return std::unexpected(process.error());
    return agent::MakeProcessStream(std::move(*process));
  };
}

ContainerPod StartContainer(std::shared_ptr<Pod> local, PodInfo info) {
  ContainerPod pod;
  pod.local = local;
  ExecSpec spec;
  spec.argv = {PodBinary(), "container"};
  spec.stdin_open = true;  // held open: the init lives as long as this Process
  auto init = local->Exec(spec);
  if (!init) FAIL("start the container init: " << init.error().ToString());
  pod.init = std::move(*init);
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (pod.init_log.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    REQUIRE(left.count() > 0);
    auto chunk = pod.init->ReadOutput(left);
    REQUIRE(chunk.has_value());
    if (!*chunk) FAIL("the container init ended: " << pod.init_log);
    pod.init_log += (*chunk)->data;
  }
  REQUIRE(pod.init_log.find("started") != std::string::npos);
  info.id = local->id();
  agent::AgentPodOptions options;
  options.pod_binary = PodBinary();
  pod.agent = agent::MakeAgentPod(std::move(info), OpenerFor(local), options);
  return pod;
}

namespace {

std::shared_ptr<Pod> AgentOver(std::shared_ptr<Pod> local) {
  agent::AgentPodOptions options;
  options.pod_binary = PodBinary();
  options.info = [local] { return local->Info(); };
  PodInfo info = local->Info();
  return agent::MakeAgentPod(std::move(info), OpenerFor(local), options);
}

class AgentExecutor : public ExecutorWrapper {
 public:
  using ExecutorWrapper::ExecutorWrapper;

  Result<std::shared_ptr<Pod>> CreatePod(const PodSpec& spec) override {
    auto local = target().CreatePod(spec);
    if (!local) return local;
    // The init must outlive every Process handle (a survive_owner pod outlives its creator),
    // so it runs in a session of its own; the exec returns once its socket is listed.
    ExecSpec start;
    start.argv = {"sh", "-c",
                  "setsid -f " + PodBinary() +
                      " container >/dev/null 2>&1; "
                      "until grep -q '@codeyard-pod.control' /proc/net/unix; do sleep 0.01; done"};
    start.wall_time_limit = std::chrono::seconds(20);
    const Ran started = RunSpec(**local, start);
    if (started.status.exit_code != 0) {
      (void)target().DeletePod((*local)->id());
      return Fail(Error::Code::kUnavailable, "the container init did not start: " + started.err);
    }
    return AgentOver(*local);
  }

  Result<std::shared_ptr<Pod>> GetPod(std::string_view id) override {
    auto local = target().GetPod(id);
    if (!local) return local;
    return AgentOver(*local);
  }
};

}  // namespace

std::shared_ptr<Executor> MakeAgentExecutor(std::shared_ptr<Executor> local) {
  return std::make_shared<AgentExecutor>(std::move(local));
}

}  // namespace codeyard::testing
