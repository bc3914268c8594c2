// The few helpers every `codeyard-bench` command shares: a duration in milliseconds, a
// Result unwrapped or turned into the harness's one failure (BenchFailed, exit 1), and the
// p50 ratio of a subject to its baseline. Header-only, no state: safe from any thread.
#pragma once

#include <cstdint>
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

}  // namespace codeyard::bench
