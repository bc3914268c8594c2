// Small helpers shared by the repositories: optional values to and from cells, and the
// not-found / conflict errors that every repository reports the same way.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// Every row of a query read into a T by `read_one` (Result<T>(const Row&)), stopping at the
// first error: the loop of each repository's list reads (meter20: usage and audit shared it).
template <class T, class ReadOne>
[[nodiscard]] Result<std::vector<T>> ReadAll(const Rows& rows, ReadOne read_one) {
  std::vector<T> out;
  out.reserve(rows.size());
  for (const Row& row : rows) {
    Result<T> one = read_one(row);
    if (!one) return std::unexpected(std::move(one.error()));
    out.push_back(std::move(*one));
  }
  return out;
}

// After a conditional UPDATE/DELETE changed nothing: kNotFound if the row is gone,
// else kConflict (someone else changed it first).
[[nodiscard]] Error StaleOrMissing(Transaction& tx, std::string_view table, std::string_view id,
                                   std::string_view what);

}  // namespace codeyard::store
