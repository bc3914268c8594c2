// Repository of workspaces. Runs inside the caller's transaction.
#pragma once

#include <string_view>
#include <vector>

#include "codeyard/backend/storage.hpp"
#include "codeyard/records.hpp"

namespace codeyard::store::workspaces {

// kFailedPrecondition for an unknown owner; kAlreadyExists for a duplicate id.
[[nodiscard]] Result<void> Insert(Transaction& tx, const Workspace& ws);
[[nodiscard]] Result<Workspace> Get(Transaction& tx, std::string_view id);
// Newest first.
[[nodiscard]] Result<std::vector<Workspace>> ListByOwner(Transaction& tx,
                                                         std::string_view owner_id);
// All workspaces in a state (e.g. every running one, for the idle sweeper).
[[nodiscard]] Result<std::vector<Workspace>> ListByState(Transaction& tx, WorkspaceState state);
// Writes name and state if `ws.version` is current; bumps the version.
// kConflict for a stale version, kNotFound when absent.
[[nodiscard]] Result<Workspace> Update(Transaction& tx, const Workspace& ws, int64_t now);
// Moves state `from` -> `to` atomically; false when the workspace was not in `from`.
[[nodiscard]] Result<bool> TransitionState(Transaction& tx, std::string_view id,
                                           WorkspaceState from, WorkspaceState to, int64_t now);
// Records activity without bumping the version (it is not an edit).
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

}  // namespace codeyard::store::workspaces
