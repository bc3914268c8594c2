// The audit log: append-only records of who did what. There is no update or delete.
// Runs inside the caller's transaction.
#pragma once

#include <string_view>
#include <vector>

#include "codeyard/backend/storage.hpp"
#include "codeyard/records.hpp"

namespace codeyard::store::audit {

// Appends and returns the new record's id (increasing).
[[nodiscard]] Result<int64_t> Append(Transaction& tx, const AuditEntry& entry);
// Records with id > after_id, oldest first, at most `limit`.
[[nodiscard]] Result<std::vector<AuditEntry>> List(Transaction& tx, int64_t after_id, int limit);
// The records of one actor, newest first, at most `limit`.
[[nodiscard]] Result<std::vector<AuditEntry>> ListByActor(Transaction& tx,
                                                          std::string_view actor_id, int limit);

}  // namespace codeyard::store::audit
