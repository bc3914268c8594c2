// Repository of daily usage rows (the `usage_daily` table, migration 0018): per day,
// organization and user, what the executor reported for that user's processes. Runs inside
// the caller's transaction; `day` is a UTC date "YYYY-MM-DD".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/backend/storage.hpp"

namespace codeyard::store::usage {

// What one finished piece of work adds to its day's row.
struct Delta {
  int64_t cpu_ms = 0;
  int64_t wall_ms = 0;
  int64_t peak_memory_bytes = 0;  // kept as the day's maximum
  int64_t jobs = 0;
  int64_t runs = 0;
};

struct Row {
  std::string day;
  std::string org_id;
  std::string user_id;
  int64_t cpu_ms = 0;
  int64_t wall_ms = 0;
  int64_t peak_memory_bytes = 0;
  int64_t jobs = 0;
  int64_t runs = 0;
  int64_t stored_bytes = 0;
  bool personal = false;  // TotalsByOrg: a user's personal organization
};

// Adds `delta` to the row of (day, org, user), creating it, and sets its stored_bytes to what
// the user's workspaces of that organization store now. One upsert, atomic per row on both
// backends.
[[nodiscard]] Result<void> Add(Transaction& tx, std::string_view day, std::string_view org_id,
                               std::string_view user_id, const Delta& delta);

// Rows of an organization with from <= day <= to, by day then user.
[[nodiscard]] Result<std::vector<Row>> ForOrg(Transaction& tx, std::string_view org_id,
                                              std::string_view from, std::string_view to);

// Rows of a user (every organization) with from <= day <= to, by day then organization.
[[nodiscard]] Result<std::vector<Row>> ForUser(Transaction& tx, std::string_view user_id,
                                               std::string_view from, std::string_view to);

// Totals since the first record, per organization (`usage_totals`; day and user_id empty),
// with stored_bytes what the organization's workspaces store now. For the metrics.
[[nodiscard]] Result<std::vector<Row>> TotalsByOrg(Transaction& tx);

// CPU milliseconds recorded on `day` in the organization: by every member (user_id "") or by
// one. One indexed read (the primary key's prefix), for the CPU-seconds-per-day quota.
[[nodiscard]] Result<int64_t> CpuMsOn(Transaction& tx, std::string_view day,
                                      std::string_view org_id, std::string_view user_id);

// The bytes the user's workspaces store now ('' org: all of the user's workspaces).
[[nodiscard]] Result<int64_t> StoredBytes(Transaction& tx, std::string_view org_id,
                                          std::string_view user_id);

}  // namespace codeyard::store::usage
