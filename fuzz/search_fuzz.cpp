// Workspace search (core/files/search_match.hpp): a user's query, a literal or a regex (Perl
// syntax, compiled by the library), run over file contents, which are the user's too. Beyond
// not crashing (a regex that would recurse or backtrack without end must be refused or stopped
// by the search's CPU budget, here 100 ms an input, not run until the stack or the clock gives
// out: finding 6 of docs/reliability.md): every match lies inside its line, with a 1-based
// column, and its snippet is valid UTF-8 of at most 200 bytes. Input: flags byte, then the
// query and the content (FuzzedDataProvider).
#include <fuzzer/FuzzedDataProvider.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/files/paths.hpp"
#include "core/files/search_match.hpp"
#include "fuzz_util.hpp"

namespace {

void Check(bool ok, const char* what) { codeyard::fuzz::Check(ok, "search_fuzz", what); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  codeyard::SearchQuery query;
  query.regex = in.ConsumeBool();
  query.case_sensitive = in.ConsumeBool();
  query.text = in.ConsumeRandomLengthString(300);
  const std::string content = in.ConsumeRemainingBytesAsString();
  (void)codeyard::search::LooksBinary(content);
  (void)codeyard::search::Utf16Length(content);
  Check(codeyard::IsUtf8(codeyard::search::ValidUtf8(content)), "ValidUtf8 is not UTF-8");
  codeyard::SearchLimits limits;
  auto matcher = codeyard::search::LineMatcher::Make(query, limits);
  if (!matcher) return 0;
  std::vector<codeyard::SearchMatch> matches;
  codeyard::search::CpuBudget budget{std::chrono::milliseconds(100)};
  if (!(*matcher)->FindAll(content, 100, &matches, budget)) return 0;
  Check(matches.size() <= 100, "more matches than asked");
  for (const auto& m : matches) {
    Check(m.line >= 1 && m.column >= 1 && m.length >= 0, "a match out of its line");
    Check(m.text.size() <= 200, "a snippet over 200 bytes");
    Check(codeyard::IsUtf8(m.text), "a snippet that is not UTF-8");
  }
  return 0;
}
