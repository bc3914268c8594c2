// Kattis' time limit from the slowest accepted submission (see problem_packages.hpp).
#include <algorithm>
#include <cmath>

#include "codeyard/problem_packages.hpp"

namespace codeyard {

double ComputeTimeLimit(const ProblemPackage& package, double slowest_accepted_s) {
  const double exact = std::max(slowest_accepted_s, 0.0) * package.time_multiplier;
  if (package.format == PackageFormat::kKattis2023) {
    const double step = package.time_resolution_s > 0 ? package.time_resolution_s : 1.0;
    // The smallest multiple of the resolution at or above the exact limit (a hair of slack
    // so 2 * 0.5 s stays 1 s and is not pushed up by rounding).
    return std::max(step, std::ceil(exact / step - 1e-9) * step);
  }
  return std::max(1.0, std::ceil(exact - 1e-9));
}

}  // namespace codeyard
