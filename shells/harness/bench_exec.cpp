// `codeyard-bench exec`: the sandbox's cost against bare `python3` on the host, measured
// in the same run and interleaved (one baseline sample, then one sandbox sample) so that a
// noisy neighbour slows both sides alike. Phases:
//   exec      Pod::Exec + Wait of `python3 -c pass` in a warm pod  vs  posix_spawn of it
//   run       Runner::Run(hello.py) from the warm pool             vs  python3 hello.py
//   cli       `codeyard run hello.py` as a process (cold pod)       vs  python3 hello.py
//   create    CreatePod / DeletePod (no baseline: the host has no such step)
//   clients   runs/s with N concurrent clients                      vs  N bare python3 loops
#include "bench_exec.hpp"

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "child_process.hpp"
#include "codeyard/id.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/run.hpp"
#include "core/run/warm_pool.hpp"

namespace codeyard::bench {
namespace {

using Clock = std::chrono::steady_clock;

RunRequest HelloRequest() {
  RunRequest request;
  request.files.push_back({"hello.py", FileKind::kFile, "print('hello')\n", 0644, std::nullopt});
  return request;
}

void Fail(const std::string& what) { throw std::runtime_error(what); }

}  // namespace

ExecReport RunExecBench(const ExecBenchOptions& options) {
  ExecReport report;
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("cy-bench-" + NewUuid().substr(0, 8));
  std::filesystem::create_directories(dir);
  const std::string hello = (dir / "hello.py").string();
  std::ofstream(hello) << "print('hello')\n";
  const std::string uri = options.executor_uri.empty()
                              ? "local:?state_dir=" + (dir / "pods").string()
                              : options.executor_uri;
  Options executor_options;
  executor_options.executor_uri = uri;
  auto executor = OpenExecutor(executor_options);
  if (!executor) Fail(executor.error().ToString());
  const std::vector<std::string> bare_pass = {"/usr/bin/python3", "-c", "pass"};
  const std::vector<std::string> bare_hello = {"/usr/bin/python3", hello};

  // exec into one warm pod
  {
    PodSpec spec = run::PodSpecFor(RunLimits{}, "bench");
    auto pod = (*executor)->CreatePod(spec);
    if (!pod) Fail(pod.error().ToString());
    ExecSpec exec;
    exec.argv = {"python3", "-c", "pass"};
    for (int i = 0; i < options.warmup + options.iterations; ++i) {
      const bool keep = i >= options.warmup;
      auto t0 = Clock::now();
      if (!RunToSuccess(bare_pass)) Fail("bare python3 failed");
      if (keep) report.exec.baseline.Add(Clock::now() - t0);
      t0 = Clock::now();
      auto process = (*pod)->Exec(exec);
      if (!process) Fail(process.error().ToString());
      auto status = (*process)->Wait();
      if (!status || status->exit_code != 0) Fail("exec in pod failed");
      if (keep) report.exec.subject.Add(Clock::now() - t0);
    }
    (void)(*executor)->DeletePod((*pod)->id());
  }

  // pod creation and deletion
  for (int i = 0; i < options.pods; ++i) {
    auto t0 = Clock::now();
    auto pod = (*executor)->CreatePod(run::PodSpecFor(RunLimits{}, "bench"));
    if (!pod) Fail(pod.error().ToString());
    report.create.Add(Clock::now() - t0);
    t0 = Clock::now();
    (void)(*executor)->DeletePod((*pod)->id());
    report.remove.Add(Clock::now() - t0);
  }

  // one-shot runs from the warm pool, paced so the pool is full before each run (the
  // latency a user sees when the server is not saturated)
  {
    RunnerOptions runner_options;
    runner_options.pool_size = 2;
    auto runner = Runner::Create(*executor, runner_options);
    if (!runner) Fail(runner.error().ToString());
    const RunRequest request = HelloRequest();
    for (int i = 0; i < options.warmup + options.iterations; ++i) {
      const bool keep = i >= options.warmup;
      (*runner)->WaitForPool(std::chrono::seconds(30));
      auto t0 = Clock::now();
      if (!RunToSuccess(bare_hello)) Fail("bare python3 failed");
      if (keep) report.run.baseline.Add(Clock::now() - t0);
      t0 = Clock::now();
      auto result = (*runner)->Run(request);
      if (!result || result->verdict != Verdict::kOk) Fail("run of hello.py failed");
      if (keep) report.run.subject.Add(Clock::now() - t0);
    }
    report.pool = (*runner)->pool_stats();

    // concurrent clients, each looping runs for a fixed time
    for (const int clients : options.clients) {
      ThroughputPoint point;
      point.clients = clients;
      const auto measure = [&](auto&& one) {
        std::atomic<int64_t> done{0};
        std::atomic<bool> failed{false};
        const auto end = Clock::now() + options.throughput_window;
        std::vector<std::thread> threads;
        threads.reserve(static_cast<size_t>(clients));
        for (int c = 0; c < clients; ++c) {
          threads.emplace_back([&] {
            while (Clock::now() < end) {
              if (!one()) failed = true;
              ++done;
            }
          });
        }
        for (auto& t : threads) t.join();
        if (failed) Fail("a concurrent run failed");
        return static_cast<double>(done.load()) /
               std::chrono::duration<double>(options.throughput_window).count();
      };
      point.baseline_per_s = measure([&] { return RunToSuccess(bare_hello); });
      point.subject_per_s = measure([&] {
        auto result = (*runner)->Run(request);
        return result && result->verdict == Verdict::kOk;
      });
      report.throughput.push_back(point);
    }
  }

  // `codeyard run` as a separate process: a cold pod every time
  if (!options.cli.empty()) {
    const std::vector<std::string> cli = {options.cli, "run", "--executor", uri, hello};
    for (int i = 0; i < options.cli_iterations; ++i) {
      auto t0 = Clock::now();
      if (!RunToSuccess(bare_hello)) Fail("bare python3 failed");
      report.cli.baseline.Add(Clock::now() - t0);
      t0 = Clock::now();
      if (!RunToSuccess(cli)) Fail("codeyard run failed");
      report.cli.subject.Add(Clock::now() - t0);
    }
  }
  executor->reset();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return report;
}

}  // namespace codeyard::bench
