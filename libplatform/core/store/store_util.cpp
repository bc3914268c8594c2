#include "core/store/store_util.hpp"

#include <string>

namespace codeyard::store {

Result<std::optional<std::string>> OptText(const Row& row, std::size_t i) {
  if (row.IsNull(i)) return std::optional<std::string>();
  auto v = row.Text(i);
  if (!v) return Fail(v.error());
  return std::optional<std::string>(std::move(*v));
}

Result<std::optional<int64_t>> OptInt(const Row& row, std::size_t i) {
  if (row.IsNull(i)) return std::optional<int64_t>();
  auto v = row.Int(i);
  if (!v) return Fail(v.error());
  return std::optional<int64_t>(*v);
}

Error NotFound(std::string_view what, std::string_view key) {
  return Error(Error::Code::kNotFound, std::string(what) + " " + std::string(key) + " not found");
}

Error StaleOrMissing(Transaction& tx, std::string_view table, std::string_view id,
                     std::string_view what) {
  // Table names come from the repositories' own constants, never from input.
  auto rows = tx.Query("SELECT version FROM " + std::string(table) + " WHERE id = ?",
                       {Value{std::string(id)}});
  if (!rows) return rows.error();
  if (rows->empty()) return NotFound(what, id);
  return Error(Error::Code::kConflict, std::string(what) + " " + std::string(id) +
                                           " was changed by someone else; reload and retry");
}

}  // namespace codeyard::store
