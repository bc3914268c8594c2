// The language table: the one list of languages one-shot runs, jobs and grading accept (Python
// 3, Node.js, C, C++, bash). Each entry says how a program in it is compiled (if at all) and
// run, as argv templates rather than shell strings, so what runs is exactly what is recorded,
// whatever the file names hold. The Runner, the server's /run and /languages, the CLI and the
// grader all read it; nothing else lists languages.
//
// Threading: the table is built once, immutable and safe to read from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/error.hpp"

namespace codeyard {

enum class Language { kPython, kNode, kC, kCpp, kBash };

// How long and how loud a compiler may be. A compiler looping (templates, constexpr) is stopped
// at the time limits, one flooding errors at the output cap, and either is a compile_error with
// the output kept up to the cap. Memory, pids and disk come from RunnerOptions::compile_limits.
struct CompileLimits {
  std::chrono::milliseconds cpu_time{10000};
  std::chrono::milliseconds wall_time{20000};
  uint64_t output_bytes = uint64_t{64} << 10;
};

struct LanguageInfo {
  Language language = Language::kPython;
  std::string id;                       // "python": what /run, jobs and problems name it by
  std::string display_name;             // "Python 3"
  std::vector<std::string> aliases;     // other names ParseLanguage accepts ("py", "python3")
  std::string source_file;              // the entry point's default name ("main.py")
  std::vector<std::string> extensions;  // without the dot, the first is the usual one
  // argv templates. In them "{main}" is the entry point, "{sources}" expands to every source
  // file of the language (one argument each) and "{binary}" is the compiled program. An
  // empty compile command: interpreted, the sources are only placed.
  std::vector<std::string> compile_command;
  std::vector<std::string> run_command;
  std::vector<std::string> version_command;  // prints the toolchain's version (cheap to run)
  CompileLimits compile_limits;
};

// Every language, in a stable order (python, node, c, cpp, bash).
[[nodiscard]] std::span<const LanguageInfo> Languages() noexcept;
[[nodiscard]] const LanguageInfo& InfoOf(Language language) noexcept;

// By id or alias, case-insensitive; kInvalidArgument naming the known ids otherwise.
[[nodiscard]] Result<Language> ParseLanguage(std::string_view name);
[[nodiscard]] std::string_view LanguageName(Language language) noexcept;
// From a file name's extension; kInvalidArgument otherwise.
[[nodiscard]] Result<Language> LanguageFromFileName(std::string_view file_name);

// The file name of a compiled program in its pod's workspace.
inline constexpr std::string_view kCompiledBinary = ".codeyard-main";

// Fills a command template: "{main}" by `main`, "{binary}" by kCompiledBinary and an argument
// that is exactly "{sources}" by `sources` (one argument each). No shell is involved.
[[nodiscard]] std::vector<std::string> ExpandCommand(std::span<const std::string> command,
                                                     std::string_view main,
                                                     std::span<const std::string> sources);

}  // namespace codeyard
