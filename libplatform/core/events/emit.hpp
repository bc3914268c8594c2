// The one way the core records an event: each function appends the event of one change to
// the events table inside the transaction making that change (store::events::Append), so
// the event commits or rolls back with it. Called by the file operations (core/files,
// shared by the API and the sync engine) and the workspace state transitions. `at` is the
// wall clock when the change is written, whatever time the change itself carries (a synced
// file's mtime can be years old, and events are pruned by `at`).
#pragma once

#include <string_view>

#include "codeyard/backend/storage.hpp"
#include "codeyard/files.hpp"
#include "codeyard/records.hpp"

namespace codeyard::events {

// file.created for a new file or folder; file.changed for new content. Both carry the
// item's path, kind, size, version and mtime, so a page updates its tree without a fetch.
[[nodiscard]] Result<void> FileCreated(Transaction& tx, std::string_view workspace_id,
                                       const FileInfo& info);
[[nodiscard]] Result<void> FileChanged(Transaction& tx, std::string_view workspace_id,
                                       const FileInfo& info);
// file.deleted: the path of a file, or of a folder with everything under it.
[[nodiscard]] Result<void> FileDeleted(Transaction& tx, std::string_view workspace_id,
                                       std::string_view path);
// file.moved: a file, or a folder with everything under it; carries `from` and `to`.
[[nodiscard]] Result<void> FileMoved(Transaction& tx, std::string_view workspace_id,
                                     std::string_view from, std::string_view to);
// workspace.deleted, with the workspace's `name`: written before the row goes, in the
// deleting transaction (the event copies the owner from the row).
[[nodiscard]] Result<void> WorkspaceDeleted(Transaction& tx, std::string_view workspace_id,
                                            std::string_view name);
// workspace.state with the new `state`.
[[nodiscard]] Result<void> StateChanged(Transaction& tx, std::string_view workspace_id,
                                        WorkspaceState state);

}  // namespace codeyard::events
