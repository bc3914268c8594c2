// Grade (codeyard/grading.hpp): compile once, run each test in a fresh pod, check, score.
#include <algorithm>
#include <chrono>
#include <map>

#include "codeyard/grading.hpp"
#include "core/grading/checkers.hpp"
#include "core/grading/interactive.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

using grading::CheckOutcome;
using std::chrono::milliseconds;

constexpr uint64_t kMiB = uint64_t{1} << 20;

TestVerdict FromRun(Verdict verdict) {
  switch (verdict) {
    case Verdict::kOk:
      return TestVerdict::kAccepted;
    case Verdict::kCompileError:
      return TestVerdict::kCompileError;
    case Verdict::kRuntimeError:
      return TestVerdict::kRuntimeError;
    case Verdict::kTimeLimitExceeded:
      return TestVerdict::kTimeLimitExceeded;
    case Verdict::kMemoryLimitExceeded:
      return TestVerdict::kMemoryLimitExceeded;
    case Verdict::kOutputLimitExceeded:
      return TestVerdict::kOutputLimitExceeded;
    case Verdict::kInternalError:
      break;
  }
  return TestVerdict::kInternalError;
}

RunLimits ProgramLimits(const ProblemLimits& problem) {
  RunLimits limits = WithTimeLimit(RunLimits{}, problem.time_limit_s);
  limits.memory_bytes = problem.memory_bytes;
  limits.output_bytes = problem.output_bytes;
  return limits;
}

// Checkers and interactors: roomier than the program, so a slow judge is never the
// submission's verdict, and a workspace that holds the largest test twice over.
RunLimits HelperLimits(const Problem& problem, const RunLimits& program) {
  RunLimits limits;
  limits.cpu_time = std::max(milliseconds(10000), program.wall_time);
  limits.wall_time = limits.cpu_time + program.wall_time;
  limits.memory_bytes = std::max(problem.limits.memory_bytes, 512 * kMiB);
  limits.output_bytes = 16 * kMiB;
  uint64_t largest = 0;
  for (const auto& test : problem.tests) {
    largest = std::max<uint64_t>(largest, test.input.size() + test.expected_output.size());
  }
  limits.disk_bytes = std::max(limits.disk_bytes, 2 * largest + 16 * kMiB);
  limits.file_bytes = limits.disk_bytes;
  return limits;
}

void TakeStatus(const RunResult& run, TestReport& test) {
  test.time_ms = run.status.cpu_ms;
  test.wall_ms = run.status.wall_ms;
  test.memory_kb = run.status.memory_kb;
  test.exit_code = run.status.exit_code;
  test.signal = run.status.signal;
}

void Judge(TestReport& test, Result<CheckOutcome> checked) {
  if (!checked) {
    test.verdict = TestVerdict::kInternalError;
    test.feedback = checked.error().message();
    return;
  }
  test.verdict = checked->accepted ? TestVerdict::kAccepted : TestVerdict::kWrongAnswer;
  test.fraction = checked->accepted ? checked->fraction : 0;
  test.feedback = std::move(checked->feedback);
}

class Grader {
 public:
  Grader(Runner& runner, const Problem& problem) : runner_(runner), problem_(problem) {}

  // Prepares the checker or interactor; an error is the problem's fault (internal_error).
  Result<void> PrepareHelpers(const RunLimits& program_limits) {
    const RunLimits limits = HelperLimits(problem_, program_limits);
    if (problem_.interactor) {
      CY_TRY(interactor_, grading::PrepareHelper(runner_, *problem_.interactor, limits,
                                                 "interactor", problem_.image));
    } else if (problem_.checker.kind == CheckerKind::kCustom) {
      if (!problem_.checker.program) {
        return Fail(Error::Code::kInvalidArgument, "grading: a custom checker without a program");
      }
      CY_TRY(checker_, grading::CustomChecker::Prepare(runner_, *problem_.checker.program, limits,
                                                       problem_.image));
    }
    return {};
  }

  TestReport RunTest(PreparedProgram& program, const TestCase& test) {
    TestReport report;
    report.name = test.name;
    report.group = test.group;
    report.is_public = test.is_public;
    if (interactor_) {
      RunInteractiveTest(program, test, report);
    } else {
      RunPlainTest(program, test, report);
    }
    if (report.verdict != TestVerdict::kAccepted) report.fraction = 0;
    return report;
  }

 private:
  void RunPlainTest(PreparedProgram& program, const TestCase& test, TestReport& report) {
    RunInput input;
    input.stdin_data = test.input;
    auto run = program.Run(input);
    if (!run) {
      report.verdict = TestVerdict::kInternalError;
      report.feedback = run.error().ToString();
      return;
    }
    TakeStatus(*run, report);
    if (test.is_public) report.output = run->stdout_data;
    // The exit status wins over the checker: a right answer and then a crash is a crash.
    if (run->verdict != Verdict::kOk) {
      report.verdict = FromRun(run->verdict);
      report.feedback = run->message;
      return;
    }
    if (checker_) {
      Judge(report, checker_->Check(test.input, test.expected_output, run->stdout_data));
    } else {
      Judge(report,
            grading::CheckBuiltIn(problem_.checker, run->stdout_data, test.expected_output));
    }
  }

  // Kattis' order: the submission's own limits first; then the interactor's rejection (a
  // submission that crashes because the interactor hung up on a wrong answer is
  // wrong_answer); then a crash (right answers and then a crash is runtime_error); then the
  // interactor's acceptance. Any other interactor ending is the judge's failure.
  void RunInteractiveTest(PreparedProgram& program, const TestCase& test, TestReport& report) {
    auto ran = grading::RunInteractive(program, *interactor_, test.input, test.expected_output);
    if (!ran) {
      report.verdict = TestVerdict::kInternalError;
      report.feedback = ran.error().ToString();
      return;
    }
    const RunResult& sub = ran->submission;
    const RunResult& judge = ran->interactor;
    TakeStatus(sub, report);
    if (test.is_public) report.output = sub.stdout_data;
    if (sub.verdict == Verdict::kTimeLimitExceeded ||
        sub.verdict == Verdict::kMemoryLimitExceeded ||
        sub.verdict == Verdict::kOutputLimitExceeded) {
      report.verdict = FromRun(sub.verdict);
      return;
    }
    const auto code = judge.status.exit_code;
    const bool judged =
        judge.verdict != Verdict::kInternalError && !judge.status.signal &&
        !judge.status.time_limit_exceeded && !judge.status.oom_killed && code &&
        (*code == grading::kValidatorAccepted || *code == grading::kValidatorWrongAnswer);
    if (!judged) {
      report.verdict = TestVerdict::kInternalError;
      std::string how = judge.verdict == Verdict::kInternalError
                            ? judge.message
                            : std::string(VerdictName(judge.verdict));
      if (code) how += ", exit code " + std::to_string(*code);
      if (judge.status.signal) how += ", signal " + std::to_string(*judge.status.signal);
      if (!judge.stderr_data.empty()) how += ": " + judge.stderr_data.substr(0, 512);
      report.feedback = "grading: the interactor failed (" + how +
                        "); it must exit 42 (accepted) or 43 (wrong answer)";
      return;
    }
    CheckOutcome outcome;
    outcome.accepted = *code == grading::kValidatorAccepted;
    if (auto read = grading::ReadFeedback(judge.collected, outcome); !read) {
      report.verdict = TestVerdict::kInternalError;
      report.feedback = read.error().message();
      return;
    }
    if (outcome.accepted && sub.verdict != Verdict::kOk) {
      report.verdict = FromRun(sub.verdict);
      report.feedback = sub.message;
      return;
    }
    Judge(report, outcome);
  }

  Runner& runner_;
  const Problem& problem_;
  std::unique_ptr<grading::CustomChecker> checker_;
  std::unique_ptr<PreparedProgram> interactor_;
};

// Groups all-or-nothing (the minimum fraction over their tests), the rest per test; a
// pass-fail problem scores all or nothing as a whole.
void Score(const Problem& problem, size_t tests_total, GradeReport& report) {
  TestVerdict verdict = TestVerdict::kAccepted;
  std::map<std::string, const TestCase*> by_name;
  for (const auto& test : problem.tests) by_name[test.name] = &test;
  double total = 0;
  for (auto& test : report.tests) {
    if (verdict == TestVerdict::kAccepted) verdict = test.verdict;
    if (test.group.empty()) {
      test.score = by_name.at(test.name)->points * test.fraction;
      total += test.score;
    }
  }
  for (const auto& group : problem.groups) {
    GroupReport g{group.name, 0, group.points};
    size_t expected = 0;
    for (const auto& test : problem.tests) expected += test.group == group.name ? 1 : 0;
    size_t passed = 0;
    double fraction = 1;
    for (const auto& test : report.tests) {
      if (test.group != group.name) continue;
      if (test.verdict == TestVerdict::kAccepted) ++passed;
      fraction = std::min(fraction, test.fraction);
    }
    if (expected > 0 && passed == expected) g.score = group.points * fraction;
    total += g.score;
    report.groups.push_back(std::move(g));
  }
  // Fewer tests than the problem's ran only after a failure (stop_at_first_failure).
  const bool all_passed = verdict == TestVerdict::kAccepted && report.tests.size() == tests_total;
  report.verdict = verdict;
  report.score = problem.scoring ? total : (all_passed ? report.max_score : 0);
}

}  // namespace

Result<GradeReport> Grade(Runner& runner, const Problem& problem, const Submission& submission,
                          const GradeOptions& options) {
  CY_CHECK(ValidateProblem(problem));
  CY_TRY(const Language language, ParseLanguage(submission.language));
  if (submission.files.empty()) {
    return Fail(Error::Code::kInvalidArgument, "grading: the submission has no files");
  }
  GradeReport report;
  report.problem = problem.id;
  report.max_score = MaxScore(problem);
  const RunLimits limits = ProgramLimits(problem.limits);
  PrepareRequest request;
  request.files = submission.files;
  request.language = language;
  request.limits = limits;
  request.image = problem.image;
  request.prefetch = options.prefetch;
  request.reuse_pods = options.reuse_pods;
  CY_TRY(auto program, runner.Prepare(request));
  report.compile_output = program->compile().compile_output;
  report.compile_ms = program->compile().compile_ms;
  if (options.compiled) options.compiled(program->compile().compile_status);
  if (!program->ready()) {
    report.verdict = FromRun(program->compile().verdict);
    report.message = program->compile().message;
    return report;
  }
  Grader grader(runner, problem);
  if (auto helpers = grader.PrepareHelpers(limits); !helpers) {
    report.verdict = TestVerdict::kInternalError;
    report.message = helpers.error().message();
    return report;
  }
  size_t total = problem.tests.size();
  for (size_t i = 0; i < problem.tests.size(); ++i) {
    report.tests.push_back(grader.RunTest(*program, problem.tests[i]));
    const bool stop =
        options.stop_at_first_failure && report.tests.back().verdict != TestVerdict::kAccepted;
    if (stop) total = i + 1;
    if (options.progress) options.progress(i + 1, total);
    if (stop) break;
  }
  Score(problem, problem.tests.size(), report);
  return report;
}

}  // namespace codeyard
