// Grading: a submission (language and source files) against a Problem (codeyard/problems.hpp)
// gives a GradeReport. Grade compiles once, runs every test in order, each in a fresh pod
// with the problem's limits, checks the output with the problem's checker (built-in, or a
// custom checker program in a sandbox of its own), runs interactive problems against their
// interactor (each side sandboxed, the library pumping bytes between them) and scores tests,
// groups and the whole. The report is what the judge knows; SubmitterView is what the person
// who submitted may see: hidden tests reduced to name, group, verdict, time and memory.
// The job queue stores reports as JSON (GradeReportToJson / GradeReportFromJson).
//
// Threading: Grade blocks for the whole grading and may run on many threads at once over one
// Runner; the progress callback runs on the grading thread. Everything else here is pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/backend/executor.hpp"
#include "codeyard/error.hpp"
#include "codeyard/problems.hpp"
#include "codeyard/run.hpp"

namespace codeyard {

enum class TestVerdict {
  kAccepted,
  kWrongAnswer,
  kTimeLimitExceeded,
  kMemoryLimitExceeded,
  kOutputLimitExceeded,
  kRuntimeError,  // a non-zero exit code or a signal
  kCompileError,
  kInternalError,  // the judge's fault (a checker that failed, a pod that did not start)
};

// "accepted", "wrong_answer", "time_limit_exceeded", "memory_limit_exceeded",
// "output_limit_exceeded", "runtime_error", "compile_error", "internal_error".
[[nodiscard]] std::string_view TestVerdictName(TestVerdict verdict) noexcept;
[[nodiscard]] Result<TestVerdict> ParseTestVerdict(std::string_view name);

struct Submission {
  std::string language;         // an id or alias of the language table
  std::vector<FileData> files;  // the first is the entry point
};

struct GradeOptions {
  bool stop_at_first_failure = false;  // the tests after the first that fails are not run
  // The tests run in one pod reset between them (PrepareRequest::reuse_pods): a pod start
  // and delete per test saved (docs/grading.md measures it). Off, or on an executor that
  // cannot reset, each test gets a fresh pod, `prefetch` of them started ahead.
  bool reuse_pods = true;
  // Pods started ahead for the next tests while one runs (PrepareRequest::prefetch), when
  // pods are not reused: each test still gets a fresh pod, but rarely waits for one.
  size_t prefetch = 2;
  // After each test: how many have run and how many will (the total shrinks to the number run
  // when grading stops early).
  std::function<void(size_t done, size_t total)> progress;
  // meter20: the compiler's own report (RunResult::compile_status), once the compile step
  // ended, for usage metering (all zero for a language without one).
  std::function<void(const ExitStatus& compiler)> compiled;
};

struct TestReport {
  std::string name;
  std::string group;  // empty: not in a group
  TestVerdict verdict = TestVerdict::kInternalError;
  int64_t time_ms = 0;  // CPU time, what the limit applies to
  int64_t wall_ms = 0;
  uint64_t memory_kb = 0;  // peak resident memory
  double score = 0;        // points this test earned on its own (group tests: 0, see groups)
  // The checker's fraction of the points (custom checkers may give partial credit): 1 for an
  // accepted test with a built-in checker, 0 for any failure.
  double fraction = 0;
  bool is_public = false;
  std::optional<int> exit_code;
  std::optional<int> signal;
  // Public tests only: what the program printed (capped by the problem's output limit).
  std::string output;
  // The checker's or interactor's message, or why the judge failed (internal_error). May name
  // hidden data: SubmitterView drops it for hidden tests.
  std::string feedback;

  friend bool operator==(const TestReport&, const TestReport&) = default;
};

struct GroupReport {
  std::string name;
  double score = 0;  // points × the minimum fraction over its tests, 0 if any failed
  double max_score = 0;

  friend bool operator==(const GroupReport&, const GroupReport&) = default;
};

struct GradeReport {
  std::string problem;                                // Problem::id
  TestVerdict verdict = TestVerdict::kInternalError;  // accepted or the first failure's
  double score = 0;
  double max_score = 0;        // MaxScore(problem)
  std::string compile_output;  // the compiler's diagnostics, capped
  int64_t compile_ms = 0;
  std::string message;  // why, for compile_error and internal_error at the submission level
  std::vector<TestReport> tests;  // in grading order; tests not run are absent
  std::vector<GroupReport> groups;

  friend bool operator==(const GradeReport&, const GradeReport&) = default;
};

// Grades `submission` against `problem`. Errors are for requests that cannot be graded: an
// invalid problem (ValidateProblem), an unknown language, bad file paths, an executor that
// cannot start pods for the compile. Whatever the program does is a verdict; a judge failure
// during the tests (a custom checker that crashed) is an internal_error test in the report.
[[nodiscard]] Result<GradeReport> Grade(Runner& runner, const Problem& problem,
                                        const Submission& submission,
                                        const GradeOptions& options = {});

// What the submitter sees: hidden tests keep name, group, verdict, time, memory and score
// only (never input, expected output, program output, exit details or checker feedback).
[[nodiscard]] GradeReport SubmitterView(const GradeReport& report);

// JSON of a report, every field kept ({"problem","verdict","score","max_score",
// "compile_output","compile_ms","message","tests":[{"name","group","verdict","time_ms",
// "wall_ms","memory_kb","score","fraction","public","exit_code","signal","output",
// "feedback"}],"groups":[{"name","score","max_score"}]}); encode SubmitterView(report) for a
// submitter. Decoding refuses what encoding would not produce.
[[nodiscard]] std::string GradeReportToJson(const GradeReport& report);
[[nodiscard]] Result<GradeReport> GradeReportFromJson(std::string_view json);

}  // namespace codeyard
