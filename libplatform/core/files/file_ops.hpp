// The file operations behind codeyard::Files, inside the caller's transaction and without
// owner checks, so that the sync engine (which writes what it found in a pod) applies
// exactly the same rules, caps and workspace byte accounting as the API. Paths must already
// be normalized (NormalizePath). Each operation that writes first takes the workspace's row
// lock (store::workspaces::Lock), so changes to one workspace are serialized on every
// backend, and makes all its checks before it writes a row, so a refusal (a cap, a stale
// version, a file in the way) leaves the transaction as it was and usable.
#pragma once

#include <optional>
#include <string_view>

#include "codeyard/backend/storage.hpp"
#include "codeyard/files.hpp"

namespace codeyard::files {

// A file with its content. kNotFound when absent, kInvalidArgument for a folder.
[[nodiscard]] Result<FileContent> ReadFile(Transaction& tx, std::string_view workspace_id,
                                           std::string_view path);

// Creates or replaces a file (see Files::Write for `expected_version`), creating parents,
// keeping workspaces.total_bytes and entry_count right and enforcing every cap and quota of
// `limits` (per file, per workspace, per user). `mtime` in ms.
[[nodiscard]] Result<FileInfo> WriteFile(Transaction& tx, std::string_view workspace_id,
                                         std::string_view path, std::string_view content,
                                         std::optional<int64_t> expected_version, int64_t mtime,
                                         const FileLimits& limits);

// Creates a folder and its missing parents; returns the folder. The entry quotas apply.
[[nodiscard]] Result<FileInfo> MakeDirs(Transaction& tx, std::string_view workspace_id,
                                        std::string_view path, int64_t mtime,
                                        const FileLimits& limits);

// Deletes a file or folder tree, keeping total_bytes right.
[[nodiscard]] Result<void> DeletePath(Transaction& tx, std::string_view workspace_id,
                                      std::string_view path,
                                      std::optional<int64_t> expected_version);

// Moves a file or folder tree, creating missing parents of `to` (within the entry quotas).
[[nodiscard]] Result<FileInfo> MovePath(Transaction& tx, std::string_view workspace_id,
                                        std::string_view from, std::string_view to,
                                        std::optional<int64_t> expected_version, int64_t mtime,
                                        const FileLimits& limits);

// Checks the user owns the workspace and returns it. kNotFound otherwise, with the message
// of a missing workspace ("workspace not found", the same for every id).
[[nodiscard]] Result<Workspace> OwnedWorkspace(Transaction& tx, std::string_view user_id,
                                               std::string_view workspace_id);

[[nodiscard]] FileInfo InfoOf(const WorkspaceItem& item);

}  // namespace codeyard::files
