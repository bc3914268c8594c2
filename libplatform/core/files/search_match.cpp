#include "core/files/search_match.hpp"

#include <time.h>

#include <algorithm>
#include <boost/regex.hpp>
#include <cstring>
#include <iterator>
#include <stdexcept>

namespace codeyard::search {
namespace {

using Code = Error::Code;

constexpr std::size_t kBinaryProbeBytes = 8192;
constexpr std::size_t kSnippetBytes = 200;
constexpr std::size_t kSnippetLead = 60;  // bytes kept before a match in a cut line

constexpr uint64_t kStepsPerClockRead = 4096;
constexpr uint64_t kPlainBytesPerStep = 64;

bool Continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

int64_t ThreadCpuNs() {
  timespec ts{};
  (void)::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Thrown through Boost.Regex when the budget is spent mid-match; not a std::exception, so the
// matcher's own errors (std::runtime_error) stay apart.
struct BudgetSpent {};

// A line's characters as Boost.Regex walks them, charging the budget for every comparison of
// two positions: what bounds a backtracking match by CPU time instead of by Boost's state count
// alone. Boost compares the position with the line's end (or a repeat's end) before it reads a
// character or tries an alternative, so comparisons count its steps. Charging them costs a
// regex search about a third; charging reads and moves too, half as much again
// (codeyard-bench search --regex, docs/benchmarks.md).
// Only what Boost.Regex uses of a random-access iterator (clang-tidy flags the rest unused).
class BudgetedIterator {
 public:
  using iterator_category = std::random_access_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  BudgetedIterator() = default;
  BudgetedIterator(const char* at, CpuBudget* budget) : at_(at), budget_(budget) {}

  reference operator*() const { return *at_; }
  reference operator[](difference_type n) const { return at_[n]; }
  BudgetedIterator& operator++() {
    ++at_;
    return *this;
  }
  BudgetedIterator operator++(int) {
    BudgetedIterator before = *this;
    ++at_;
    return before;
  }
  BudgetedIterator& operator--() {
    --at_;
    return *this;
  }
  BudgetedIterator operator--(int) {
    BudgetedIterator before = *this;
    --at_;
    return before;
  }
  BudgetedIterator& operator+=(difference_type n) {
    at_ += n;
    return *this;
  }
  BudgetedIterator& operator-=(difference_type n) {
    at_ -= n;
    return *this;
  }
  friend difference_type operator-(const BudgetedIterator& a, const BudgetedIterator& b) {
    return a.at_ - b.at_;
  }
  friend bool operator==(const BudgetedIterator& a, const BudgetedIterator& b) {
    a.Step();
    return a.at_ == b.at_;
  }
  [[nodiscard]] const char* get() const { return at_; }

 private:
  void Step() const {
    if (budget_ != nullptr && !budget_->Charge(1) && budget_->TakeStop()) throw BudgetSpent{};
  }

  const char* at_ = nullptr;
  CpuBudget* budget_ = nullptr;
};

char LowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string Lowered(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = LowerAscii(c);
  return out;
}

// The entry for a match at byte `hit` (length `len`) in the line [begin, end) of `content`.
SearchMatch MatchAt(std::string_view content, std::size_t begin, std::size_t end, std::size_t hit,
                    std::size_t len, int64_t line_number) {
  std::string_view line = content.substr(begin, end - begin);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const std::size_t at = std::min(hit - begin, line.size());
  len = std::min(len, line.size() - at);
  SearchMatch m;
  m.line = line_number;
  m.column = Utf16Length(line.substr(0, at)) + 1;
  m.length = Utf16Length(line.substr(at, len));
  std::size_t from = 0;
  std::size_t to = line.size();
  if (line.size() > kSnippetBytes) {
    from = at > kSnippetLead ? at - kSnippetLead : 0;
    while (from < at && Continuation(static_cast<unsigned char>(line[from]))) ++from;
    to = std::min(line.size(), from + kSnippetBytes);
    while (to < line.size() && to > from && Continuation(static_cast<unsigned char>(line[to]))) {
      --to;
    }
  }
  m.text = ValidUtf8(line.substr(from, to - from));
  // Each invalid byte became U+FFFD, three bytes: cut again, at a character's start (fuzz
  // search: 70 invalid bytes made a 210-byte snippet).
  if (m.text.size() > kSnippetBytes) {
    std::size_t cut = kSnippetBytes;
    while (cut > 0 && Continuation(static_cast<unsigned char>(m.text[cut]))) --cut;
    m.text.resize(cut);
  }
  m.text_column = Utf16Length(line.substr(from, at - from)) + 1;
  return m;
}

// Plain text: one scan of the whole file with find (memchr/memcmp), then the line of each hit.
class PlainMatcher final : public LineMatcher {
 public:
  PlainMatcher(std::string needle, bool case_sensitive)
      : needle_(case_sensitive ? std::move(needle) : Lowered(needle)),
        case_sensitive_(case_sensitive) {}

  Result<void> FindAll(std::string_view content, std::size_t max, std::vector<SearchMatch>* out,
                       CpuBudget& budget) const override {
    // Linear in the file (at most search.max_file_bytes): charged whole, before the scan.
    if (!budget.Charge(1 + content.size() / kPlainBytesPerStep)) return {};
    std::string lowered;
    std::string_view hay = content;
    if (!case_sensitive_) {
      lowered = Lowered(content);
      hay = lowered;
    }
    std::size_t found = 0;
    std::size_t pos = 0;
    std::size_t line_begin = 0;
    int64_t line = 1;
    while (found < max && pos <= hay.size()) {
      const std::size_t hit = hay.find(needle_, pos);
      if (hit == std::string_view::npos) break;
      for (const char* p = content.data() + line_begin;;) {
        const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(content.data() + hit - p));
        if (nl == nullptr) break;
        ++line;
        p = static_cast<const char*>(nl) + 1;
        line_begin = static_cast<std::size_t>(p - content.data());
      }
      std::size_t line_end = content.find('\n', hit);
      if (line_end == std::string_view::npos) line_end = content.size();
      out->push_back(MatchAt(content, line_begin, line_end, hit, needle_.size(), line));
      ++found;
      if (line_end == content.size()) break;
      pos = line_end + 1;
      line_begin = pos;
      ++line;
    }
    return {};
  }

 private:
  std::string needle_;
  bool case_sensitive_;
};

// A regular expression, line by line. Boost.Regex matches without recursion and throws once a
// match has visited more states than a bound it derives from the line's and the pattern's
// length; the budget, charged through the iterator, bounds the whole search by CPU time (the
// state bound grows with the pattern's length squared: a 256-byte pattern may take seconds on
// one line, and a cheap line costing a millisecond repeats over a megabyte of lines).
class RegexMatcher final : public LineMatcher {
 public:
  RegexMatcher(const boost::regex& re, std::size_t max_line) : re_(re), max_line_(max_line) {}

  Result<void> FindAll(std::string_view content, std::size_t max, std::vector<SearchMatch>* out,
                       CpuBudget& budget) const override {
    std::size_t found = 0;
    std::size_t begin = 0;
    int64_t line = 1;
    while (found < max && begin <= content.size() && budget.Charge(1)) {
      std::size_t end = content.find('\n', begin);
      if (end == std::string_view::npos) end = content.size();
      const std::string_view text = content.substr(begin, std::min(end - begin, max_line_));
      const BudgetedIterator first(text.data(), &budget);
      const BudgetedIterator last(text.data() + text.size(), &budget);
      boost::match_results<BudgetedIterator> m;
      bool hit = false;
      try {
        hit = boost::regex_search(first, last, m, re_,
                                  boost::match_default | boost::match_not_dot_newline);
      } catch (const BudgetSpent&) {
        return {};  // budget.spent() says so
      } catch (const std::runtime_error&) {
        return Fail(Code::kInvalidArgument,
                    "search: the regular expression is too complex to match (line " +
                        std::to_string(line) + "): simplify it");
      }
      if (hit) {
        const auto at = static_cast<std::size_t>(m[0].first.get() - text.data());
        out->push_back(MatchAt(content, begin, end, begin + at,
                               static_cast<std::size_t>(m[0].second.get() - m[0].first.get()),
                               line));
        ++found;
      }
      if (end == content.size()) break;
      begin = end + 1;
      ++line;
    }
    return {};
  }

 private:
  boost::regex re_;
  std::size_t max_line_;
};

}  // namespace

CpuBudget::CpuBudget(std::chrono::milliseconds limit)
    : end_ns_(ThreadCpuNs() + std::chrono::duration_cast<std::chrono::nanoseconds>(limit).count()),
      until_clock_(kStepsPerClockRead) {}

bool CpuBudget::ReadClock() {
  if (spent_) return false;
  spent_ = ThreadCpuNs() >= end_ns_;
  until_clock_ = spent_ ? 0 : kStepsPerClockRead;
  return !spent_;
}

bool CpuBudget::TakeStop() {
  if (stopped_) return false;
  stopped_ = true;
  return true;
}

bool LooksBinary(std::string_view content) {
  const std::size_t n = std::min(content.size(), kBinaryProbeBytes);
  return std::memchr(content.data(), '\0', n) != nullptr;
}

int64_t Utf16Length(std::string_view utf8) {
  int64_t units = 0;
  for (const char ch : utf8) {
    const auto c = static_cast<unsigned char>(ch);
    if (Continuation(c)) continue;
    units += c >= 0xF0 ? 2 : 1;  // a 4-byte sequence is a surrogate pair
  }
  return units;
}

std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (c < 0x80) {
      len = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    }
    bool ok = len > 0 && i + len <= text.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      const auto d = static_cast<unsigned char>(text[i + k]);
      ok = k == 1 ? d >= lo && d <= hi : Continuation(d);
    }
    if (ok) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

Result<std::shared_ptr<const LineMatcher>> LineMatcher::Make(const SearchQuery& query,
                                                             const SearchLimits& limits) {
  if (query.text.empty()) return Fail(Code::kInvalidArgument, "search: the query is empty");
  if (static_cast<int64_t>(query.text.size()) > limits.max_query_bytes) {
    return Fail(Error(Code::kInvalidArgument, "search: the query is " +
                                                  std::to_string(query.text.size()) +
                                                  " bytes, over search.max_query_bytes (" +
                                                  std::to_string(limits.max_query_bytes) + ")"));
  }
  if (query.text.find('\n') != std::string::npos) {
    return Fail(Code::kInvalidArgument, "search: the query must be one line");
  }
  if (!query.regex) {
    return std::shared_ptr<const LineMatcher>(
        std::make_shared<PlainMatcher>(query.text, query.case_sensitive));
  }
  boost::regex::flag_type flags = boost::regex::perl;
  if (!query.case_sensitive) flags = flags | boost::regex::icase;
  try {
    boost::regex re(query.text, flags);
    return std::shared_ptr<const LineMatcher>(
        std::make_shared<RegexMatcher>(re, static_cast<std::size_t>(limits.max_line_bytes)));
  } catch (const boost::regex_error& e) {
    return Fail(Code::kInvalidArgument,
                std::string("search: the regular expression does not compile: ") + e.what());
  }
}

}  // namespace codeyard::search
