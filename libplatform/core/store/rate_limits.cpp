#include "core/store/rate_limits.hpp"

#include "core/store/store_util.hpp"
#include "core/try.hpp"

namespace codeyard::store::rate_limits {

Result<std::optional<Counted>> Count(Transaction& tx, std::string_view key, int64_t now,
                                     int64_t window_end, bool slide) {
  // One statement, atomic per row on both backends: concurrent counts of one key serialize on
  // the row, and a count blocked by a wait set meanwhile sees it (ON CONFLICT reads the latest
  // committed row on PostgreSQL) and returns no row.
  const std::string sql = std::string(
                              "INSERT INTO rate_limits (id, hits, reset_at, blocked_until) "
                              "VALUES (?, 1, ?, 0) ON CONFLICT (id) DO UPDATE SET "
                              "hits = CASE WHEN rate_limits.reset_at <= ? THEN 1 "
                              "ELSE rate_limits.hits + 1 END, ") +
                          (slide ? "reset_at = ? "
                                 : "reset_at = CASE WHEN rate_limits.reset_at <= ? THEN ? "
                                   "ELSE rate_limits.reset_at END ") +
                          "WHERE rate_limits.blocked_until <= ? RETURNING hits, reset_at";
  CY_TRY(Rows rows, slide ? tx.Query(sql, {Text(key), Value{window_end}, Value{now},
                                           Value{window_end}, Value{now}})
                          : tx.Query(sql, {Text(key), Value{window_end}, Value{now}, Value{now},
                                           Value{window_end}, Value{now}}));
  if (rows.empty()) return std::optional<Counted>();
  Counted out;
  CY_TRY(out.count, rows.front().Int(0));
  CY_TRY(out.reset_at, rows.front().Int(1));
  return std::optional<Counted>(out);
}

Result<int64_t> BlockedUntil(Transaction& tx, std::string_view key) {
  CY_TRY(Rows rows, tx.Query("SELECT blocked_until FROM rate_limits WHERE id = ?", {Text(key)}));
  if (rows.empty()) return int64_t{0};
  return rows.front().Int(0);
}

Result<void> Block(Transaction& tx, std::string_view key, int64_t until) {
  CY_CHECK(
      tx.Exec("UPDATE rate_limits SET blocked_until = ? WHERE id = ?", {Value{until}, Text(key)}));
  return {};
}

Result<void> Refund(Transaction& tx, std::string_view key, int64_t max) {
  CY_CHECK(
      tx.Exec("UPDATE rate_limits SET hits = hits - 1, "
              "blocked_until = CASE WHEN hits - 1 < ? THEN 0 ELSE blocked_until END "
              "WHERE id = ? AND hits > 0",
              {Value{max}, Text(key)}));
  return {};
}

Result<void> Delete(Transaction& tx, std::string_view key) {
  CY_CHECK(tx.Exec("DELETE FROM rate_limits WHERE id = ?", {Text(key)}));
  return {};
}

Result<int64_t> DeleteExpired(Transaction& tx, int64_t now) {
  return tx.Exec("DELETE FROM rate_limits WHERE reset_at < ? AND blocked_until < ?",
                 {Value{now}, Value{now}});
}

}  // namespace codeyard::store::rate_limits
