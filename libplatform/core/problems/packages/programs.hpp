// Programs inside a package, shared by both formats: a helper program (custom checker,
// interactor) read from a folder or a single file, and the example submissions under
// submissions/<verdict>/. A program's language comes from its entry point's extension (the
// language table's LanguageFromFileName); its entry point is its only source file, or the one
// named main / validator / checker / interactor / __main__, or else the first by name.
// Thread-safe (no shared state).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/error.hpp"
#include "codeyard/problem_packages.hpp"
#include "core/problems/packages/tree.hpp"

namespace codeyard::packages {

// A package file as a FileData (mode 0644, no mtime).
[[nodiscard]] FileData PackageFile(std::string path, std::string content);

// The program at `path`: a folder (ending with '/') or one file. kInvalidArgument naming the
// path when it has no file of a known language, or uses build/run scripts.
[[nodiscard]] Result<HelperProgram> ReadProgram(const Tree& tree, const std::string& path);
// Writes the program's files under `folder` (ending with '/').
void WriteProgram(Tree& tree, const std::string& folder, const HelperProgram& program);

// Every submission under submissions/<verdict>/ (a file or a folder each), with scores from
// submissions/submissions.yaml (`<path>: {score: N}`). Folders of unknown verdicts are left
// out (docs/problems.md lists the known ones).
[[nodiscard]] Result<std::vector<ExampleSubmission>> ReadSubmissions(const Tree& tree);
// `kattis`: runtime_error goes to run_time_error/, as Kattis names it.
void WriteSubmissions(Tree& tree, const std::vector<ExampleSubmission>& submissions, bool kattis);

}  // namespace codeyard::packages
