// Search across the files of a workspace, as the IDE's search panel (Ctrl+Shift+F) asks for
// it: every line of every stored text file that holds the query, grouped by file in path
// order, with its line number, where the match is and a snippet of the line. It reads what
// storage holds (the source of truth, which the terminal's files reach through the sync), so
// the browser never downloads the workspace to search it.
//
// The work is bounded, each bound a config key (search.*): the query's length, the bytes read
// (files past search.max_file_bytes are skipped, the scan stops at search.max_scan_bytes),
// the matches returned (search.max_results), the snippet's length, and the CPU time the search
// takes on its thread (search.max_cpu_ms: past it the search stops where it is, with what it
// found). Binary files (a NUL byte in their first 8 KiB, as grep and git decide) are skipped.
// A regular expression runs on Boost.Regex, which matches without recursion and gives up a
// match whose work grows past a bound derived from the line's and the pattern's length
// (catastrophic backtracking such as "(a+)+b" on a long line of a's ends the search with
// kInvalidArgument, never hangs a thread), on lines cut to search.max_line_bytes; that bound is
// per line and grows with the pattern's length squared, so the CPU budget, charged as the
// regex walks each line, is what bounds a whole search (a pattern that costs a millisecond on
// each of a million short lines, or seconds on one long line).
//
// A workspace the user does not own is kNotFound, like Files. A FileSearch is safe to use
// from many threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/config.hpp"
#include "codeyard/error.hpp"
#include "codeyard/platform.hpp"

namespace codeyard {

struct SearchLimits {
  int64_t max_query_bytes = 256;               // search.max_query_bytes
  int64_t max_results = 1000;                  // search.max_results: matching lines returned
  int64_t max_scan_bytes = int64_t{64} << 20;  // search.max_scan_bytes: file bytes read
  int64_t max_file_bytes = int64_t{1} << 20;   // search.max_file_bytes: larger files skipped
  int64_t max_line_bytes = 4096;               // search.max_line_bytes: longer lines are cut
  int64_t max_cpu_ms = 5000;                   // search.max_cpu_ms: CPU time of one search
};

struct SearchQuery {
  std::string text;             // 1 to max_query_bytes bytes
  bool case_sensitive = false;  // insensitive folds ASCII letters
  bool regex = false;           // Perl (ECMAScript-like) syntax
};

struct SearchMatch {
  int64_t line = 0;         // 1-based
  int64_t column = 0;       // 1-based, in UTF-16 code units (as editors count), first match on line
  int64_t length = 0;       // UTF-16 code units
  std::string text;         // the line, cut around the match to at most 200 bytes of valid UTF-8
  int64_t text_column = 0;  // where the match starts in `text` (1-based, UTF-16 units)
};

struct SearchFileResult {
  std::string path;
  std::vector<SearchMatch> matches;  // one per matching line, in line order
};

struct SearchResult {
  std::vector<SearchFileResult> files;  // path order
  int64_t matches = 0;                  // lines returned
  int64_t files_scanned = 0;
  int64_t bytes_scanned = 0;
  int64_t files_skipped = 0;  // binary, or over search.max_file_bytes
  // Set when a cap cut the search short: the config key that did ("search.max_results",
  // "search.max_scan_bytes", "search.max_cpu_ms"); empty when every file was searched.
  std::string truncated_by;
};

// The search.* keys of `config`.
[[nodiscard]] SearchLimits SearchLimitsFrom(const Config& config);

class FileSearch {
 public:
  FileSearch(std::shared_ptr<Platform> platform, SearchLimits limits = {});

  // kInvalidArgument for an empty or too long query, a regex that does not compile or that is
  // too complex to match; kNotFound for a workspace the user does not own.
  [[nodiscard]] Result<SearchResult> Search(std::string_view user_id, std::string_view workspace_id,
                                            const SearchQuery& query) const;

  [[nodiscard]] const SearchLimits& limits() const { return limits_; }

 private:
  std::shared_ptr<Platform> platform_;
  SearchLimits limits_;
};

}  // namespace codeyard
