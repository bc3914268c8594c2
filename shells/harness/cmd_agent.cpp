// `codeyard-bench agent [--iterations N] [--pod-binary PATH] [--json]`: what reaching a pod
// only through `codeyard-pod agent` costs (AgentPod, the Kubernetes backend's path minus the
// API server), against the local backend directly, interleaved in one run on the same pod.
// A local pod plays the container: `codeyard-pod container` runs in it as its init, and
// every agent stream is a local exec of `codeyard-pod agent` with stdin open.
//   exec round trip   Exec + Wait of `true`: through the agent  vs  Pod::Exec on the local pod
//   file round trip   PutFiles + GetFiles of 4 KiB             vs  the same on the local pod
// Through the agent an exec is two execs (the agent's, then the process the init starts),
// so the ratio is about 2x plus the agent's own start and the frames.
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "bench_pods.hpp"
#include "bench_util.hpp"
#include "codeyard/backend/agent_pod.hpp"
#include "codeyard/id.hpp"
#include "codeyard/platform.hpp"
#include "commands.hpp"
#include "stats.hpp"

namespace codeyard::bench {
namespace {

using namespace std::chrono_literals;

struct AgentOptions {
  std::string pod_binary;  // default: codeyard-pod beside this program
  int iterations = 200;
  int warmup = 10;
  bool json = false;
};

struct AgentReport {
  Samples agent_exec;
  Samples local_exec;
  Samples agent_files;
  Samples local_files;
};

void ExecRoundTrip(Pod& pod, Samples* samples) {
  const auto start = std::chrono::steady_clock::now();
  if (!ExecTrue(pod)) throw BenchFailed(kExitFailed, "exec: the pod cannot exec");
  if (samples != nullptr) samples->Add(std::chrono::steady_clock::now() - start);
}

void FileRoundTrip(Pod& pod, Samples* samples) {
  const std::vector<FileData> files = {
      {"bench.txt", FileKind::kFile, std::string(4096, 'b'), 0644, {}}};
  const std::vector<std::string> paths = {"bench.txt"};
  const auto start = std::chrono::steady_clock::now();
  Must(pod.PutFiles(files), "put");
  const auto got = Must(pod.GetFiles(paths), "get");
  if (got.size() != 1 || got[0].content != files[0].content)
    throw BenchFailed(kExitFailed, "bad read");
  if (samples != nullptr) samples->Add(std::chrono::steady_clock::now() - start);
}

AgentReport Run(const AgentOptions& options, const std::shared_ptr<Pod>& local) {
  ExecSpec init;
  init.argv = {options.pod_binary, "container"};
  init.stdin_open = true;  // the init lives as long as this Process
  auto container = Must(local->Exec(init), "starting the container init");
  std::string log;
  while (log.find('\n') == std::string::npos) {
    auto chunk = Must(container->ReadOutput(20s), "waiting for the container init");
    if (!chunk) throw BenchFailed(kExitFailed, "the container init ended: " + log);
    log += chunk->data;
  }
  agent::AgentPodOptions agent_options;
  agent_options.pod_binary = options.pod_binary;
  auto opener = [local](std::vector<std::string> argv) -> Result<std::unique_ptr<PortStream>> {
    ExecSpec spec;
    spec.argv = std::move(argv);
    spec.stdin_open = true;
    spec.output_limit_bytes = ~uint64_t{0};
    spec.kill_on_output_limit = false;
    auto process = local->Exec(spec);
    if (!process) return std::unexpected(process.error());
    return agent::MakeProcessStream(std::move(*process));
  };
  auto through = agent::MakeAgentPod(local->Info(), opener, agent_options);
  AgentReport report;
  for (int i = 0; i < options.warmup + options.iterations; ++i) {
    const bool counted = i >= options.warmup;
    ExecRoundTrip(*through, counted ? &report.agent_exec : nullptr);
    ExecRoundTrip(*local, counted ? &report.local_exec : nullptr);
    FileRoundTrip(*through, counted ? &report.agent_files : nullptr);
    FileRoundTrip(*local, counted ? &report.local_files : nullptr);
  }
  return report;
}

void Print(const AgentOptions& options, const MachineLoad& load, const AgentReport& r) {
  const Summary agent_exec = r.agent_exec.Summarize();
  const Summary local_exec = r.local_exec.Summarize();
  const Summary agent_files = r.agent_files.Summarize();
  const Summary local_files = r.local_files.Summarize();
  if (options.json) {
    boost::json::object o;
    o["iterations"] = options.iterations;
    o["agent_exec_p50_ms"] = Ms(agent_exec.p50_ns);
    o["local_exec_p50_ms"] = Ms(local_exec.p50_ns);
    o["ratio_exec_p50"] = Ratio(agent_exec, local_exec);
    o["agent_files_p50_ms"] = Ms(agent_files.p50_ns);
    o["local_files_p50_ms"] = Ms(local_files.p50_ns);
    o["ratio_files_p50"] = Ratio(agent_files, local_files);
    o["load_before"] = load.before;
    o["load_after"] = load.after;
    std::printf("%s\n", boost::json::serialize(o).c_str());
    return;
  }
  PrintTableHead("agent", options.iterations, load);
  PrintTableRow("exec true, through the agent", agent_exec, &local_exec);
  PrintTableRow("baseline: exec true, local pod", local_exec, nullptr);
  PrintTableRow("put+get 4 KiB, through the agent", agent_files, &local_files);
  PrintTableRow("baseline: put+get 4 KiB, local pod", local_files, nullptr);
}

}  // namespace

void AddAgentCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "agent", "time exec and file calls through codeyard-pod agent against the local backend");
  auto options = std::make_shared<AgentOptions>();
  cmd->add_option("--pod-binary", options->pod_binary,
                  "codeyard-pod to run as the container init and agent (default: beside this "
                  "program)");
  cmd->add_option("--iterations", options->iterations, "measured rounds")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_flag("--json", options->json, "print one JSON object instead of a table");
  cmd->callback([options] {
    if (options->pod_binary.empty()) {
      options->pod_binary =
          (std::filesystem::canonical("/proc/self/exe").parent_path() / "codeyard-pod").string();
    }
    const std::filesystem::path state_dir =
        std::filesystem::temp_directory_path() / ("cy-bench-agent-" + NewUuid());
    MachineLoad load;
    load.before = MachineLoad::Now();
    AgentReport report;
    // The pod sees codeyard-pod's directory read-only, as an image would install it.
    WithPod("local:?state_dir=" + state_dir.string() +
                "&ro_bind=" + std::filesystem::path(options->pod_binary).parent_path().string(),
            [&](const std::shared_ptr<Pod>& pod) { report = Run(*options, pod); });
    load.after = MachineLoad::Now();
    std::error_code ec;
    std::filesystem::remove_all(state_dir, ec);
    Print(*options, load, report);
  });
}

}  // namespace codeyard::bench
