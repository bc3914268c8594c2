// The audit log: append-only records of who did what (codeyard/audit.hpp). There is no update
// path; the only delete is the retention sweep (Sweep), and the database refuses any other
// (the triggers of GuardStatements, added by migration 19). Runs inside the caller's
// transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "codeyard/audit.hpp"
#include "codeyard/backend/storage.hpp"
#include "codeyard/records.hpp"

namespace codeyard::store::audit {

// Appends and returns the new record's id (increasing). An empty request_id or source is
// taken from the thread's AuditScope, if one is open.
[[nodiscard]] Result<int64_t> Append(Transaction& tx, const AuditEntry& entry);
// Append of an entry made of its parts.
[[nodiscard]] Result<int64_t> Record(Transaction& tx, int64_t ts,
                                     std::optional<std::string_view> actor_id,
                                     std::string_view action, std::string_view target,
                                     std::string detail = "{}");
// Records with id > after_id, oldest first, at most `limit`.
[[nodiscard]] Result<std::vector<AuditEntry>> List(Transaction& tx, int64_t after_id, int limit);
// The records of one actor, newest first, at most `limit`.
[[nodiscard]] Result<std::vector<AuditEntry>> ListByActor(Transaction& tx,
                                                          std::string_view actor_id, int limit);
// Records matching `filter`, newest first, with id < before_id when given, at most `limit`.
[[nodiscard]] Result<std::vector<AuditEntry>> Query(Transaction& tx, const AuditFilter& filter,
                                                    std::optional<int64_t> before_id, int limit);

// The retention sweep: when the lease named "retention" is free at `now` (or already
// `holder`'s), takes it until now + lease_ms and deletes the records older than `cutoff`,
// returning how many; nullopt when another holder's lease runs. The only deleter.
[[nodiscard]] Result<std::optional<int64_t>> Sweep(Transaction& tx, std::string_view holder,
                                                   int64_t now, int64_t lease_ms, int64_t cutoff);

// Migration 19's triggers for a backend ("sqlite", "postgres"): UPDATE refused always, DELETE
// refused unless the retention sweep is active in the same transaction.
inline constexpr int64_t kGuardMigration = 19;
[[nodiscard]] std::span<const std::string_view> GuardStatements(std::string_view backend);

}  // namespace codeyard::store::audit
