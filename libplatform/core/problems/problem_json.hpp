// The stored form of a Problem's body: everything but the columns the list filters on (id,
// title, level, age group, public, timestamps), its tests and its assets, as one JSON text.
// Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "codeyard/error.hpp"
#include "codeyard/problems.hpp"

namespace codeyard::problems {

[[nodiscard]] std::string SpecToJson(const Problem& problem);
// Fills the body fields of `problem` from SpecToJson's text; kDataLoss when it is not.
[[nodiscard]] Result<void> SpecFromJson(std::string_view json, Problem& problem);

}  // namespace codeyard::problems
