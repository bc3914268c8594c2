// Latency samples of one phase and their summary (ops/s, p50, p95). Durations are measured
// per operation with the steady clock and summed, so work done between operations (making
// test data, checking results) never counts. Not thread-safe: one Samples per phase.
#pragma once

#include <stdlib.h>  // getloadavg

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

namespace codeyard::bench {

struct Summary {
  int64_t ops = 0;
  int64_t total_ns = 0;  // the sum of every operation's duration
  int64_t p50_ns = 0;
  int64_t p95_ns = 0;

  [[nodiscard]] double OpsPerSecond() const {
    return total_ns > 0 ? static_cast<double>(ops) * 1e9 / static_cast<double>(total_ns) : 0.0;
  }
};

class Samples {
 public:
  void Reserve(std::size_t n) { ns_.reserve(n); }
  void Add(std::chrono::steady_clock::duration d) {
    ns_.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
  }

  // Percentiles by nearest rank, so a reported latency is one that was really observed.
  [[nodiscard]] Summary Summarize() const {
    Summary s;
    if (ns_.empty()) return s;
    std::vector<int64_t> sorted = ns_;
    std::sort(sorted.begin(), sorted.end());
    s.ops = static_cast<int64_t>(sorted.size());
    for (const int64_t n : sorted) s.total_ns += n;
    s.p50_ns = Rank(sorted, 50);
    s.p95_ns = Rank(sorted, 95);
    return s;
  }

 private:
  static int64_t Rank(const std::vector<int64_t>& sorted, int percent) {
    const std::size_t n = sorted.size();
    std::size_t rank = (n * static_cast<std::size_t>(percent) + 99) / 100;  // ceil(n * p)
    rank = std::clamp<std::size_t>(rank, 1, n);
    return sorted[rank - 1];
  }

  std::vector<int64_t> ns_;
};

// How busy the machine was. On a small machine a busy neighbour (a build, a linter) can
// skew even interleaved ratios, because the scheduler does not treat the two sides'
// processes (e.g. two PostgreSQL backends) alike; the report shows this so a reader can
// discard a run taken on a busy machine.
struct MachineLoad {
  unsigned cores = std::thread::hardware_concurrency();
  double before = -1;  // 1-minute load average at the start; -1 when unknown
  double after = -1;

  [[nodiscard]] static double Now() {
    double load[1];
    return getloadavg(load, 1) == 1 ? load[0] : -1;
  }
  [[nodiscard]] bool Busy() const { return cores > 0 && std::max(before, after) >= cores; }
};

// Runs `op` once and adds its duration to `samples`; returns what `op` returned.
template <class F>
auto Timed(Samples& samples, F&& op) {
  const auto start = std::chrono::steady_clock::now();
  auto result = op();
  samples.Add(std::chrono::steady_clock::now() - start);
  return result;
}

}  // namespace codeyard::bench
