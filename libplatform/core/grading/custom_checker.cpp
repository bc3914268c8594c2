// The custom checker and what it shares with interactors: the Kattis helper protocol (see
// checkers.hpp).
#include <charconv>
#include <string>

#include "core/grading/checkers.hpp"
#include "core/try.hpp"

namespace codeyard::grading {
namespace {

constexpr size_t kMaxMessage = 4096;

std::string Trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  return std::string(text);
}

std::string HowItEnded(const RunResult& run) {
  if (run.verdict == Verdict::kInternalError) return run.message;
  std::string how = std::string(VerdictName(run.verdict));
  if (run.status.exit_code) how += ", exit code " + std::to_string(*run.status.exit_code);
  if (run.status.signal) how += ", signal " + std::to_string(*run.status.signal);
  if (!run.stderr_data.empty()) how += ": " + Trimmed(run.stderr_data.substr(0, 512));
  return how;
}

}  // namespace

void AddHelperTestFiles(std::string_view input, std::string_view expected, RunInput& run) {
  run.files.push_back(
      {std::string(kHelperInput), FileKind::kFile, std::string(input), 0644, std::nullopt});
  run.files.push_back(
      {std::string(kHelperAnswer), FileKind::kFile, std::string(expected), 0644, std::nullopt});
  run.files.push_back(
      {std::string(kHelperFeedbackDir), FileKind::kDirectory, "", 0777, std::nullopt});
  run.args = {std::string(kHelperInput), std::string(kHelperAnswer),
              std::string(kHelperFeedbackDir) + "/"};
  run.collect_dir = std::string(kHelperFeedbackDir);
}

Result<void> ReadFeedback(const std::vector<FileData>& collected, CheckOutcome& outcome) {
  const std::string dir = std::string(kHelperFeedbackDir) + "/";
  for (const auto& file : collected) {
    if (file.path == dir + "judgemessage.txt") {
      outcome.feedback = Trimmed(std::string_view(file.content).substr(0, kMaxMessage));
    }
  }
  if (!outcome.accepted) return {};
  outcome.fraction = 1.0;
  for (const auto& file : collected) {
    if (file.path != dir + "score.txt") continue;
    const std::string text = Trimmed(file.content);
    double value = -1;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size() || !(value >= 0 && value <= 1)) {
      return Fail(Error::Code::kInternal, "grading: the checker wrote score.txt \"" +
                                              text.substr(0, 64) +
                                              "\"; it must be a fraction from 0 to 1");
    }
    outcome.fraction = value;
  }
  return {};
}

Result<std::unique_ptr<PreparedProgram>> PrepareHelper(Runner& runner, const HelperProgram& program,
                                                       const RunLimits& limits,
                                                       std::string_view role,
                                                       std::string_view image) {
  if (program.files.empty()) {
    return Fail(Error::Code::kInvalidArgument,
                "grading: the " + std::string(role) + " has no files");
  }
  CY_TRY(const Language language, ParseLanguage(program.language));
  PrepareRequest request;
  request.files = program.files;
  request.language = language;
  request.limits = limits;
  request.image = std::string(image);
  request.prefetch = 1;
  request.reuse_pods = true;  // the problem's own program, reset between tests all the same
  CY_TRY(auto prepared, runner.Prepare(request));
  if (!prepared->ready()) {
    return Fail(Error::Code::kFailedPrecondition,
                "grading: the " + std::string(role) +
                    " does not compile: " + prepared->compile().message + "\n" +
                    prepared->compile().compile_output.substr(0, kMaxMessage));
  }
  return prepared;
}

Result<std::unique_ptr<CustomChecker>> CustomChecker::Prepare(Runner& runner,
                                                              const HelperProgram& program,
                                                              const RunLimits& limits,
                                                              std::string_view image) {
  CY_TRY(auto prepared, PrepareHelper(runner, program, limits, "checker", image));
  return std::unique_ptr<CustomChecker>(new CustomChecker(std::move(prepared)));
}

Result<CheckOutcome> CustomChecker::Check(std::string_view input, std::string_view expected,
                                          std::string_view output) {
  RunInput run;
  AddHelperTestFiles(input, expected, run);
  run.stdin_data = std::string(output);
  CY_TRY(const RunResult result, program_->Run(run));
  CheckOutcome outcome;
  const auto code = result.status.exit_code;
  if (result.verdict == Verdict::kInternalError || result.status.signal || !code ||
      (*code != kValidatorAccepted && *code != kValidatorWrongAnswer) ||
      result.status.time_limit_exceeded || result.status.oom_killed) {
    return Fail(Error::Code::kInternal, "grading: the checker failed (" + HowItEnded(result) +
                                            "); it must exit 42 (accepted) or 43 (wrong answer)");
  }
  outcome.accepted = *code == kValidatorAccepted;
  CY_CHECK(ReadFeedback(result.collected, outcome));
  return outcome;
}

}  // namespace codeyard::grading
