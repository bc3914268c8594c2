// Problem packages: reading and writing a Problem (codeyard/problems.hpp) as a Kattis / ICPC
// problem package (problem.yaml, data/sample, data/secret with groups and testdata.yaml,
// output_validators, submissions/<verdict>/; the legacy and the 2023-07 layouts), or as our
// own folder format (docs/problems.md). A package is a folder or a .zip of one; everything is
// read into memory under PackageCaps first (sizes, file counts, compression ratio, paths that
// escape the package, symlinks), so a hostile package is refused with the cap it broke named,
// before any of it is parsed. What a package holds beyond the Problem (its example submissions
// with their expected verdicts, the time limit rules) is kept in ProblemPackage.
//
// Threading: plain functions over values and the file system; safe from any thread (two calls
// writing the same folder at once race as any two writers do).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/config.hpp"
#include "codeyard/error.hpp"
#include "codeyard/problems.hpp"

namespace codeyard {

// Caps against hostile packages. Every one is checked while reading, before parsing.
struct PackageCaps {
  uint64_t max_total_bytes = uint64_t{512} << 20;  // all files together, uncompressed
  uint64_t max_file_bytes = uint64_t{128} << 20;   // one file, uncompressed
  int64_t max_files = 20000;                       // files in the package
  int max_depth = 12;                              // folders below the package root
  // A zip entry whose uncompressed size exceeds this many times its compressed size is a
  // zip bomb (text test data compresses ~10-50x; a bomb compresses ~1000x).
  uint64_t max_compression_ratio = 500;
};

// The caps the configuration sets (problems.max_package_bytes, ...; docs/configuration.md).
[[nodiscard]] PackageCaps PackageCapsFrom(const Config& config);

// An example submission of a package (submissions/<verdict>/<file or folder>): a program the
// grader should judge `expected_verdict`. Verdicts are the grader's names: "accepted",
// "wrong_answer", "time_limit_exceeded", "runtime_error" (Kattis' run_time_error),
// "memory_limit_exceeded", "output_limit_exceeded", "compile_error", and Kattis'
// "partially_accepted" (accepted with less than the maximum score), "rejected" (any failure)
// and "brute_force" (never a wrong answer, but too slow or crashing).
struct ExampleSubmission {
  std::string name;                      // its path under submissions/, e.g. "accepted/sol.py"
  std::string expected_verdict;          // from its folder
  std::string language;                  // language id ("python", "cpp", ...) from its entry point
  std::vector<FileData> files;           // the entry point first
  std::optional<double> expected_score;  // scoring problems: from submissions.yaml `score`

  friend bool operator==(const ExampleSubmission&, const ExampleSubmission&) = default;
};

// Which layout a package was read from.
enum class PackageFormat { kKattisLegacy, kKattis2023, kCodeyard };
// "kattis-legacy", "kattis-2023-07", "codeyard".
[[nodiscard]] std::string_view PackageFormatName(PackageFormat format) noexcept;

struct ProblemPackage {
  Problem problem;  // limits.time_limit_s is a placeholder (1 s) unless fixed_time_limit is set
  PackageFormat format = PackageFormat::kKattisLegacy;
  // Set when the package fixes its time limit (2023-07 `limits.time_limit`, a legacy
  // `.timelimit` file, our `limits.time_limit_s`); otherwise the importer computes one from
  // the accepted submissions (ComputeTimeLimit) or takes it from the person importing.
  std::optional<double> fixed_time_limit_s;
  // Kattis' rules for computing a time limit: legacy `time_multiplier` (default 5) and
  // `time_safety_margin` (default 2); 2023-07 `time_multipliers.ac_to_time_limit` (default 2)
  // and `time_limit_to_tle` (default 1.5).
  double time_multiplier = 5;
  double time_safety_margin = 2;
  double time_resolution_s = 1;  // 2023-07 `time_resolution`: the limit is a multiple of it
  // Arguments for a custom output validator or interactor (`validator_flags`,
  // `output_validator_flags`), which the Problem model has no field for yet.
  std::string validator_flags;
  std::vector<ExampleSubmission> submissions;
};

// Reads a Kattis / ICPC package, a folder or a .zip (.kpp) of one, legacy or 2023-07. The
// problem id is the package's short name: the folder's name or the zip's base name,
// lowercased. Tests: data/sample/* public (0 points), data/secret/* hidden; each folder under
// data/secret is a group (nested folders belong to their top folder's group) whose points
// are its testdata.yaml `accept_score` (2023-07: `scoring.score`), default 1. Checker: the
// default output validator from `validator_flags` (case-insensitive tokens unless
// case_sensitive; float tolerances make it `float`; space_change_sensitive makes it
// `trimmed`), or the program in output_validators/ (2023-07: output_validator/) for
// `validation: custom`; `custom interactive` (2023-07: type interactive) makes that program
// the interactor. Errors name the file at fault ("hello/problem.yaml: limits.memory must be
// a positive number") or the cap that was hit.
[[nodiscard]] Result<ProblemPackage> ImportKattisPackage(const std::filesystem::path& path,
                                                         const PackageCaps& caps = {});

// Writes `package` as a legacy-layout Kattis package into `dir` (created; it must be empty
// or absent), with a `.timelimit` file for the time limit and the statement as
// problem_statement/problem.en.md. Reading it back with ImportKattisPackage gives an equal
// Problem for any problem a Kattis package can express; what it cannot (tags other than
// topics, `exact` and `unordered_lines` checkers, points of ungrouped tests) is written as the
// nearest Kattis equivalent, listed in docs/problems.md.
[[nodiscard]] Result<void> ExportKattisPackage(const ProblemPackage& package,
                                               const std::filesystem::path& dir);

// Our own folder format (docs/problems.md): problem.yaml with `codeyard_format: 1`,
// statement.md and images/, starter/<language>.<ext>, tests/<name>.in and .out, checker/ or
// interactor/, submissions/<verdict>/. Expresses every field of the model, so export then
// import gives back an equal Problem.
[[nodiscard]] Result<ProblemPackage> ImportProblemFolder(const std::filesystem::path& path,
                                                         const PackageCaps& caps = {});
[[nodiscard]] Result<void> ExportProblemFolder(const ProblemPackage& package,
                                               const std::filesystem::path& dir);

// Either format: ours when problem.yaml says `codeyard_format`, else Kattis.
[[nodiscard]] Result<ProblemPackage> ImportPackage(const std::filesystem::path& path,
                                                   const PackageCaps& caps = {});

// Kattis' time limit from the slowest accepted run (seconds): legacy packages take
// slowest * time_multiplier rounded up to whole seconds (at least 1); 2023-07 packages the
// smallest multiple of time_resolution at or above slowest * ac_to_time_limit. The safety
// margin is not part of the limit: it says how far past it a time_limit_exceeded example must
// run, which is the grader's check.
[[nodiscard]] double ComputeTimeLimit(const ProblemPackage& package, double slowest_accepted_s);

}  // namespace codeyard
