// The problem model's own rules: names of checker kinds, the shape check every way in
// (import, admin API, storage) runs, and the maximum score.
#include <algorithm>
#include <cmath>
#include <set>
#include <string>

#include "codeyard/images.hpp"
#include "codeyard/problems.hpp"

namespace codeyard {
namespace {

Error Bad(const Problem& problem, const std::string& message) {
  return {Error::Code::kInvalidArgument, "problem '" + problem.id + "': " + message};
}

bool ValidId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  const auto lower_or_digit = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  if (!lower_or_digit(id.front())) return false;
  return std::all_of(id.begin(), id.end(),
                     [&](char c) { return lower_or_digit(c) || c == '_' || c == '-'; });
}

}  // namespace

std::string_view CheckerKindName(CheckerKind kind) noexcept {
  switch (kind) {
    case CheckerKind::kExact:
      return "exact";
    case CheckerKind::kTrimmed:
      return "trimmed";
    case CheckerKind::kTokens:
      return "tokens";
    case CheckerKind::kFloat:
      return "float";
    case CheckerKind::kUnorderedLines:
      return "unordered_lines";
    case CheckerKind::kCustom:
      return "custom";
  }
  return "exact";
}

Result<CheckerKind> ParseCheckerKind(std::string_view name) {
  for (CheckerKind kind :
       {CheckerKind::kExact, CheckerKind::kTrimmed, CheckerKind::kTokens, CheckerKind::kFloat,
        CheckerKind::kUnorderedLines, CheckerKind::kCustom}) {
    if (CheckerKindName(kind) == name) return kind;
  }
  return Fail(Error::Code::kInvalidArgument,
              "unknown checker \"" + std::string(name) +
                  "\"; known: exact, trimmed, tokens, float, unordered_lines, custom");
}

Result<void> ValidateProblem(const Problem& problem) {
  if (!ValidId(problem.id)) {
    return std::unexpected(
        Error(Error::Code::kInvalidArgument,
              "problem id '" + problem.id + "' must match [a-z0-9][a-z0-9_-]{0,63}"));
  }
  if (problem.title.empty() || problem.title.size() > 200) {
    return std::unexpected(Bad(problem, "a title of 1-200 characters is required"));
  }
  if (problem.tests.empty()) return std::unexpected(Bad(problem, "it has no test"));
  if (!problem.image.empty()) {
    if (auto name = images::ValidateName(problem.image); !name) {
      return std::unexpected(Bad(problem, "image: " + name.error().message()));
    }
  }
  const ProblemLimits& limits = problem.limits;
  if (!(limits.time_limit_s > 0) || limits.time_limit_s > 60 ||
      !std::isfinite(limits.time_limit_s)) {
    return std::unexpected(Bad(problem, "time limit must be in (0, 60] seconds"));
  }
  if (limits.memory_bytes < (uint64_t{8} << 20)) {
    return std::unexpected(Bad(problem, "memory limit must be at least 8 MiB"));
  }
  if (limits.output_bytes == 0) return std::unexpected(Bad(problem, "output limit must be > 0"));
  if (problem.tags.level && (*problem.tags.level < 0 || *problem.tags.level > 4)) {
    return std::unexpected(Bad(problem, "level must be 0-4"));
  }
  std::set<std::string, std::less<>> groups;
  for (const TestGroup& group : problem.groups) {
    if (group.name.empty()) return std::unexpected(Bad(problem, "a group has no name"));
    if (!groups.insert(group.name).second) {
      return std::unexpected(Bad(problem, "group '" + group.name + "' is declared twice"));
    }
    if (!(group.points >= 0) || !std::isfinite(group.points)) {
      return std::unexpected(Bad(problem, "group '" + group.name + "' has negative points"));
    }
  }
  std::set<std::string, std::less<>> names;
  for (const TestCase& test : problem.tests) {
    if (test.name.empty()) return std::unexpected(Bad(problem, "a test has no name"));
    if (!names.insert(test.name).second) {
      return std::unexpected(Bad(problem, "test '" + test.name + "' appears twice"));
    }
    if (!test.group.empty() && !groups.contains(test.group)) {
      return std::unexpected(
          Bad(problem, "test '" + test.name + "' names undeclared group '" + test.group + "'"));
    }
    if (!(test.points >= 0) || !std::isfinite(test.points)) {
      return std::unexpected(Bad(problem, "test '" + test.name + "' has negative points"));
    }
  }
  const CheckerSpec& checker = problem.checker;
  if (checker.kind == CheckerKind::kCustom &&
      (!checker.program || checker.program->files.empty())) {
    return std::unexpected(Bad(problem, "a custom checker needs its program"));
  }
  if (checker.absolute_tolerance < 0 || checker.relative_tolerance < 0) {
    return std::unexpected(Bad(problem, "float tolerances must not be negative"));
  }
  if (problem.interactor && problem.interactor->files.empty()) {
    return std::unexpected(Bad(problem, "the interactor has no files"));
  }
  return {};
}

double MaxScore(const Problem& problem) {
  double total = 0;
  for (const TestGroup& group : problem.groups) total += group.points;
  for (const TestCase& test : problem.tests) {
    if (test.group.empty()) total += test.points;
  }
  return total;
}

}  // namespace codeyard
