#include "core/store/usage.hpp"

#include <map>

#include "core/store/store_util.hpp"
#include "core/try.hpp"

namespace codeyard::store::usage {
namespace {

constexpr std::string_view kColumns =
    "day, org_id, user_id, cpu_ms, wall_ms, peak_memory_bytes, jobs, runs, stored_bytes";

Result<std::vector<Row>> ReadRows(const Rows& rows) {
  return ReadAll<Row>(rows, [](const codeyard::Row& r) -> Result<Row> {
    Row row;
    CY_TRY(row.day, r.Text(0));
    CY_TRY(row.org_id, r.Text(1));
    CY_TRY(row.user_id, r.Text(2));
    CY_TRY(row.cpu_ms, r.Int(3));
    CY_TRY(row.wall_ms, r.Int(4));
    CY_TRY(row.peak_memory_bytes, r.Int(5));
    CY_TRY(row.jobs, r.Int(6));
    CY_TRY(row.runs, r.Int(7));
    CY_TRY(row.stored_bytes, r.Int(8));
    return row;
  });
}

}  // namespace

Result<int64_t> StoredBytes(Transaction& tx, std::string_view org_id, std::string_view user_id) {
  CY_TRY(Rows rows, tx.Query("SELECT CAST(COALESCE(SUM(total_bytes), 0) AS BIGINT) FROM "
                             "workspaces WHERE owner_id = ? AND org_id = ?",
                             {Text(user_id), Text(org_id)}));
  if (rows.empty()) return int64_t{0};
  return rows[0].Int(0);
}

Result<void> Add(Transaction& tx, std::string_view day, std::string_view org_id,
                 std::string_view user_id, const Delta& d) {
  CY_TRY(const int64_t stored, StoredBytes(tx, org_id, user_id));
  CY_CHECK(tx.Exec(
      "INSERT INTO usage_daily (day, org_id, user_id, cpu_ms, wall_ms, peak_memory_bytes, jobs, "
      "runs, stored_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (org_id, day, user_id) DO UPDATE SET "
      "cpu_ms = usage_daily.cpu_ms + excluded.cpu_ms, "
      "wall_ms = usage_daily.wall_ms + excluded.wall_ms, "
      "peak_memory_bytes = CASE WHEN excluded.peak_memory_bytes > usage_daily.peak_memory_bytes "
      "THEN excluded.peak_memory_bytes ELSE usage_daily.peak_memory_bytes END, "
      "jobs = usage_daily.jobs + excluded.jobs, runs = usage_daily.runs + excluded.runs, "
      "stored_bytes = excluded.stored_bytes",
      {Text(day), Text(org_id), Text(user_id), Value{d.cpu_ms}, Value{d.wall_ms},
       Value{d.peak_memory_bytes}, Value{d.jobs}, Value{d.runs}, Value{stored}}));
  CY_CHECK(
      tx.Exec("INSERT INTO usage_totals (org_id, cpu_ms, wall_ms, jobs, runs) "
              "VALUES (?, ?, ?, ?, ?) ON CONFLICT (org_id) DO UPDATE SET "
              "cpu_ms = usage_totals.cpu_ms + excluded.cpu_ms, "
              "wall_ms = usage_totals.wall_ms + excluded.wall_ms, "
              "jobs = usage_totals.jobs + excluded.jobs, "
              "runs = usage_totals.runs + excluded.runs",
              {Text(org_id), Value{d.cpu_ms}, Value{d.wall_ms}, Value{d.jobs}, Value{d.runs}}));
  return {};
}

Result<std::vector<Row>> ForOrg(Transaction& tx, std::string_view org_id, std::string_view from,
                                std::string_view to) {
  CY_TRY(Rows rows, tx.Query("SELECT " + std::string(kColumns) +
                                 " FROM usage_daily WHERE org_id = ? AND day >= ? AND day <= ? "
                                 "ORDER BY day, user_id",
                             {Text(org_id), Text(from), Text(to)}));
  return ReadRows(rows);
}

Result<std::vector<Row>> ForUser(Transaction& tx, std::string_view user_id, std::string_view from,
                                 std::string_view to) {
  CY_TRY(Rows rows, tx.Query("SELECT " + std::string(kColumns) +
                                 " FROM usage_daily WHERE user_id = ? AND day >= ? AND day <= ? "
                                 "ORDER BY day, org_id",
                             {Text(user_id), Text(from), Text(to)}));
  return ReadRows(rows);
}

Result<int64_t> CpuMsOn(Transaction& tx, std::string_view day, std::string_view org_id,
                        std::string_view user_id) {
  Rows rows;
  if (user_id.empty()) {
    CY_TRY(rows, tx.Query("SELECT CAST(COALESCE(SUM(cpu_ms), 0) AS BIGINT) FROM usage_daily "
                          "WHERE org_id = ? AND day = ?",
                          {Text(org_id), Text(day)}));
  } else {
    CY_TRY(rows, tx.Query("SELECT cpu_ms FROM usage_daily WHERE org_id = ? AND day = ? AND "
                          "user_id = ?",
                          {Text(org_id), Text(day), Text(user_id)}));
  }
  if (rows.empty()) return int64_t{0};
  return rows[0].Int(0);
}

Result<std::vector<Row>> TotalsByOrg(Transaction& tx) {
  CY_TRY(Rows rows, tx.Query("SELECT org_id, cpu_ms, wall_ms, jobs, runs FROM usage_totals "
                             "ORDER BY org_id",
                             {}));
  std::map<std::string, Row, std::less<>> by_org;
  for (const auto& r : rows) {
    Row row;
    CY_TRY(row.org_id, r.Text(0));
    CY_TRY(row.cpu_ms, r.Int(1));
    CY_TRY(row.wall_ms, r.Int(2));
    CY_TRY(row.jobs, r.Int(3));
    CY_TRY(row.runs, r.Int(4));
    by_org[row.org_id] = std::move(row);
  }
  CY_TRY(Rows stored, tx.Query("SELECT org_id, CAST(SUM(total_bytes) AS BIGINT) FROM "
                               "workspaces GROUP BY org_id",
                               {}));
  for (const auto& r : stored) {
    CY_TRY(std::string org, r.Text(0));
    CY_TRY(const int64_t bytes, r.Int(1));
    Row& row = by_org[org];
    row.org_id = std::move(org);
    row.stored_bytes = bytes;
  }
  CY_TRY(Rows personal, tx.Query("SELECT id FROM orgs WHERE personal_of IS NOT NULL", {}));
  for (const auto& r : personal) {
    CY_TRY(const std::string org, r.Text(0));
    if (auto it = by_org.find(org); it != by_org.end()) it->second.personal = true;
  }
  std::vector<Row> out;
  out.reserve(by_org.size());
  for (auto& [org, row] : by_org) out.push_back(std::move(row));
  return out;
}

}  // namespace codeyard::store::usage
