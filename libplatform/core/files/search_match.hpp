// The matching half of FileSearch (codeyard/search.hpp), apart from storage so that its rules
// (binary files, lines, columns, snippets, the regex bounds) are tested on plain strings. Not
// a public interface. A LineMatcher is immutable once made and safe to share between threads.
#pragma once

#include <cstddef>
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

class LineMatcher {
 public:
  // kInvalidArgument for an empty query, one over limits.max_query_bytes, or a regex that
  // does not compile.
  [[nodiscard]] static Result<std::shared_ptr<const LineMatcher>> Make(const SearchQuery& query,
                                                                       const SearchLimits& limits);
  virtual ~LineMatcher() = default;

  // Appends to `out` the matching lines of `content` (one entry per line, its first match),
  // at most `max` of them. kInvalidArgument when a regex is too complex for a line.
  [[nodiscard]] virtual Result<void> FindAll(std::string_view content, std::size_t max,
                                             std::vector<SearchMatch>* out) const = 0;
};

}  // namespace codeyard::search
