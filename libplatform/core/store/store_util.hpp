// Small helpers shared by the repositories: optional values to and from cells, and the
// not-found / conflict errors that every repository reports the same way.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "codeyard/backend/storage.hpp"

namespace codeyard::store {

[[nodiscard]] inline Value Opt(const std::optional<std::string>& v) {
  return v ? Value{*v} : Value{};
}
[[nodiscard]] inline Value Opt(const std::optional<int64_t>& v) { return v ? Value{*v} : Value{}; }
[[nodiscard]] inline Value Text(std::string_view v) { return Value{std::string(v)}; }

[[nodiscard]] Result<std::optional<std::string>> OptText(const Row& row, std::size_t i);
[[nodiscard]] Result<std::optional<int64_t>> OptInt(const Row& row, std::size_t i);

[[nodiscard]] Error NotFound(std::string_view what, std::string_view key);

// After a conditional UPDATE/DELETE changed nothing: kNotFound if the row is gone,
// else kConflict (someone else changed it first).
[[nodiscard]] Error StaleOrMissing(Transaction& tx, std::string_view table, std::string_view id,
                                   std::string_view what);

}  // namespace codeyard::store
