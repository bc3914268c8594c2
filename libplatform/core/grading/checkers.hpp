// Output checkers of grading (codeyard/grading.hpp): the built-in comparisons, pure functions
// over the program's output and the expected output, and the custom checker, a program run in
// a sandbox of its own with the Kattis output-validator protocol. Built-ins are safe from any
// thread; a CustomChecker is used by one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "codeyard/problems.hpp"
#include "codeyard/run.hpp"

namespace codeyard::grading {

struct CheckOutcome {
  bool accepted = false;
  double fraction = 0;   // of the test's points: 1 for a built-in accept
  std::string feedback;  // the first difference, or the checker's message
};

// Every CheckerKind but kCustom (which is refused as not accepted, with a message).
//  exact: byte for byte. trimmed: per line, trailing whitespace (space, \t, \r, \v, \f)
//  ignored, and trailing empty lines. tokens: whitespace-separated tokens, case-insensitive
//  unless case_sensitive. float: tokens, and where the expected token is a number (decimal,
//  exponent, inf, nan; a leading '+' allowed) the output's must be a number within the
//  absolute or the relative tolerance (Kattis: accepted unless |a-b| exceeds both); nan
//  matches only nan, an infinity only the same infinity. unordered_lines: the trimmed lines
//  as a multiset.
[[nodiscard]] CheckOutcome CheckBuiltIn(const CheckerSpec& spec, std::string_view output,
                                        std::string_view expected);

// A number token as the float checker reads it; nullopt when it is not one.
[[nodiscard]] std::optional<double> ParseNumberToken(std::string_view token);

// The Kattis output-validator protocol: `checker input answer feedback_dir < output`, exit 42
// accepted, 43 wrong answer; feedback_dir/score.txt (accepted only) is the fraction 0..1 of
// the test's points, feedback_dir/judgemessage.txt the message. Anything else (another exit,
// a signal, a time limit, a bad score) is an error naming the checker's failure, which the
// grader reports as internal_error.
class CustomChecker {
 public:
  // Compiles the checker once. kFailedPrecondition (with the compiler's output) when it does
  // not compile: the problem's fault, not the submission's.
  static Result<std::unique_ptr<CustomChecker>> Prepare(Runner& runner,
                                                        const HelperProgram& program,
                                                        const RunLimits& limits,
                                                        std::string_view image);
  [[nodiscard]] Result<CheckOutcome> Check(std::string_view input, std::string_view expected,
                                           std::string_view output);

 private:
  explicit CustomChecker(std::unique_ptr<PreparedProgram> program) : program_(std::move(program)) {}
  std::unique_ptr<PreparedProgram> program_;
};

// The Kattis exit codes of output validators and interactors.
inline constexpr int kValidatorAccepted = 42;
inline constexpr int kValidatorWrongAnswer = 43;

// Where helper programs (checkers, interactors) find the test's files in their workspace.
inline constexpr std::string_view kHelperInput = "codeyard-test/input";
inline constexpr std::string_view kHelperAnswer = "codeyard-test/answer";
inline constexpr std::string_view kHelperFeedbackDir = "codeyard-feedback";

// The files and arguments a helper gets for a test (input, answer, an empty feedback dir).
void AddHelperTestFiles(std::string_view input, std::string_view expected, RunInput& run);

// Reads score.txt and judgemessage.txt of a finished helper's feedback dir into `outcome`
// (the fraction only when accepted). Error: a score.txt that is not a number in [0, 1].
[[nodiscard]] Result<void> ReadFeedback(const std::vector<FileData>& collected,
                                        CheckOutcome& outcome);

// Prepares a helper program with `limits` on the problem's `image` (Problem::image: the
// helpers are the problem's own programs, written for the same runtimes as its submissions).
// A compile failure is kFailedPrecondition.
[[nodiscard]] Result<std::unique_ptr<PreparedProgram>> PrepareHelper(Runner& runner,
                                                                     const HelperProgram& program,
                                                                     const RunLimits& limits,
                                                                     std::string_view role,
                                                                     std::string_view image);

}  // namespace codeyard::grading
