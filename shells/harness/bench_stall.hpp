// `codeyard-bench stall`: how much one user saturating exec slows everybody else. The bench
// starts the real codeyard-server (the local sandbox runs the execs), and a second user's
// requests (health, an authenticated file read, login) are timed twice: on the idle server,
// and while a first user keeps N long execs (`sleep`) running in one workspace. Each request
// kind is reported as loaded / idle latency (p50 and p95), the ratio docs/benchmarks.md
// records: near 1 means long work does not take the request workers (issue 13, item 1).
#pragma once

#include <string>
#include <vector>

#include "stats.hpp"

namespace codeyard::bench {

struct StallBenchOptions {
  std::string server_binary;  // empty: codeyard-server beside this program
  int execs = 20;             // long execs the first user keeps running (the old server had 16
                              // request workers)
  int sleep_s = 10;           // how long each runs; the loaded phase must end inside it
  int samples = 20;           // requests of each kind per phase
  bool json = false;
};

struct StallKind {
  std::string name;  // "GET /api/v1/health", ...
  Summary idle;
  Summary loaded;
};

struct StallBenchReport {
  std::vector<StallKind> kinds;
  int execs_ok = 0;          // 200 with exit 0
  int execs_refused = 0;     // 429 or 503 at once (a cap on concurrent execs)
  int execs_other = 0;       // anything else
  int running_at_start = 0;  // execs running (or refused) when the loaded phase began
  int running_at_end = 0;    // execs still running when it ended
  double load_before = -1;
  double load_after = -1;
};

// Runs the benchmark; progress lines go to stderr. Throws std::runtime_error on failure (a
// request of the second user failing, the server dying, or the execs ending before the loaded
// phase did, which would make its numbers meaningless).
[[nodiscard]] StallBenchReport RunStallBench(const StallBenchOptions& options);

}  // namespace codeyard::bench
