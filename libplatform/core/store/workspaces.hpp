// Repository of workspaces. Runs inside the caller's transaction.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/backend/storage.hpp"
#include "codeyard/records.hpp"

namespace codeyard::store::workspaces {

// kFailedPrecondition for an unknown owner; kAlreadyExists for a duplicate id or a name the
// owner already uses (unique index on (owner_id, name)).
[[nodiscard]] Result<void> Insert(Transaction& tx, const Workspace& ws);
[[nodiscard]] Result<Workspace> Get(Transaction& tx, std::string_view id);
// Oldest first (created_at, then id): a stable order that new workspaces only append to.
[[nodiscard]] Result<std::vector<Workspace>> ListByOwner(Transaction& tx,
                                                         std::string_view owner_id);
// Where a page of ListByOwnerAfter starts: after this (created_at, id).
struct PageKey {
  int64_t created_at = 0;
  std::string id;
};
// At most `limit` workspaces of the owner after `after` (nullopt: from the first), in the
// order of ListByOwner; keyset pagination on the (owner_id, created_at, id) index.
[[nodiscard]] Result<std::vector<Workspace>> ListByOwnerAfter(Transaction& tx,
                                                              std::string_view owner_id,
                                                              const std::optional<PageKey>& after,
                                                              int64_t limit);
// The owner's workspace with exactly this (normalized) name, if any.
[[nodiscard]] Result<std::optional<Workspace>> FindByName(Transaction& tx,
                                                          std::string_view owner_id,
                                                          std::string_view name);
// What one user holds over all their workspaces, for the per-user quotas.
struct Usage {
  int64_t workspaces = 0;
  int64_t bytes = 0;
  int64_t entries = 0;
};
[[nodiscard]] Result<Usage> UsageOf(Transaction& tx, std::string_view owner_id);
// Adds `delta` (may be negative) to entry_count.
[[nodiscard]] Result<void> AddEntries(Transaction& tx, std::string_view id, int64_t delta);
// All workspaces in a state (e.g. every running one, for the idle sweeper).
[[nodiscard]] Result<std::vector<Workspace>> ListByState(Transaction& tx, WorkspaceState state);
// Writes name and state if `ws.version` is current; bumps the version.
// kConflict for a stale version, kNotFound when absent.
[[nodiscard]] Result<Workspace> Update(Transaction& tx, const Workspace& ws, int64_t now);
// Moves state `from` -> `to` atomically; false when the workspace was not in `from`.
[[nodiscard]] Result<bool> TransitionState(Transaction& tx, std::string_view id,
                                           WorkspaceState from, WorkspaceState to, int64_t now);
// Records activity without bumping the version (it is not an edit).
// Sets the terminal_shared flag (no version bump); the workspace after.
[[nodiscard]] Result<Workspace> SetTerminalShared(Transaction& tx, std::string_view id,
                                                  bool shared);
[[nodiscard]] Result<void> Touch(Transaction& tx, std::string_view id, int64_t now);
// Takes the workspace row's write lock until the transaction ends (an update that changes
// nothing), so that changes to one workspace's files run one at a time even on PostgreSQL,
// where writers are concurrent: what a file operation checks after it (caps, parents,
// versions, the bytes under a folder) stays true until it commits. kNotFound when absent.
[[nodiscard]] Result<void> Lock(Transaction& tx, std::string_view id);
// Adds `delta` (may be negative) to total_bytes.
[[nodiscard]] Result<void> AddBytes(Transaction& tx, std::string_view id, int64_t delta);
// Deletes the workspace with its items, pod record and manifest (foreign-key cascade).
[[nodiscard]] Result<void> Delete(Transaction& tx, std::string_view id);

// admin20 (codeyard/admin.hpp): every user's workspaces, optionally of one owner or in one
// state, by id after `after`, at most `limit`.
[[nodiscard]] Result<std::vector<Workspace>> ListAll(Transaction& tx,
                                                     std::optional<std::string_view> owner_id,
                                                     std::optional<WorkspaceState> state,
                                                     std::string_view after, int limit);

}  // namespace codeyard::store::workspaces
