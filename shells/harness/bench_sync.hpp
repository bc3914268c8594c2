// The sync benchmark (`codeyard-bench sync`): first start of a workspace and sync passes on
// a 1,000-file, 10 MiB tree, against the host's own cost of writing and scanning the same
// tree, in the same run. See bench_sync.cpp and docs/benchmarks.md.
#pragma once

#include <cstdint>
#include <string>

#include "bench_exec.hpp"
#include "stats.hpp"

namespace codeyard::bench {

struct SyncBenchOptions {
  std::string storage_uri;  // default: a fresh SQLite file in a temp dir
  int files = 1000;
  uint64_t file_bytes = uint64_t{10} * 1024;
  int rounds = 3;   // workspace starts (each followed by the passes, then a stop)
  int passes = 10;  // sync passes of each kind per round
  bool json = false;
};

struct SyncBenchReport {
  uint64_t total_bytes = 0;
  Paired start;
  Paired no_change;
  Paired one_file;
  uint64_t no_change_bytes_read = 0;  // the most any no-change pass read from the pod
  uint64_t one_file_bytes_read = 0;
  int one_file_pulled = 0;
};

// Throws std::runtime_error when a step fails.
SyncBenchReport RunSyncBench(const SyncBenchOptions& options);

}  // namespace codeyard::bench
