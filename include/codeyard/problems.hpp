// Problems: what a judge grades against. A Problem holds its statement, starter code, tags,
// limits, test cases (optionally in groups that score all-or-nothing), how an answer is
// checked (a built-in checker or a custom checker program) and, for interactive problems,
// the interactor program that talks to the submission. This header is the shared model:
// grading (codeyard/grading.hpp) turns a Problem and a submission into a GradeReport,
// problem packages (codeyard/problem_packages.hpp) read and write it as Kattis/ICPC packages
// or as our own folder format, and storage keeps it.
//
// Threading: plain values; the functions here are pure and safe from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/backend/executor.hpp"
#include "codeyard/error.hpp"

namespace codeyard {

// How a program's output is compared with the expected output of a test.
enum class CheckerKind {
  kExact,           // byte for byte
  kTrimmed,         // trailing whitespace of each line and trailing blank lines ignored
  kTokens,          // whitespace-separated tokens equal (case-sensitive or not)
  kFloat,           // tokens equal, numbers within an absolute and/or relative tolerance
  kUnorderedLines,  // the same lines (trimmed) in any order
  kCustom,          // a checker program in its own sandbox decides (may award partial points)
};

// "exact", "trimmed", "tokens", "float", "unordered_lines", "custom".
[[nodiscard]] std::string_view CheckerKindName(CheckerKind kind) noexcept;
[[nodiscard]] Result<CheckerKind> ParseCheckerKind(std::string_view name);

// A helper program of the problem (custom checker, interactor): its source files (the first
// is the entry point) and language id as the language table names it ("python", "cpp", ...).
struct HelperProgram {
  std::string language;
  std::vector<FileData> files;

  friend bool operator==(const HelperProgram&, const HelperProgram&) = default;
};

struct CheckerSpec {
  CheckerKind kind = CheckerKind::kTrimmed;
  bool case_sensitive = true;  // kTokens, kFloat (non-numeric tokens)
  // kFloat: a number passes when within either tolerance that is set (> 0); with neither set,
  // 1e-6 absolute and relative.
  double absolute_tolerance = 0;
  double relative_tolerance = 0;
  std::optional<HelperProgram> program;  // kCustom

  friend bool operator==(const CheckerSpec&, const CheckerSpec&) = default;
};

struct ProblemLimits {
  double time_limit_s = 1.0;  // CPU time per test; wall time follows WithTimeLimit
  uint64_t memory_bytes = uint64_t{256} << 20;
  uint64_t output_bytes = uint64_t{1} << 20;

  friend bool operator==(const ProblemLimits&, const ProblemLimits&) = default;
};

struct TestCase {
  std::string name;   // unique in the problem, e.g. "sample/1", "secret/group1/03"
  std::string group;  // empty: not in a group (scored on its own)
  std::string input;
  std::string expected_output;  // for an interactive problem: what the interactor reads
  double points = 1;            // ignored for tests in a group (the group scores)
  bool is_public = false;       // public tests are shown with input, expected and output

  friend bool operator==(const TestCase&, const TestCase&) = default;
};

// A batch of tests that scores all-or-nothing: `points` when every test of it is accepted
// (or, with a custom checker awarding partial points, the minimum fraction over its tests).
struct TestGroup {
  std::string name;
  double points = 0;

  friend bool operator==(const TestGroup&, const TestGroup&) = default;
};

struct ProblemTags {
  std::optional<int> level;         // 0-4, as reviewer levels
  std::string age_group;            // free text, e.g. "12-14", "adult"
  std::vector<std::string> topics;  // e.g. "loops", "graphs"

  friend bool operator==(const ProblemTags&, const ProblemTags&) = default;
};

// An image or other file the statement refers to (Markdown `![](images/a.png)`).
struct ProblemAsset {
  std::string path;
  std::string content;

  friend bool operator==(const ProblemAsset&, const ProblemAsset&) = default;
};

struct Problem {
  std::string id;  // short name: [a-z0-9][a-z0-9_-]{0,63}
  std::string title;
  std::string statement_markdown;
  std::vector<ProblemAsset> assets;
  std::map<std::string, std::string> starter_code;  // language id -> source
  ProblemTags tags;
  ProblemLimits limits;
  std::vector<TestCase> tests;  // in grading order
  std::vector<TestGroup> groups;
  CheckerSpec checker;
  std::optional<HelperProgram> interactor;  // set: an interactive problem
  bool scoring = false;   // true: partial scores count; false: pass-fail (score 0 or max)
  bool is_public = true;  // listed for everyone (admins see all)
  // The image its submissions, checker and interactor run on (PodSpec::image, codeyard/
  // images.hpp); "" = the executor's default.
  std::string image;
  // The organization it belongs to (codeyard/orgs.hpp); "" = the platform's problem set.
  std::string org_id;
  // Visibility "org": seen only by the members of `org_id` (others get not_found); "public"
  // otherwise.
  bool org_only = false;
  int64_t created_at = 0;  // ms since the epoch
  int64_t updated_at = 0;

  friend bool operator==(const Problem&, const Problem&) = default;
};

// Checks a problem's shape: id syntax, a title, at least one test, unique test names, every
// test's group declared, known checker with its program when custom, sane limits. The message
// names the first fault ("problem 'x': test 'secret/3' names undeclared group 'g2'").
[[nodiscard]] Result<void> ValidateProblem(const Problem& problem);

// The highest score a submission can get: the sum of group points plus the points of tests
// outside groups.
[[nodiscard]] double MaxScore(const Problem& problem);

}  // namespace codeyard
