// `codeyard-bench pods [--iterations N]`: what reaching a running workspace pod from another
// executor costs (a server replica, or a restarted server, taking it over: GetPod on a new
// connection, then a first exec) against creating a fresh pod and its first exec, measured
// in the same run on the same local state directory. Prints p50/p95 and their ratio.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>

#include "bench_pods.hpp"
#include "bench_util.hpp"
#include "codeyard/id.hpp"
#include "codeyard/platform.hpp"
#include "commands.hpp"
#include "stats.hpp"

namespace codeyard::bench {
namespace {

void FirstExec(Pod& pod) {
  if (!ExecTrue(pod)) throw BenchFailed(kExitFailed, "exec: the local backend cannot exec");
}

void RunPodsBench(int iterations) {
  const auto state = std::filesystem::temp_directory_path() / ("cy-bench-pods-" + NewUuid());
  const std::string uri = "local:?state_dir=" + state.string();
  Options options;
  options.executor_uri = uri;
  auto creator = Must(OpenExecutor(options), "open executor");
  Samples create;  // CreatePod + first exec: the baseline
  Samples reach;   // a new executor's GetPod + first exec on the same pod
  for (int i = 0; i < iterations; ++i) {
    std::shared_ptr<Pod> pod;
    pod = Timed(create, [&] {
      auto created = Must(creator->CreatePod(WorkspaceLikeSpec("pods")), "create pod");
      FirstExec(*created);
      return created;
    });
    auto other = Must(OpenExecutor(options), "open a second executor");
    (void)Timed(reach, [&] {
      auto reached = Must(other->GetPod(pod->id()), "get pod");
      FirstExec(*reached);
      return reached;
    });
    (void)creator->DeletePod(pod->id());
  }
  creator.reset();
  std::error_code ec;
  std::filesystem::remove_all(state, ec);
  const Summary c = create.Summarize();
  const Summary r = reach.Summarize();
  std::printf("codeyard-bench pods: %d iterations, %u cores\n", iterations,
              std::thread::hardware_concurrency());
  std::printf("%-40s %9s %9s\n", "latency (ms)", "p50", "p95");
  std::printf("%-40s %9.2f %9.2f\n", "create pod + first exec (baseline)", Ms(c.p50_ns),
              Ms(c.p95_ns));
  std::printf("%-40s %9.2f %9.2f\n", "reach pod (GetPod) + first exec", Ms(r.p50_ns), Ms(r.p95_ns));
  std::printf("%-40s %8.3fx %8.3fx\n", "reach / create",
              c.p50_ns > 0 ? static_cast<double>(r.p50_ns) / static_cast<double>(c.p50_ns) : 0.0,
              c.p95_ns > 0 ? static_cast<double>(r.p95_ns) / static_cast<double>(c.p95_ns) : 0.0);
}

}  // namespace

void AddPodsCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "pods", "time reaching a running pod from another executor against creating one");
  auto iterations = std::make_shared<int>(30);
  cmd->add_option("--iterations", *iterations, "samples of each")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  cmd->callback([iterations] { RunPodsBench(*iterations); });
}

}  // namespace codeyard::bench
