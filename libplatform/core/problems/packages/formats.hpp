// The format readers over a Tree already loaded under the caps, so ImportPackage loads once and
// picks the reader. Thread-safe (no shared state).
#pragma once

#include "codeyard/problem_packages.hpp"
#include "core/problems/packages/tree.hpp"

namespace codeyard::packages {

[[nodiscard]] Result<ProblemPackage> ImportKattisTree(const Tree& tree);
[[nodiscard]] Result<ProblemPackage> ImportFolderTree(const Tree& tree);

}  // namespace codeyard::packages
