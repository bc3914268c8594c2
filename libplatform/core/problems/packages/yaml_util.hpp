// YAML of packages (problem.yaml, testdata.yaml, submissions.yaml) read with yaml-cpp, with
// every fault turned into an error naming the package and file. yaml-cpp reports faults by
// throwing; the helpers here catch them at the boundary so no exception leaves a package
// reader. Thread-safe (no shared state).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "codeyard/error.hpp"
#include "core/problems/packages/tree.hpp"

namespace codeyard::packages {

// "package hello: data/secret/g1/testdata.yaml: <what>".
[[nodiscard]] Error FileError(const Tree& tree, std::string_view path, std::string_view what);

// Parses tree.files[path]; a missing file is a null node. The root must be a map (or empty).
[[nodiscard]] Result<YAML::Node> ParseYaml(const Tree& tree, std::string_view path);

// Typed reads of an optional key; a present key of the wrong type is an error naming it.
[[nodiscard]] Result<std::optional<double>> OptNumber(const Tree& tree, std::string_view path,
                                                      const YAML::Node& map, const char* key);
[[nodiscard]] Result<std::optional<std::string>> OptString(const Tree& tree, std::string_view path,
                                                           const YAML::Node& map, const char* key);

// A size in MiB (a number, fractions allowed) as bytes: > 0 and at most kMaxMebibytes (1 TiB),
// so the bytes always fit (a larger value was converted to uint64_t out of range: undefined).
inline constexpr double kMaxMebibytes = 1024.0 * 1024.0;
[[nodiscard]] Result<std::optional<uint64_t>> OptMebibytes(const Tree& tree, std::string_view path,
                                                           const YAML::Node& map, const char* key,
                                                           std::string_view shown_as);

// Formats a double without trailing zeros ("1", "0.5", "1e-06").
[[nodiscard]] std::string FormatNumber(double value);

}  // namespace codeyard::packages
