// A LaTeX problem statement made readable as Markdown (docs/problems.md says how): no TeX
// engine, a handful of rewrites of the commands problem statements use, math kept between
// dollars for the page's math renderer. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace codeyard::packages {

struct LatexStatement {
  std::string markdown;
  std::string problem_name;  // from \problemname{...} (or %% plainproblemname:), or empty
};

[[nodiscard]] LatexStatement LatexToMarkdown(std::string_view tex);

}  // namespace codeyard::packages
