#include "core/reviews/diff.hpp"

#include <algorithm>
#include <string>

namespace codeyard::reviews {
namespace {

constexpr int64_t kContext = 3;

bool IsBinary(std::string_view text) { return text.find('\0') != std::string_view::npos; }

std::vector<Edit> Myers(const std::vector<std::string_view>& a,
                        const std::vector<std::string_view>& b, int64_t lo, int64_t n, int64_t m,
                        int64_t max_d, bool& ok) {
  // a[lo, lo+n) against b[lo, lo+m). V[k] is the furthest x on diagonal k; trace[d] is V as
  // it was before step d, for the walk back.
  const int64_t off = max_d + 1;
  std::vector<int64_t> v(static_cast<std::size_t>(2 * max_d + 3), 0);
  // Only diagonals -d-1..d+1 are read back at step d: about D² entries in all.
  std::vector<std::vector<int32_t>> trace;
  int64_t found = -1;
  for (int64_t d = 0; d <= max_d && found < 0; ++d) {
    trace.emplace_back(v.begin() + (off - d - 1), v.begin() + (off + d + 2));
    for (int64_t k = -d; k <= d; k += 2) {
      int64_t x = (k == -d || (k != d && v[k - 1 + off] < v[k + 1 + off])) ? v[k + 1 + off]
                                                                           : v[k - 1 + off] + 1;
      int64_t y = x - k;
      while (x < n && y < m && a[lo + x] == b[lo + y]) ++x, ++y;
      v[k + off] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  ok = found >= 0;
  std::vector<Edit> out;
  if (!ok) return out;
  int64_t x = n;
  int64_t y = m;
  for (int64_t d = found; d > 0; --d) {
    const std::vector<int32_t>& pv = trace[static_cast<std::size_t>(d)];
    const int64_t base = d + 1;  // pv[k + base] is V[k] before step d
    const int64_t k = x - y;
    const bool down = k == -d || (k != d && pv[k - 1 + base] < pv[k + 1 + base]);
    const int64_t pk = down ? k + 1 : k - 1;
    const int64_t px = pv[pk + base];
    const int64_t py = px - pk;
    while (x > px && y > py) {
      --x, --y;
      out.push_back({Edit::Op::kEqual, lo + x, lo + y});
    }
    if (down) {
      --y;
      out.push_back({Edit::Op::kInsert, -1, lo + y});
    } else {
      --x;
      out.push_back({Edit::Op::kDelete, lo + x, -1});
    }
    x = px;
    y = py;
  }
  while (x > 0 && y > 0) {
    --x, --y;
    out.push_back({Edit::Op::kEqual, lo + x, lo + y});
  }
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

std::optional<std::vector<Edit>> LineEdits(const std::vector<std::string_view>& a,
                                           const std::vector<std::string_view>& b) {
  const auto na = static_cast<int64_t>(a.size());
  const auto nb = static_cast<int64_t>(b.size());
  if (na > kMaxDiffLines || nb > kMaxDiffLines) return std::nullopt;
  int64_t pre = 0;
  while (pre < na && pre < nb && a[pre] == b[pre]) ++pre;
  int64_t suf = 0;
  while (suf < na - pre && suf < nb - pre && a[na - 1 - suf] == b[nb - 1 - suf]) ++suf;
  const int64_t n = na - pre - suf;
  const int64_t m = nb - pre - suf;
  if (std::max(n, m) - std::min(n, m) > kMaxDiffEdits) return std::nullopt;
  std::vector<Edit> out;
  out.reserve(static_cast<std::size_t>(std::max(na, nb)));
  for (int64_t i = 0; i < pre; ++i) out.push_back({Edit::Op::kEqual, i, i});
  bool ok = true;
  const std::vector<Edit> middle = Myers(a, b, pre, n, m, std::min(n + m, kMaxDiffEdits), ok);
  if (!ok) return std::nullopt;
  // Myers indexes both sides from `pre`; they are equal there, so no shift is needed.
  out.insert(out.end(), middle.begin(), middle.end());
  for (int64_t i = 0; i < suf; ++i) out.push_back({Edit::Op::kEqual, na - suf + i, nb - suf + i});
  return out;
}

FileDiff DiffFile(std::string path, FileChange change, std::string_view before,
                  std::string_view after) {
  FileDiff diff{std::move(path), change, {}, false, false};
  if (IsBinary(before) || IsBinary(after)) {
    diff.binary = true;
    return diff;
  }
  const std::vector<std::string_view> a = SplitLines(before);
  const std::vector<std::string_view> b = SplitLines(after);
  const std::optional<std::vector<Edit>> edits = LineEdits(a, b);
  if (!edits) {
    diff.too_large = true;
    return diff;
  }
  const std::vector<Edit>& e = *edits;
  const auto count = static_cast<int64_t>(e.size());
  int64_t i = 0;
  while (i < count) {
    while (i < count && e[i].op == Edit::Op::kEqual) ++i;
    if (i == count) break;
    // A hunk: from kContext equal lines before the change to kContext after the last change
    // that is within 2*kContext equal lines of the previous one.
    const int64_t begin = std::max<int64_t>(0, i - kContext);
    int64_t end = i;
    while (end < count) {
      if (e[end].op != Edit::Op::kEqual) {
        ++end;
        continue;
      }
      int64_t run = end;
      while (run < count && e[run].op == Edit::Op::kEqual) ++run;
      if (run == count || run - end > 2 * kContext) {
        end = std::min(count, end + kContext);
        break;
      }
      end = run;
    }
    DiffHunk hunk;
    // Where the hunk starts on each side: the first old/new line it shows, or, when it shows
    // none of one side, the line before which it applies.
    int64_t old_first = -1;
    int64_t new_first = -1;
    int64_t old_before = 0;
    int64_t new_before = 0;
    for (int64_t j = 0; j < begin; ++j) {
      if (e[j].old_index >= 0) old_before = e[j].old_index + 1;
      if (e[j].new_index >= 0) new_before = e[j].new_index + 1;
    }
    for (int64_t j = begin; j < end; ++j) {
      const Edit& ed = e[j];
      std::string line;
      if (ed.op == Edit::Op::kEqual) {
        line = " " + std::string(a[ed.old_index]);
      } else if (ed.op == Edit::Op::kDelete) {
        line = "-" + std::string(a[ed.old_index]);
      } else {
        line = "+" + std::string(b[ed.new_index]);
      }
      if (ed.old_index >= 0) {
        if (old_first < 0) old_first = ed.old_index;
        ++hunk.old_lines;
      }
      if (ed.new_index >= 0) {
        if (new_first < 0) new_first = ed.new_index;
        ++hunk.new_lines;
      }
      hunk.lines.push_back(std::move(line));
    }
    // Unified diff convention: a side with no lines starts at the line before the hunk.
    hunk.old_start = old_first >= 0 ? old_first + 1 : old_before;
    hunk.new_start = new_first >= 0 ? new_first + 1 : new_before;
    diff.hunks.push_back(std::move(hunk));
    i = end;
  }
  return diff;
}

bool LinesUnchanged(std::string_view before, std::string_view after, int64_t first, int64_t last) {
  if (IsBinary(before) || IsBinary(after)) return false;
  const std::vector<std::string_view> a = SplitLines(before);
  if (first < 1 || last < first || last > static_cast<int64_t>(a.size())) return false;
  if (before == after) return true;
  const std::vector<std::string_view> b = SplitLines(after);
  const std::optional<std::vector<Edit>> edits = LineEdits(a, b);
  if (!edits) return false;
  int64_t previous_new = -1;
  bool inside = false;
  for (const Edit& e : *edits) {
    const bool in_range = e.old_index >= first - 1 && e.old_index <= last - 1;
    if (e.op == Edit::Op::kInsert) {
      if (inside) return false;  // a line inserted between two of the range
      continue;
    }
    if (!in_range) {
      if (inside) break;
      continue;
    }
    if (e.op == Edit::Op::kDelete) return false;
    if (inside && e.new_index != previous_new + 1) return false;
    inside = e.old_index < last - 1;
    previous_new = e.new_index;
  }
  return true;
}

}  // namespace codeyard::reviews
