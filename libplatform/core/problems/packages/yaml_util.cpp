// YAML helpers of the package readers (see yaml_util.hpp).
#include "core/problems/packages/yaml_util.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/try.hpp"

namespace codeyard::packages {

Error FileError(const Tree& tree, std::string_view path, std::string_view what) {
  return {Error::Code::kInvalidArgument,
          "package " + tree.name + ": " + std::string(path) + ": " + std::string(what)};
}

Result<YAML::Node> ParseYaml(const Tree& tree, std::string_view path) {
  const std::string* text = tree.Find(path);
  if (text == nullptr) return YAML::Node();
  try {
    YAML::Node root = YAML::Load(*text);
    if (!root.IsNull() && !root.IsMap()) {
      return Fail(FileError(tree, path, "must be a map of keys"));
    }
    return root;
  } catch (const YAML::Exception& e) {
    return Fail(FileError(tree, path, std::string("invalid YAML: ") + e.what()));
  }
}

Result<std::optional<double>> OptNumber(const Tree& tree, std::string_view path,
                                        const YAML::Node& map, const char* key) {
  if (!map.IsMap() || !map[key] || map[key].IsNull()) return std::optional<double>();
  try {
    const double v = map[key].as<double>();
    if (!std::isfinite(v)) return Fail(FileError(tree, path, std::string(key) + " must be finite"));
    return std::optional<double>(v);
  } catch (const YAML::Exception&) {
    return Fail(FileError(tree, path, std::string(key) + " must be a number"));
  }
}

Result<std::optional<uint64_t>> OptMebibytes(const Tree& tree, std::string_view path,
                                             const YAML::Node& map, const char* key,
                                             std::string_view shown_as) {
  CY_TRY(const std::optional<double> mib, OptNumber(tree, path, map, key));
  if (!mib) return std::optional<uint64_t>();
  if (!(*mib > 0) || *mib > kMaxMebibytes) {
    return Fail(FileError(tree, path,
                          std::string(shown_as) + " must be > 0 and at most " +
                              FormatNumber(kMaxMebibytes) + " (MiB)"));
  }
  return std::optional<uint64_t>(static_cast<uint64_t>(*mib * 1024.0 * 1024.0));
}

Result<std::optional<std::string>> OptString(const Tree& tree, std::string_view path,
                                             const YAML::Node& map, const char* key) {
  if (!map.IsMap() || !map[key] || map[key].IsNull()) return std::optional<std::string>();
  if (!map[key].IsScalar()) {
    return Fail(FileError(tree, path, std::string(key) + " must be a string"));
  }
  return std::optional<std::string>(map[key].Scalar());
}

std::string FormatNumber(double value) {
  // Whole numbers as integers ("70", not "7e+01": %g's shortest form of it).
  if (std::trunc(value) == value && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<int64_t>(value));
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", value);
  // The shortest form that reads back equal.
  for (int precision = 1; precision <= 17; ++precision) {
    char shorter[64];
    std::snprintf(shorter, sizeof shorter, "%.*g", precision, value);
    if (std::strtod(shorter, nullptr) == value) return shorter;
  }
  return buf;
}

}  // namespace codeyard::packages
