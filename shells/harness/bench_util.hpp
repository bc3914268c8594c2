// The few helpers every `codeyard-bench` command shares: a duration in milliseconds, a
// Result unwrapped or turned into the harness's one failure (BenchFailed, exit 1), and the
// p50 ratio of a subject to its baseline. Header-only, no state: safe from any thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "codeyard/error.hpp"
#include "commands.hpp"
#include "stats.hpp"

namespace codeyard::bench {

inline double Ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }

// The value of `result`, or BenchFailed naming the step that failed.
template <class T>
T Must(Result<T> result, std::string_view step) {
  if (!result) {
    throw BenchFailed(kExitFailed, std::string(step) + ": " + result.error().ToString());
  }
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

// p50 of the subject over p50 of the baseline; 0 when the baseline has no samples.
inline double Ratio(const Summary& subject, const Summary& baseline) {
  return baseline.p50_ns > 0
             ? static_cast<double>(subject.p50_ns) / static_cast<double>(baseline.p50_ns)
             : 0.0;
}

// The table's title and column heads: `command`, its iterations and the machine's load
// (marked for discarding when it was busy).
inline void PrintTableHead(const char* command, int iterations, const MachineLoad& load) {
  std::printf("codeyard-bench %s: %d iterations, load %.2f -> %.2f on %u cores%s\n", command,
              iterations, load.before, load.after, load.cores,
              load.Busy() ? " (busy machine: discard)" : "");
  std::printf("%-36s %9s %9s %9s\n", "(ms)", "p50", "p95", "ratio");
}

// One row: p50 and p95 in ms with `decimals`, and the p50 ratio to `baseline`; the baseline's
// own row passes nullptr and reads 1.00x.
inline void PrintTableRow(const char* label, const Summary& s, const Summary* baseline,
                          int decimals = 2) {
  std::printf("%-36s %9.*f %9.*f ", label, decimals, Ms(s.p50_ns), decimals, Ms(s.p95_ns));
  if (baseline == nullptr) {
    std::printf("%9s\n", "1.00x");
  } else {
    std::printf("%8.2fx\n", Ratio(s, *baseline));
  }
}

}  // namespace codeyard::bench
