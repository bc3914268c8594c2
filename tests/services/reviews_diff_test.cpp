// The line diff behind review diffs and outdated comments: Myers' edit script against a
// brute-force LCS on random inputs, the hunks' shape, and the bounds.
#include <catch2/catch.hpp>

#include <random>

#include "core/reviews/diff.hpp"

namespace codeyard::reviews {
namespace {

// The length of the longest common subsequence, by dynamic programming.
std::size_t Lcs(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b) {
  std::vector<std::vector<std::size_t>> t(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      t[i][j] = a[i - 1] == b[j - 1] ? t[i - 1][j - 1] + 1 : std::max(t[i - 1][j], t[i][j - 1]);
    }
  }
  return t[a.size()][b.size()];
}

TEST_CASE("reviews diff: edit scripts are valid and shortest", "[reviews][diff]") {
  std::mt19937 rng(15);
  const std::vector<std::string> alphabet = {"a", "b", "c", "d"};
  for (int round = 0; round < 400; ++round) {
    std::vector<std::string> sa(rng() % 12);
    std::vector<std::string> sb(rng() % 12);
    for (auto& s : sa) s = alphabet[rng() % alphabet.size()];
    for (auto& s : sb) s = alphabet[rng() % alphabet.size()];
    const std::vector<std::string_view> a(sa.begin(), sa.end());
    const std::vector<std::string_view> b(sb.begin(), sb.end());
    const auto edits = LineEdits(a, b);
    REQUIRE(edits);
    // Replaying the script turns a into b, and it keeps as many lines as the LCS has.
    std::vector<std::string_view> out;
    std::size_t kept = 0;
    int64_t next_old = 0;
    for (const Edit& e : *edits) {
      if (e.op != Edit::Op::kInsert) CHECK(e.old_index == next_old++);
      if (e.op == Edit::Op::kEqual) {
        CHECK(a[e.old_index] == b[e.new_index]);
        ++kept;
      }
      if (e.op != Edit::Op::kDelete) {
        CHECK(e.new_index == static_cast<int64_t>(out.size()));
        out.push_back(b[e.new_index]);
      }
    }
    CHECK(next_old == static_cast<int64_t>(a.size()));
    CHECK(out == b);
    CHECK(kept == Lcs(a, b));
  }
}

TEST_CASE("reviews diff: hunks have context, numbers and merge when close", "[reviews][diff]") {
  std::string before;
  for (int i = 1; i <= 20; ++i) before += "l" + std::to_string(i) + "\n";
  std::string after = before;
  after.replace(after.find("l2\n"), 3, "L2\n");
  after.replace(after.find("l18\n"), 4, "");
  const FileDiff d = DiffFile("f", FileChange::kChanged, before, after);
  REQUIRE(d.hunks.size() == 2);
  CHECK(d.hunks[0].old_start == 1);
  CHECK(d.hunks[0].old_lines == 5);
  CHECK(d.hunks[0].new_lines == 5);
  CHECK(d.hunks[0].lines == std::vector<std::string>{" l1", "-l2", "+L2", " l3", " l4", " l5"});
  CHECK(d.hunks[1].old_start == 15);
  CHECK(d.hunks[1].new_start == 15);
  CHECK(d.hunks[1].old_lines == 6);
  CHECK(d.hunks[1].new_lines == 5);
  // Changes six lines apart share a hunk.
  std::string near = before;
  near.replace(near.find("l2\n"), 3, "X\n");
  near.replace(near.find("l9\n"), 3, "Y\n");
  CHECK(DiffFile("f", FileChange::kChanged, before, near).hunks.size() == 1);
  // An added empty file has no hunk; an added file is all '+'.
  CHECK(DiffFile("f", FileChange::kAdded, "", "").hunks.empty());
  const FileDiff added = DiffFile("f", FileChange::kAdded, "", "x\ny");
  REQUIRE(added.hunks.size() == 1);
  CHECK(added.hunks[0].old_start == 0);
  CHECK(added.hunks[0].new_start == 1);
  CHECK(added.hunks[0].lines == std::vector<std::string>{"+x", "+y"});
}

TEST_CASE("reviews diff: binary content and the bounds", "[reviews][diff]") {
  const FileDiff bin = DiffFile("b", FileChange::kChanged, std::string("a\0b", 3), "ab");
  CHECK(bin.binary);
  CHECK(bin.hunks.empty());
  // More lines than kMaxDiffLines: no hunks, said so.
  std::string big;
  for (int64_t i = 0; i <= kMaxDiffLines; ++i) big += "x\n";
  const FileDiff large = DiffFile("big", FileChange::kChanged, big, big + "y\n");
  CHECK(large.too_large);
  CHECK(large.hunks.empty());
  // An edit distance over kMaxDiffEdits: two unrelated files of 600 lines each.
  std::string left;
  std::string right;
  for (int i = 0; i < 600; ++i) {
    left += "left " + std::to_string(i) + "\n";
    right += "right " + std::to_string(i) + "\n";
  }
  CHECK(DiffFile("far", FileChange::kChanged, left, right).too_large);
  // Within the bound, with a shared prefix and suffix taken off first.
  const std::string many = left + left + left;  // 1800 lines
  CHECK_FALSE(DiffFile("near", FileChange::kChanged, many, "y\n" + many + "z\n").too_large);
}

TEST_CASE("reviews diff: LinesUnchanged follows lines that moved", "[reviews][diff]") {
  const std::string before = "a\nb\nc\nd\n";
  CHECK(LinesUnchanged(before, "new\na\nb\nc\nd\n", 2, 3));
  CHECK_FALSE(LinesUnchanged(before, "a\nB\nc\nd\n", 2, 3));
  CHECK_FALSE(LinesUnchanged(before, "a\nb\nnew\nc\nd\n", 2, 3));  // inserted inside
  CHECK(LinesUnchanged(before, "a\nb\nc\nnew\nd\n", 2, 3));        // inserted after
  CHECK_FALSE(LinesUnchanged(before, "a\nc\nd\n", 2, 2));          // deleted
  CHECK_FALSE(LinesUnchanged(before, before, 4, 5));               // past the end
  CHECK(LinesUnchanged(before, before, 1, 4));
}

}  // namespace
}  // namespace codeyard::reviews
