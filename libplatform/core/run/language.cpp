#include <algorithm>
#include <cmath>
#include <csignal>
#include <string>

#include "codeyard/run.hpp"

namespace codeyard {

Result<Language> ParseLanguage(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "python" || lower == "python3" || lower == "py") return Language::kPython;
  if (lower == "node" || lower == "js" || lower == "javascript") return Language::kNode;
  if (lower == "c") return Language::kC;
  if (lower == "cpp" || lower == "c++" || lower == "cxx") return Language::kCpp;
  if (lower == "bash" || lower == "sh") return Language::kBash;
  return Fail(Error::Code::kInvalidArgument,
              "unknown language \"" + std::string(name) + "\"; known: python, node, c, cpp, bash");
}

std::string_view LanguageName(Language language) noexcept {
  switch (language) {
    case Language::kPython:
      return "python";
    case Language::kNode:
      return "node";
    case Language::kC:
      return "c";
    case Language::kCpp:
      return "cpp";
    case Language::kBash:
      return "bash";
  }
  return "unknown";
}

Result<Language> LanguageFromFileName(std::string_view file_name) {
  const auto dot = file_name.rfind('.');
  const std::string_view ext = dot == std::string_view::npos ? "" : file_name.substr(dot + 1);
  if (ext == "py") return Language::kPython;
  if (ext == "js" || ext == "mjs" || ext == "cjs") return Language::kNode;
  if (ext == "c") return Language::kC;
  if (ext == "cc" || ext == "cpp" || ext == "cxx" || ext == "C") return Language::kCpp;
  if (ext == "sh" || ext == "bash") return Language::kBash;
  return Fail(Error::Code::kInvalidArgument,
              "cannot tell the language of \"" + std::string(file_name) +
                  "\" from its extension; pass one (python, node, c, cpp, bash)");
}

std::string_view VerdictName(Verdict verdict) noexcept {
  switch (verdict) {
    case Verdict::kOk:
      return "ok";
    case Verdict::kCompileError:
      return "compile_error";
    case Verdict::kRuntimeError:
      return "runtime_error";
    case Verdict::kTimeLimitExceeded:
      return "time_limit_exceeded";
    case Verdict::kMemoryLimitExceeded:
      return "memory_limit_exceeded";
    case Verdict::kOutputLimitExceeded:
      return "output_limit_exceeded";
    case Verdict::kInternalError:
      return "internal_error";
  }
  return "internal_error";
}

Verdict Classify(const ExitStatus& status, const RunLimits& limits) {
  // Order matters: a process killed for a limit also ends with a signal, which on its own
  // would read as a runtime error.
  if (status.time_limit_exceeded || status.signal == SIGXCPU ||
      status.cpu_ms > limits.cpu_time.count()) {
    return Verdict::kTimeLimitExceeded;
  }
  if (status.oom_killed) return Verdict::kMemoryLimitExceeded;
  if (status.output_truncated) return Verdict::kOutputLimitExceeded;
  if (status.signal || status.exit_code.value_or(1) != 0) return Verdict::kRuntimeError;
  return Verdict::kOk;
}

Verdict Classify(const ExitStatus& status, const ExecSpec& spec) {
  RunLimits limits;
  limits.cpu_time = spec.cpu_time_limit.value_or(std::chrono::milliseconds::max());
  return Classify(status, limits);
}

RunLimits WithTimeLimit(RunLimits limits, double cpu_seconds, double wall_seconds) {
  const auto ms = [](double seconds) {
    return std::chrono::milliseconds(static_cast<int64_t>(std::llround(seconds * 1000)));
  };
  limits.cpu_time = ms(cpu_seconds);
  limits.wall_time = ms(wall_seconds > 0 ? wall_seconds : std::max(2 * cpu_seconds, 1.0));
  return limits;
}

void ApplyRunLimits(const RunLimits& limits, ExecSpec& spec) {
  spec.cpu_time_limit = limits.cpu_time;
  spec.wall_time_limit = limits.wall_time;
  spec.output_limit_bytes = limits.output_bytes;
  spec.kill_on_output_limit = true;
}

}  // namespace codeyard
