// The built-in output checkers of grading: every kind, trailing-whitespace and newline rules,
// float tolerances and their edge cases (nan, inf, exponents, -0, out of range), and large
// outputs.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "core/grading/checkers.hpp"

using namespace codeyard;
using codeyard::grading::CheckBuiltIn;
using codeyard::grading::ParseNumberToken;

namespace {

CheckerSpec Spec(CheckerKind kind) {
  CheckerSpec spec;
  spec.kind = kind;
  return spec;
}

bool Passes(const CheckerSpec& spec, std::string_view output, std::string_view expected) {
  const auto outcome = CheckBuiltIn(spec, output, expected);
  if (outcome.accepted) {
    CHECK(outcome.fraction == 1.0);
    CHECK(outcome.feedback.empty());
  } else {
    CHECK(outcome.fraction == 0.0);
    CHECK_FALSE(outcome.feedback.empty());
  }
  return outcome.accepted;
}

CheckerSpec Float(double abs_tol, double rel_tol) {
  CheckerSpec spec = Spec(CheckerKind::kFloat);
  spec.absolute_tolerance = abs_tol;
  spec.relative_tolerance = rel_tol;
  return spec;
}

}  // namespace

TEST_CASE("exact compares byte for byte, newline included", "[checkers]") {
  const auto exact = Spec(CheckerKind::kExact);
  CHECK(Passes(exact, "42\n", "42\n"));
  CHECK_FALSE(Passes(exact, "42", "42\n"));
  CHECK_FALSE(Passes(exact, "42\n\n", "42\n"));
  CHECK_FALSE(Passes(exact, "42 \n", "42\n"));
  CHECK_FALSE(Passes(exact, "42\r\n", "42\n"));
  CHECK(Passes(exact, "", ""));
  const auto outcome = CheckBuiltIn(exact, "a\nbX\n", "a\nbc\n");
  CHECK_THAT(outcome.feedback, Catch::Contains("line 2"));
}

TEST_CASE("trimmed ignores trailing whitespace per line and trailing empty lines", "[checkers]") {
  const auto trimmed = Spec(CheckerKind::kTrimmed);
  CHECK(Passes(trimmed, "1 2\n3", "1 2\n3\n"));
  CHECK(Passes(trimmed, "1 2  \t\r\n3\r\n\n\n", "1 2\n3\n"));
  CHECK(Passes(trimmed, "", "\n\n"));
  CHECK_FALSE(Passes(trimmed, " 1 2\n3\n", "1 2\n3\n"));   // leading space counts
  CHECK_FALSE(Passes(trimmed, "1  2\n3\n", "1 2\n3\n"));   // inner space counts
  CHECK_FALSE(Passes(trimmed, "1 2\n\n3\n", "1 2\n3\n"));  // an empty line inside counts
  CHECK_FALSE(Passes(trimmed, "1 2\n", "1 2\n3\n"));
  CHECK_FALSE(Passes(trimmed, "Yes\n", "yes\n"));
  CHECK_THAT(CheckBuiltIn(trimmed, "1\n2\n", "1\n3\n").feedback, Catch::Contains("line 2"));
}

TEST_CASE("tokens ignore all whitespace and case as configured", "[checkers]") {
  auto tokens = Spec(CheckerKind::kTokens);
  CHECK(Passes(tokens, "  a   b\n\nc\t", "a b c\n"));
  CHECK_FALSE(Passes(tokens, "a b", "a b c"));
  CHECK_FALSE(Passes(tokens, "a b c d", "a b c"));
  CHECK_FALSE(Passes(tokens, "YES", "yes"));
  CHECK_FALSE(Passes(tokens, "1.0", "1"));  // tokens are text, not numbers
  tokens.case_sensitive = false;
  CHECK(Passes(tokens, "YES No", "yes no"));
  CHECK_FALSE(Passes(tokens, "yess", "yes"));
}

TEST_CASE("unordered_lines: the same trimmed lines in any order, duplicates counted",
          "[checkers]") {
  const auto lines = Spec(CheckerKind::kUnorderedLines);
  CHECK(Passes(lines, "b\na \nc\n", "a\nb\nc\n"));
  CHECK(Passes(lines, "c\nb\na", "a\nb\nc\n\n"));
  CHECK_FALSE(Passes(lines, "a\na\nb\n", "a\nb\nb\n"));
  CHECK_FALSE(Passes(lines, "a\nb\n", "a\nb\nc\n"));
  CHECK_FALSE(Passes(lines, "a b\n", "a  b\n"));
}

TEST_CASE("number tokens: forms the float checker reads", "[checkers]") {
  CHECK(ParseNumberToken("42") == 42.0);
  CHECK(ParseNumberToken("-0.5") == -0.5);
  CHECK(ParseNumberToken("+3") == 3.0);
  CHECK(ParseNumberToken("1e3") == 1000.0);
  CHECK(ParseNumberToken("1E-3") == 0.001);
  CHECK(ParseNumberToken(".5") == 0.5);
  CHECK(ParseNumberToken("5.") == 5.0);
  CHECK(std::isinf(*ParseNumberToken("inf")));
  CHECK(std::isinf(*ParseNumberToken("-Infinity")));
  CHECK(std::isnan(*ParseNumberToken("nan")));
  CHECK(std::isinf(*ParseNumberToken("1e999")));  // out of range is still a number
  CHECK(*ParseNumberToken("1e-999") == 0.0);
  CHECK_FALSE(ParseNumberToken("0x10"));
  CHECK_FALSE(ParseNumberToken("1,5"));
  CHECK_FALSE(ParseNumberToken("+-1"));
  CHECK_FALSE(ParseNumberToken("+"));
  CHECK_FALSE(ParseNumberToken("abc"));
  CHECK_FALSE(ParseNumberToken("1e"));
}

TEST_CASE("float: within the absolute or the relative tolerance (Kattis)", "[checkers]") {
  const auto abs_only = Float(1e-3, 0);
  CHECK(Passes(abs_only, "1.0005", "1"));
  CHECK(Passes(abs_only, "0.9995", "1"));
  CHECK_FALSE(Passes(abs_only, "1.002", "1"));
  CHECK_FALSE(Passes(abs_only, "1002", "1000"));  // 0.2% off: no relative tolerance set
  const auto rel_only = Float(0, 1e-3);
  CHECK(Passes(rel_only, "1000.9", "1000"));
  CHECK_FALSE(Passes(rel_only, "1.002", "1"));
  CHECK_FALSE(Passes(rel_only, "0.0000001", "0"));  // relative to 0: exact only
  CHECK(Passes(rel_only, "0", "0"));
  const auto both = Float(1e-3, 1e-3);
  CHECK(Passes(both, "1000.9", "1000"));  // relative
  CHECK(Passes(both, "0.0005", "0"));     // absolute
  CHECK_FALSE(Passes(both, "1002", "1000"));
  const auto by_default = Spec(CheckerKind::kFloat);  // neither set: 1e-6 each
  CHECK(Passes(by_default, "3.1415926", "3.14159265"));
  CHECK_FALSE(Passes(by_default, "3.1415", "3.14159265"));
}

TEST_CASE("float edge cases: exponents, -0, nan, inf, text tokens", "[checkers]") {
  const auto f = Float(1e-6, 1e-6);
  CHECK(Passes(f, "1e3", "1000"));
  CHECK(Passes(f, "1000.0000", "1E+3"));
  CHECK(Passes(f, "+2.5", "2.5"));
  CHECK(Passes(f, "-0", "0"));
  CHECK(Passes(f, "0.0", "-0.0"));
  CHECK(Passes(f, "nan", "nan"));
  CHECK(Passes(f, "NaN", "nan"));
  CHECK_FALSE(Passes(f, "0", "nan"));
  CHECK_FALSE(Passes(f, "nan", "0"));
  CHECK(Passes(f, "inf", "inf"));
  CHECK(Passes(f, "-inf", "-Infinity"));
  CHECK_FALSE(Passes(f, "inf", "-inf"));
  CHECK_FALSE(Passes(f, "1e308", "inf"));
  CHECK_FALSE(Passes(f, "inf", "1e308"));
  CHECK_FALSE(Passes(f, "abc", "1.0"));  // a number expected, text given
  CHECK(Passes(f, "case 1: 0.5", "case 1: 0.5000001"));
  CHECK_FALSE(Passes(f, "Case 1: 0.5", "case 1: 0.5"));
  auto nocase = f;
  nocase.case_sensitive = false;
  CHECK(Passes(nocase, "Case 1: 0.5", "case 1: 0.5"));
  CHECK_FALSE(Passes(f, "0.5 0.5", "0.5"));
  CHECK_THAT(CheckBuiltIn(f, "1 2 4", "1 2 3").feedback, Catch::Contains("token 3"));
}

TEST_CASE("checkers handle large outputs in one pass", "[checkers]") {
  std::string expected;
  for (int i = 0; i < 200000; ++i)
    expected += std::to_string(i) + " " + std::to_string(i * 0.5) + "\n";
  std::string output = expected;
  for (const auto kind : {CheckerKind::kExact, CheckerKind::kTrimmed, CheckerKind::kTokens,
                          CheckerKind::kFloat, CheckerKind::kUnorderedLines}) {
    CHECK(Passes(Spec(kind), output, expected));
  }
  output[output.size() / 2] = output[output.size() / 2] == '7' ? '8' : '7';
  for (const auto kind : {CheckerKind::kExact, CheckerKind::kTrimmed, CheckerKind::kTokens,
                          CheckerKind::kUnorderedLines}) {
    CHECK_FALSE(Passes(Spec(kind), output, expected));
  }
}

TEST_CASE("a custom checker is not a built-in", "[checkers]") {
  CHECK_FALSE(Passes(Spec(CheckerKind::kCustom), "x", "x"));
}
