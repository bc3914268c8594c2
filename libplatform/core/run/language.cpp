// The language table (codeyard/languages.hpp) and the verdict rules of one-shot runs
// (codeyard/run.hpp).
#include <algorithm>
#include <cmath>
#include <csignal>
#include <string>

#include "codeyard/languages.hpp"
#include "codeyard/run.hpp"

namespace codeyard {
namespace {

std::vector<LanguageInfo> BuildTable() {
  // C and C++ get -O2 and the current GNU dialects, as most judges do; -lm last so that the
  // sources' uses of it resolve.
  return {
      {Language::kPython,
       "python",
       "Python 3",
       {"python3", "py"},
       "main.py",
       {"py"},
       {},
       {"python3", "{main}"},
       {"python3", "--version"},
       {}},
      {Language::kNode,
       "node",
       "Node.js",
       {"js", "javascript", "nodejs"},
       "main.js",
       {"js", "mjs", "cjs"},
       {},
       {"node", "{main}"},
       {"node", "--version"},
       {}},
      {Language::kC,
       "c",
       "C (gcc, GNU17)",
       {},
       "main.c",
       {"c"},
       {"gcc", "-O2", "-pipe", "-std=gnu17", "-o", "{binary}", "{sources}", "-lm"},
       {"./{binary}"},
       {"gcc", "--version"},
       {}},
      {Language::kCpp,
       "cpp",
       "C++ (g++, GNU++20)",
       {"c++", "cxx"},
       "main.cpp",
       {"cpp", "cc", "cxx", "C"},
       {"g++", "-O2", "-pipe", "-std=gnu++20", "-o", "{binary}", "{sources}", "-lm"},
       {"./{binary}"},
       {"g++", "--version"},
       {}},
      {Language::kBash,
       "bash",
       "Bash",
       {"sh"},
       "main.sh",
       {"sh", "bash"},
       {},
       {"bash", "{main}"},
       {"bash", "--version"},
       {}},
  };
}

// Never destroyed: a job worker or a terminal thread of an embedder that ends its process
// with exit() while its services still run (a static Services, a fuzz target ending its run)
// may read the table after static destructors ran (fuzz request_body: heap-use-after-free in
// ParseLanguage from a grade job at exit).
const std::vector<LanguageInfo>& Table() {
  static const auto& table = *new std::vector<LanguageInfo>(BuildTable());
  return table;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string KnownIds() {
  std::string out;
  for (const auto& info : Table()) out += (out.empty() ? "" : ", ") + info.id;
  return out;
}

void ReplaceAll(std::string& s, std::string_view from, std::string_view to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
}

}  // namespace

std::span<const LanguageInfo> Languages() noexcept { return Table(); }

const LanguageInfo& InfoOf(Language language) noexcept {
  for (const auto& info : Table()) {
    if (info.language == language) return info;
  }
  return Table().front();  // unreachable: every enumerator has a row
}

Result<Language> ParseLanguage(std::string_view name) {
  const std::string lower = Lower(name);
  for (const auto& info : Table()) {
    if (lower == info.id) return info.language;
    for (const auto& alias : info.aliases) {
      if (lower == alias) return info.language;
    }
  }
  return Fail(Error::Code::kInvalidArgument,
              "unknown language \"" + std::string(name) + "\"; known: " + KnownIds());
}

std::string_view LanguageName(Language language) noexcept { return InfoOf(language).id; }

Result<Language> LanguageFromFileName(std::string_view file_name) {
  const auto slash = file_name.rfind('/');
  const std::string_view base =
      slash == std::string_view::npos ? file_name : file_name.substr(slash + 1);
  const auto dot = base.rfind('.');
  if (dot != std::string_view::npos && dot > 0) {
    const std::string_view ext = base.substr(dot + 1);
    for (const auto& info : Table()) {
      for (const auto& known : info.extensions) {
        if (ext == known) return info.language;
      }
    }
  }
  return Fail(Error::Code::kInvalidArgument,
              "cannot tell the language of \"" + std::string(file_name) +
                  "\" from its extension; pass one (" + KnownIds() + ")");
}

std::vector<std::string> ExpandCommand(std::span<const std::string> command, std::string_view main,
                                       std::span<const std::string> sources) {
  std::vector<std::string> out;
  out.reserve(command.size() + sources.size());
  for (const auto& word : command) {
    if (word == "{sources}") {
      out.insert(out.end(), sources.begin(), sources.end());
      continue;
    }
    std::string expanded = word;
    ReplaceAll(expanded, "{binary}", kCompiledBinary);
    // A file named like an option ("-c") must not become one of the interpreter's.
    ReplaceAll(expanded, "{main}",
               word == "{main}" && main.starts_with('-') ? "./" + std::string(main) : main);
    out.push_back(std::move(expanded));
  }
  return out;
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
