// Search across a workspace's files (codeyard/search.hpp): matches grouped by file with lines,
// UTF-16 columns and snippets; binary and oversized files skipped; every cap (results, bytes
// scanned, query length) and the regex bounds (a bad pattern, catastrophic backtracking); and
// another user's workspace behaving as a missing one. Store-backed cases run on both backends.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "codeyard/files.hpp"
#include "codeyard/id.hpp"
#include "codeyard/search.hpp"
#include "core/files/paths.hpp"
#include "core/files/search_match.hpp"
#include "services/workspace_world.hpp"
#include "storage/backend_fixture.hpp"

namespace codeyard {
namespace {

using Code = Error::Code;
using Catch::Matchers::Contains;

class World {
 public:
  explicit World(std::unique_ptr<testing::TestDatabase> db)
      : db_(std::move(db)), platform_(testing::OpenTestPlatform(*db_, nullptr)) {
    files = std::make_unique<Files>(platform_);
    ada = testing::InsertUser(*platform_, "ada");
    bob = testing::InsertUser(*platform_, "bob");
    ws = testing::InsertWorkspace(*platform_, ada, "proj");
  }

  void Put(const std::string& path, const std::string& content) {
    auto written = files->Write(ada, ws, path, content);
    if (!written) FAIL(written.error().ToString());
  }

  [[nodiscard]] FileSearch Searcher(SearchLimits limits = {}) const {
    return FileSearch(platform_, limits);
  }

 private:
  std::unique_ptr<testing::TestDatabase> db_;
  std::shared_ptr<Platform> platform_;

 public:
  std::unique_ptr<Files> files;
  std::string ada, bob, ws;
};

SearchQuery Q(std::string text, bool case_sensitive = false, bool regex = false) {
  return SearchQuery{std::move(text), case_sensitive, regex};
}

std::vector<SearchMatch> Lines(std::string_view content, const SearchQuery& query,
                               SearchLimits limits = {}) {
  auto matcher = search::LineMatcher::Make(query, limits);
  REQUIRE(matcher);
  std::vector<SearchMatch> out;
  search::CpuBudget budget{std::chrono::minutes(1)};
  REQUIRE((*matcher)->FindAll(content, 100, &out, budget));
  REQUIRE_FALSE(budget.spent());
  return out;
}

TEST_CASE("search: plain text finds each matching line once, with line and column", "[search]") {
  const auto m = Lines("alpha\nbeta gamma beta\r\n\nBETA\nend", Q("beta"));
  REQUIRE(m.size() == 2);
  CHECK(m[0].line == 2);
  CHECK(m[0].column == 1);
  CHECK(m[0].length == 4);
  CHECK(m[0].text == "beta gamma beta");  // the \r of a CRLF line is not shown
  CHECK(m[1].line == 4);
  CHECK(m[1].text == "BETA");
  const auto exact = Lines("alpha\nbeta gamma beta\n\nBETA\nend", Q("BETA", true));
  REQUIRE(exact.size() == 1);
  CHECK(exact[0].line == 4);
  CHECK(Lines("no match here", Q("zzz")).empty());
  const auto last = Lines("a\nb\nneedle", Q("needle"));  // no final newline
  REQUIRE(last.size() == 1);
  CHECK(last[0].line == 3);
}

TEST_CASE("search: columns count UTF-16 units, as the editor does", "[search]") {
  // "é" is 2 bytes and 1 unit; "😀" is 4 bytes and 2 units.
  const auto m = Lines("é😀 word", Q("word"));
  REQUIRE(m.size() == 1);
  CHECK(m[0].column == 5);  // é(1) 😀(2) space(1), then the word
  CHECK(m[0].text_column == 5);
}

TEST_CASE("search: a long line is cut around the match into valid UTF-8", "[search]") {
  std::string line(500, 'x');
  line.replace(300, 6, "target");
  line.replace(238, 2, "\xC3\xA9");  // a 2-byte character where the cut may fall
  const auto m = Lines(line + "\xFF\n", Q("target"));
  REQUIRE(m.size() == 1);
  CHECK(m[0].column == 300);  // 299 units before it (é is one unit for two bytes)
  CHECK(m[0].text.size() <= 200);
  CHECK(m[0].text.substr(static_cast<std::size_t>(m[0].text_column) - 1, 6) == "target");
  CHECK(search::ValidUtf8("a\xFF"
                          "b\xC3") ==
        "a\xEF\xBF\xBD"
        "b\xEF\xBF\xBD");
}

TEST_CASE("search: a snippet of invalid bytes stays within 200 bytes", "[search]") {
  // fuzz (search): every invalid byte shows as U+FFFD, three bytes, so a short line of them
  // (or a cut one) grew past the 200 bytes the API promises.
  for (const std::size_t before : {std::size_t{10}, std::size_t{100}, std::size_t{400}}) {
    const std::string line = std::string(before, '\xE6') + "$c" + std::string(150, '\xE6');
    const auto m = Lines(line, Q("$c"));
    REQUIRE(m.size() == 1);
    CHECK(m[0].text.size() <= 200);
    CHECK(IsUtf8(m[0].text));
    CHECK(m[0].text.starts_with("\xEF\xBF\xBD"));
    CHECK(m[0].text.substr(static_cast<std::size_t>(m[0].text_column - 1) * 3, 2) == "$c");
  }
}

TEST_CASE("search: regular expressions, and their bounds", "[search]") {
  const auto m =
      Lines("def main():\n    x = foo(1)\ndef helper(a, b):\n", Q("^def \\w+\\(", false, true));
  REQUIRE(m.size() == 2);
  CHECK(m[1].line == 3);
  CHECK(m[1].length == 11);

  auto bad = search::LineMatcher::Make(Q("(unclosed", false, true), {});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code() == Code::kInvalidArgument);
  CHECK_THAT(bad.error().message(), Contains("does not compile"));

  // Catastrophic backtracking ends as an error, quickly, instead of taking the thread.
  auto evil = search::LineMatcher::Make(Q("(a+)+b", true, true), {});
  REQUIRE(evil);
  std::vector<SearchMatch> out;
  search::CpuBudget budget{std::chrono::minutes(1)};
  const auto found = (*evil)->FindAll(std::string(4000, 'a'), 10, &out, budget);
  REQUIRE_FALSE(found);
  CHECK(found.error().code() == Code::kInvalidArgument);
  CHECK_THAT(found.error().message(), Contains("too complex"));
}

TEST_CASE("search: a regex that recurses without end is stopped by the CPU budget", "[search]") {
  // fuzz search (stop 31): "(?2)" recursing into its own group, first thing, on a 17-byte
  // line: Boost.Regex recursed until its 4 MiB of backtracking states ran out, 1.4 s of CPU
  // per line at -O2 (20 s under ASan) before its error. The budget stops it mid-match.
  const std::string query =
      "((|cc" + std::string(79, '\xc0') +
      "ent|((?2)(\xbf||\xfc|||).\x81\x81||l|||.|)+?\xd0\xd6()#.+?.+||\xff|\xff||||"
      "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xf7\xff\xff\xff\xff\xff\xff\xff\xff\xff.||;||<|||||"
      "||||"
      "\xff||||.|||()\xff*c*+c|||||.|$" +
      std::string(25, '\xff') + "||;))*c+";
  auto recursing = search::LineMatcher::Make(Q(query, false, true), {});
  REQUIRE(recursing);
  std::vector<SearchMatch> out;
  search::CpuBudget budget{std::chrono::milliseconds(20)};
  const auto found = (*recursing)->FindAll("\x1e)\xff.))*c+\\*c+\\n+<", 10, &out, budget);
  REQUIRE(found);
  CHECK(budget.spent());
  CHECK(out.empty());
  // Spent stays spent: the next file is not searched.
  CHECK((*recursing)->FindAll("cc", 10, &out, budget));
  CHECK(out.empty());
}

TEST_CASE("search: queries that are refused", "[search]") {
  SearchLimits limits;
  limits.max_query_bytes = 8;
  for (const auto& q : {Q(""), Q("123456789"), Q("two\nlines")}) {
    auto made = search::LineMatcher::Make(q, limits);
    REQUIRE_FALSE(made);
    CHECK(made.error().code() == Code::kInvalidArgument);
  }
  auto over = search::LineMatcher::Make(Q("123456789"), limits);
  CHECK_THAT(over.error().message(), Contains("search.max_query_bytes"));
}

TEMPLATE_TEST_CASE("search: results grouped by file in path order, binary files skipped",
                   "[search]", CODEYARD_STORAGE_BACKENDS) {
  World w(TestType::Create());
  w.Put("src/main.py", "import util\nprint(util.answer())\n");
  w.Put("src/util.py", "def answer():\n    return 42  # the answer\n");
  w.Put("README.md", "The Answer is documented here.\n");
  w.Put("data.bin", std::string("answer\0\x01\x02", 9));
  w.files->MakeDir(w.ada, w.ws, "empty").value();
  const auto r = w.Searcher().Search(w.ada, w.ws, Q("answer"));
  REQUIRE(r);
  REQUIRE(r->files.size() == 3);
  CHECK(r->files[0].path == "README.md");
  CHECK(r->files[1].path == "src/main.py");
  CHECK(r->files[2].path == "src/util.py");
  REQUIRE(r->files[2].matches.size() == 2);
  CHECK(r->files[2].matches[1].line == 2);
  CHECK(r->matches == 4);
  CHECK(r->files_scanned == 3);
  CHECK(r->files_skipped == 1);  // data.bin
  CHECK(r->truncated_by.empty());
}

TEMPLATE_TEST_CASE("search: the caps cut a search short and say which", "[search]",
                   CODEYARD_STORAGE_BACKENDS) {
  World w(TestType::Create());
  for (int i = 0; i < 5; ++i) w.Put("f" + std::to_string(i) + ".txt", "hit\nhit\nmiss\n");
  w.Put("huge.txt", std::string(3000, 'h') + "hit\n");

  SearchLimits results;
  results.max_results = 3;
  const auto few = w.Searcher(results).Search(w.ada, w.ws, Q("hit"));
  REQUIRE(few);
  CHECK(few->matches == 3);
  REQUIRE(few->files.size() == 2);
  CHECK(few->files[1].matches.size() == 1);
  CHECK(few->truncated_by == "search.max_results");

  SearchLimits scan;
  scan.max_scan_bytes = 30;  // two files of 13 bytes, not three
  const auto part = w.Searcher(scan).Search(w.ada, w.ws, Q("hit"));
  REQUIRE(part);
  CHECK(part->files.size() == 2);
  CHECK(part->bytes_scanned == 26);
  CHECK(part->truncated_by == "search.max_scan_bytes");

  SearchLimits file;
  file.max_file_bytes = 100;
  const auto skipped = w.Searcher(file).Search(w.ada, w.ws, Q("hit"));
  REQUIRE(skipped);
  CHECK(skipped->files.size() == 5);  // huge.txt skipped
  CHECK(skipped->files_skipped == 1);
  CHECK(skipped->truncated_by.empty());
}

TEMPLATE_TEST_CASE("search: a regex that backtracks on every line stops at search.max_cpu_ms",
                   "[search]", CODEYARD_STORAGE_BACKENDS) {
  // Each line passes Boost.Regex's own bound (2^13 paths, under its 100,000 states for a
  // 2-byte line) but costs about half a millisecond: 200,000 such lines are 100 s of the
  // server's CPU for one request without the budget (fuzz search, stop 31).
  World w(TestType::Create());
  w.Put("a.txt", "xz\n");
  std::string lines;
  for (int i = 0; i < 200000; ++i) lines += "x\n";
  w.Put("b.txt", lines);
  w.Put("c.txt", "xz\n");
  std::string pattern;
  for (int i = 0; i < 13; ++i) pattern += "(|)";
  pattern += "xz";
  SearchLimits limits;
  limits.max_cpu_ms = 50;
  const auto cut = w.Searcher(limits).Search(w.ada, w.ws, Q(pattern, false, true));
  REQUIRE(cut);
  CHECK(cut->truncated_by == "search.max_cpu_ms");
  REQUIRE(cut->files.size() == 1);  // a.txt, found before the time ran out
  CHECK(cut->files[0].path == "a.txt");
  CHECK(cut->matches == 1);

  // The same pattern on short files takes its time and finds both.
  w.files->Delete(w.ada, w.ws, "b.txt").value();
  const auto whole = w.Searcher(limits).Search(w.ada, w.ws, Q(pattern, false, true));
  REQUIRE(whole);
  CHECK(whole->truncated_by.empty());
  CHECK(whole->matches == 2);
}

TEMPLATE_TEST_CASE("search: another user's workspace is not found", "[search]",
                   CODEYARD_STORAGE_BACKENDS) {
  World w(TestType::Create());
  w.Put("secret.txt", "password\n");
  const auto r = w.Searcher().Search(w.bob, w.ws, Q("password"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == Code::kNotFound);
  const auto missing = w.Searcher().Search(w.ada, NewUuid(), Q("password"));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code() == Code::kNotFound);
}

}  // namespace
}  // namespace codeyard
