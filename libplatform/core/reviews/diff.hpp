// Line diffs for reviews: Myers' O(ND) algorithm over lines, bounded. Past kMaxDiffLines
// lines on either side, or an edit distance over kMaxDiffEdits lines (after the common
// prefix and suffix are taken off), a file's diff has no hunks and says too_large: the work
// is O((N+M)·D) time and O(D²) memory, so the bound keeps one request under a few MB and
// milliseconds. Content with a NUL byte is binary: change only. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "codeyard/reviews.hpp"

namespace codeyard::reviews {

// Lines without their '\n'; a final line without one counts, an empty text has none.
[[nodiscard]] std::vector<std::string_view> SplitLines(std::string_view text);

struct Edit {
  enum class Op { kEqual, kDelete, kInsert };
  Op op = Op::kEqual;
  int64_t old_index = -1;  // 0-based; -1 for an insertion
  int64_t new_index = -1;  // 0-based; -1 for a deletion
};

// The shortest edit script from `a` to `b`, in order; nullopt past the bounds.
[[nodiscard]] std::optional<std::vector<Edit>> LineEdits(const std::vector<std::string_view>& a,
                                                         const std::vector<std::string_view>& b);

// The hunks (3 lines of context) of a change from `before` to `after`, with `change` set by
// the caller; binary or too_large as described above.
[[nodiscard]] FileDiff DiffFile(std::string path, FileChange change, std::string_view before,
                                std::string_view after);

// Whether lines first..last (1-based, of the old side) came through unchanged and still
// adjacent; false past the bounds.
[[nodiscard]] bool LinesUnchanged(std::string_view before, std::string_view after, int64_t first,
                                  int64_t last);

}  // namespace codeyard::reviews
