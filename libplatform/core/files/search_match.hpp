// The matching half of FileSearch (codeyard/search.hpp), apart from storage so that its rules
// (binary files, lines, columns, snippets, the regex bounds) are tested on plain strings. Not
// a public interface. A LineMatcher is immutable once made and safe to share between threads; a
// CpuBudget belongs to one search on one thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/error.hpp"
#include "codeyard/search.hpp"

namespace codeyard::search {

// Whether `content` looks binary: a NUL byte in its first 8 KiB (what grep and git decide).
[[nodiscard]] bool LooksBinary(std::string_view content);

// UTF-16 code units in `utf8` (an invalid byte counts as one, as it decodes to U+FFFD).
[[nodiscard]] int64_t Utf16Length(std::string_view utf8);

// `text` with every invalid UTF-8 sequence replaced by U+FFFD, so it can travel in JSON.
[[nodiscard]] std::string ValidUtf8(std::string_view text);

// The CPU time one search may spend (search.max_cpu_ms), on the calling thread's CPU clock from
// its construction. Work is charged in steps (a regex's every look at the line: a character
// read, a comparison with the line's end, a move; a line; 64 bytes of a plain scan) and the
// clock is read every 4096 steps, so a regex that backtracks within one line is stopped as well
// as a long run of cheap lines. Boost.Regex's own bound (a match visiting more states than it
// derives from the line's and the pattern's length throws) is per line; this one is per search.
class CpuBudget {
 public:
  explicit CpuBudget(std::chrono::milliseconds limit);

  // Counts `steps`; false once the time is spent (and from then on). Inline: a regex charges
  // every step of its walk.
  bool Charge(uint64_t steps) {
    if (steps < until_clock_) {
      until_clock_ -= steps;
      return true;
    }
    return ReadClock();
  }
  [[nodiscard]] bool spent() const { return spent_; }

  // Whether a regex was already stopped mid-match (RegexMatcher throws once: Boost.Regex
  // unwinds its states after a throw, with more steps, which must not throw again).
  bool TakeStop();

 private:
  bool ReadClock();

  int64_t end_ns_;
  uint64_t until_clock_;  // steps left before the clock is read again; 0 once spent
  bool spent_ = false;
  bool stopped_ = false;
};

class LineMatcher {
 public:
  // kInvalidArgument for an empty query, one over limits.max_query_bytes, or a regex that
  // does not compile.
  [[nodiscard]] static Result<std::shared_ptr<const LineMatcher>> Make(const SearchQuery& query,
                                                                       const SearchLimits& limits);
  virtual ~LineMatcher() = default;

  // Appends to `out` the matching lines of `content` (one entry per line, its first match),
  // at most `max` of them, charging `budget`; once it is spent, stops where it is (what was
  // found stays in `out`; budget.spent() tells). kInvalidArgument when a regex is too complex
  // for a line (Boost.Regex's bound).
  [[nodiscard]] virtual Result<void> FindAll(std::string_view content, std::size_t max,
                                             std::vector<SearchMatch>* out,
                                             CpuBudget& budget) const = 0;
};

}  // namespace codeyard::search
