// The sandbox benchmark (`codeyard-bench exec`): what one-shot runs and exec into a warm
// pod cost compared with running python3 bare on the host, measured in the same run.
// See bench_exec.cpp for the phases and docs/benchmarks.md for results.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "codeyard/run.hpp"
#include "stats.hpp"

namespace codeyard::bench {

struct ExecBenchOptions {
  std::string executor_uri;  // default: a local executor on a temp state dir
  std::string cli;           // path of the `codeyard` binary for the cli phase; "" skips it
  int iterations = 100;
  int warmup = 5;
  int pods = 30;
  int cli_iterations = 20;
  std::vector<int> clients = {2, 8};
  std::chrono::milliseconds throughput_window{5000};
  bool json = false;
};

struct Paired {
  Samples baseline;
  Samples subject;
};

struct ThroughputPoint {
  int clients = 0;
  double baseline_per_s = 0;
  double subject_per_s = 0;
};

struct ExecReport {
  Paired exec;
  Paired run;
  Paired cli;
  Samples create;
  Samples remove;
  PoolStats pool;
  std::vector<ThroughputPoint> throughput;
};

// Throws std::runtime_error when a step fails (the sandbox cannot start, a run fails).
ExecReport RunExecBench(const ExecBenchOptions& options);

void PrintExecTable(const ExecBenchOptions& options, const MachineLoad& load,
                    const ExecReport& report);
void PrintExecJson(const ExecBenchOptions& options, const MachineLoad& load,
                   const ExecReport& report);

}  // namespace codeyard::bench
