// `codeyard-bench exec [--iterations N] [--pods N] [--clients N]... [--cli PATH] [--json]`.
#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "bench_exec.hpp"
#include "bench_util.hpp"
#include "commands.hpp"

namespace codeyard::bench {
namespace {

double Ratio(const Samples& subject, const Samples& baseline, int64_t Summary::*field) {
  const Summary s = subject.Summarize();
  const Summary b = baseline.Summarize();
  return b.*field > 0 ? static_cast<double>(s.*field) / static_cast<double>(b.*field) : 0.0;
}

void PairRow(const char* name, const Paired& p) {
  const Summary s = p.subject.Summarize();
  const Summary b = p.baseline.Summarize();
  if (s.ops == 0) return;
  std::printf("%-34s %9.2f %9.2f %9.2f %9.2f %7.2fx %7.2fx\n", name, Ms(b.p50_ns), Ms(b.p95_ns),
              Ms(s.p50_ns), Ms(s.p95_ns), Ratio(p.subject, p.baseline, &Summary::p50_ns),
              Ratio(p.subject, p.baseline, &Summary::p95_ns));
}

boost::json::object PairJson(const Paired& p) {
  const Summary s = p.subject.Summarize();
  const Summary b = p.baseline.Summarize();
  boost::json::object o;
  o["samples"] = s.ops;
  o["bare_p50_ms"] = Ms(b.p50_ns);
  o["bare_p95_ms"] = Ms(b.p95_ns);
  o["p50_ms"] = Ms(s.p50_ns);
  o["p95_ms"] = Ms(s.p95_ns);
  o["ratio_p50"] = Ratio(p.subject, p.baseline, &Summary::p50_ns);
  o["ratio_p95"] = Ratio(p.subject, p.baseline, &Summary::p95_ns);
  return o;
}

}  // namespace

void PrintExecTable(const ExecBenchOptions& options, const MachineLoad& load, const ExecReport& r) {
  std::printf("codeyard-bench exec: %d iterations, %u cores, load %.2f -> %.2f\n",
              options.iterations, load.cores, load.before, load.after);
  std::printf("%-34s %9s %9s %9s %9s %8s %8s\n", "latency (ms)", "bare p50", "bare p95", "p50",
              "p95", "p50 x", "p95 x");
  PairRow("exec python3 -c pass (warm pod)", r.exec);
  PairRow("run hello.py (warm pool)", r.run);
  PairRow("codeyard run hello.py (process)", r.cli);
  const Summary c = r.create.Summarize();
  const Summary d = r.remove.Summarize();
  std::printf("%-34s p50 %.2f ms, p95 %.2f ms (%lld pods)\n", "pod creation", Ms(c.p50_ns),
              Ms(c.p95_ns), static_cast<long long>(c.ops));
  std::printf("%-34s p50 %.2f ms, p95 %.2f ms\n", "pod deletion", Ms(d.p50_ns), Ms(d.p95_ns));
  std::printf("%-34s hits %llu, misses %llu\n", "warm pool (paced runs)",
              static_cast<unsigned long long>(r.pool.hits),
              static_cast<unsigned long long>(r.pool.misses));
  for (const auto& t : r.throughput) {
    std::printf("throughput, %d clients: bare %.1f runs/s, codeyard %.1f runs/s, ratio %.2fx\n",
                t.clients, t.baseline_per_s, t.subject_per_s,
                t.baseline_per_s > 0 ? t.subject_per_s / t.baseline_per_s : 0.0);
  }
}

void PrintExecJson(const ExecBenchOptions& options, const MachineLoad& load, const ExecReport& r) {
  boost::json::object o;
  o["iterations"] = options.iterations;
  o["cores"] = load.cores;
  o["load_before"] = load.before;
  o["load_after"] = load.after;
  o["exec_warm_pod"] = PairJson(r.exec);
  o["run_warm_pool"] = PairJson(r.run);
  if (r.cli.subject.Summarize().ops > 0) o["cli_run"] = PairJson(r.cli);
  o["create_p50_ms"] = Ms(r.create.Summarize().p50_ns);
  o["create_p95_ms"] = Ms(r.create.Summarize().p95_ns);
  o["delete_p50_ms"] = Ms(r.remove.Summarize().p50_ns);
  o["pool_hits"] = r.pool.hits;
  o["pool_misses"] = r.pool.misses;
  boost::json::array throughput;
  for (const auto& t : r.throughput) {
    throughput.push_back({{"clients", t.clients},
                          {"bare_runs_per_s", t.baseline_per_s},
                          {"runs_per_s", t.subject_per_s}});
  }
  o["throughput"] = std::move(throughput);
  std::printf("%s\n", boost::json::serialize(o).c_str());
}

void AddExecCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "exec", "time sandboxed exec and one-shot runs against bare python3 on the host");
  auto options = std::make_shared<ExecBenchOptions>();
  cmd->add_option("--executor", options->executor_uri, "executor URI (default: a temp local:)");
  cmd->add_option("--iterations", options->iterations, "samples per latency phase")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--pods", options->pods, "pods created for the creation phase")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  cmd->add_option("--clients", options->clients, "concurrent clients (repeatable)")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--cli", options->cli,
                  "the codeyard binary for the `codeyard run` phase (default: beside this one)");
  cmd->add_option("--cli-iterations", options->cli_iterations, "samples of `codeyard run`")
      ->check(CLI::Range(0, 10000));
  cmd->add_flag("--json", options->json, "print one JSON object instead of a table");
  cmd->callback([options] {
    if (options->cli.empty()) {
      std::error_code ec;
      const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
      const auto beside = self.parent_path() / "codeyard";
      if (!ec && std::filesystem::exists(beside)) options->cli = beside.string();
    }
    MachineLoad load;
    load.before = MachineLoad::Now();
    ExecReport report;
    try {
      report = RunExecBench(*options);
    } catch (const std::exception& e) {
      throw BenchFailed(kExitFailed, e.what());
    }
    load.after = MachineLoad::Now();
    if (options->json) {
      PrintExecJson(*options, load, report);
    } else {
      PrintExecTable(*options, load, report);
    }
  });
}

}  // namespace codeyard::bench
