// The built-in output checkers (see checkers.hpp). They read both texts through string_views,
// never copying lines or tokens, so a checker over a large output costs one pass (plus a
// sort for unordered_lines).
#include "core/grading/checkers.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <vector>

namespace codeyard::grading {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string_view RightTrimmed(std::string_view line) {
  while (!line.empty() && IsSpace(line.back())) line.remove_suffix(1);
  return line;
}

// Lines with trailing whitespace removed, trailing empty lines dropped.
std::vector<std::string_view> TrimmedLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = text.find('\n', start);
    const size_t stop = end == std::string_view::npos ? text.size() : end;
    lines.push_back(RightTrimmed(text.substr(start, stop - start)));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

std::vector<std::string_view> Tokens(std::string_view text) {
  std::vector<std::string_view> tokens;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && IsSpace(text[i])) ++i;
    const size_t start = i;
    while (i < text.size() && !IsSpace(text[i])) ++i;
    if (i > start) tokens.push_back(text.substr(start, i - start));
  }
  return tokens;
}

// For feedback: a bounded, printable rendering of a piece of text.
std::string Show(std::string_view text) {
  constexpr size_t kMax = 80;
  std::string out = "\"";
  for (const char c : text.substr(0, kMax)) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += '?';
    } else {
      out += c;
    }
  }
  out += text.size() > kMax ? "\"..." : "\"";
  return out;
}

bool EqualNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

CheckOutcome Accept() { return {true, 1.0, ""}; }
CheckOutcome Reject(std::string feedback) { return {false, 0.0, std::move(feedback)}; }

CheckOutcome CheckExact(std::string_view output, std::string_view expected) {
  if (output == expected) return Accept();
  const auto [o, e] = std::mismatch(output.begin(), output.end(), expected.begin(), expected.end());
  const size_t at = static_cast<size_t>(o - output.begin());
  const size_t line = static_cast<size_t>(std::count(output.begin(), o, '\n')) + 1;
  (void)e;
  return Reject("byte " + std::to_string(at) + " (line " + std::to_string(line) + "): expected " +
                Show(expected.substr(at)) + ", got " + Show(output.substr(at)));
}

CheckOutcome CheckLines(std::string_view output, std::string_view expected) {
  const auto got = TrimmedLines(output);
  const auto want = TrimmedLines(expected);
  const size_t n = std::min(got.size(), want.size());
  for (size_t i = 0; i < n; ++i) {
    if (got[i] != want[i]) {
      return Reject("line " + std::to_string(i + 1) + ": expected " + Show(want[i]) + ", got " +
                    Show(got[i]));
    }
  }
  if (got.size() != want.size()) {
    return Reject("expected " + std::to_string(want.size()) + " lines, got " +
                  std::to_string(got.size()));
  }
  return Accept();
}

CheckOutcome CheckUnorderedLines(std::string_view output, std::string_view expected) {
  auto got = TrimmedLines(output);
  auto want = TrimmedLines(expected);
  if (got.size() != want.size()) {
    return Reject("expected " + std::to_string(want.size()) + " lines, got " +
                  std::to_string(got.size()));
  }
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  const auto [g, w] = std::mismatch(got.begin(), got.end(), want.begin());
  if (g == got.end()) return Accept();
  return Reject("line " + Show(*w) + " expected (in any order), got " + Show(*g) + " instead");
}

bool Close(double want, double got, double abs_tol, double rel_tol) {
  if (std::isnan(want)) return std::isnan(got);
  if (std::isnan(got)) return false;
  if (std::isinf(want) || std::isinf(got)) return want == got;
  const double diff = std::fabs(want - got);
  return (abs_tol > 0 && diff <= abs_tol) || (rel_tol > 0 && diff <= rel_tol * std::fabs(want));
}

CheckOutcome CheckTokens(const CheckerSpec& spec, std::string_view output,
                         std::string_view expected, bool numbers) {
  const auto got = Tokens(output);
  const auto want = Tokens(expected);
  double abs_tol = spec.absolute_tolerance;
  double rel_tol = spec.relative_tolerance;
  if (abs_tol <= 0 && rel_tol <= 0) abs_tol = rel_tol = 1e-6;
  const size_t n = std::min(got.size(), want.size());
  for (size_t i = 0; i < n; ++i) {
    const auto where = [&] { return "token " + std::to_string(i + 1) + ": expected "; };
    if (numbers) {
      if (const auto w = ParseNumberToken(want[i])) {
        const auto g = ParseNumberToken(got[i]);
        if (!g) return Reject(where() + "a number near " + Show(want[i]) + ", got " + Show(got[i]));
        if (!Close(*w, *g, abs_tol, rel_tol)) {
          return Reject(where() + Show(want[i]) + ", got " + Show(got[i]) +
                        " (outside the tolerance)");
        }
        continue;
      }
    }
    const bool same = spec.case_sensitive ? got[i] == want[i] : EqualNoCase(got[i], want[i]);
    if (!same) return Reject(where() + Show(want[i]) + ", got " + Show(got[i]));
  }
  if (got.size() != want.size()) {
    return Reject("expected " + std::to_string(want.size()) + " tokens, got " +
                  std::to_string(got.size()));
  }
  return Accept();
}

}  // namespace

std::optional<double> ParseNumberToken(std::string_view token) {
  std::string_view digits = token;
  if (digits.starts_with('+')) {
    digits.remove_prefix(1);
    if (digits.starts_with('-')) return std::nullopt;
  }
  if (digits.empty()) return std::nullopt;
  double value = 0;
  const char* end = digits.data() + digits.size();
  const auto [ptr, ec] = std::from_chars(digits.data(), end, value, std::chars_format::general);
  // Out of range ("1e999") is still a number: the nearest infinity or zero, as strtod says.
  if (ec == std::errc::result_out_of_range && ptr == end) {
    return std::strtod(std::string(digits).c_str(), nullptr);
  }
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

CheckOutcome CheckBuiltIn(const CheckerSpec& spec, std::string_view output,
                          std::string_view expected) {
  switch (spec.kind) {
    case CheckerKind::kExact:
      return CheckExact(output, expected);
    case CheckerKind::kTrimmed:
      return CheckLines(output, expected);
    case CheckerKind::kTokens:
      return CheckTokens(spec, output, expected, false);
    case CheckerKind::kFloat:
      return CheckTokens(spec, output, expected, true);
    case CheckerKind::kUnorderedLines:
      return CheckUnorderedLines(output, expected);
    case CheckerKind::kCustom:
      break;
  }
  return Reject("a custom checker is a program, not a built-in comparison");
}

}  // namespace codeyard::grading
