// Repository of workspace items (the file tree). Paths are taken as already normalized by
// the caller (the files service validates them); this layer keeps the tree consistent:
// moving a folder moves everything under it, deleting one deletes everything under it.
// File bytes live in the blobs table (store/blobs.hpp): Insert and WriteContent store the
// content there under `sha256` (which the caller computed) and the item names it. Runs
// inside the caller's transaction.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "codeyard/backend/storage.hpp"
#include "codeyard/records.hpp"

namespace codeyard::store::items {

enum class Content { kSkip, kLoad };

// kAlreadyExists when the path is taken; kFailedPrecondition for an unknown workspace or
// parent.
[[nodiscard]] Result<void> Insert(Transaction& tx, const WorkspaceItem& item);
// kNotFound when absent.
[[nodiscard]] Result<WorkspaceItem> Get(Transaction& tx, std::string_view workspace_id,
                                        std::string_view path, Content content);
// Every item of the workspace, ordered by path, without content.
[[nodiscard]] Result<std::vector<WorkspaceItem>> List(Transaction& tx,
                                                      std::string_view workspace_id);
// At most `limit` items after the path `after` (nullopt: from the first), ordered by path,
// without content: keyset pagination on the (workspace_id, path) unique index.
[[nodiscard]] Result<std::vector<WorkspaceItem>> ListAfter(Transaction& tx,
                                                           std::string_view workspace_id,
                                                           const std::optional<std::string>& after,
                                                           int64_t limit);
// The items directly inside a folder (nullopt: the top level), ordered by path.
[[nodiscard]] Result<std::vector<WorkspaceItem>> ListChildren(
    Transaction& tx, std::string_view workspace_id, const std::optional<std::string>& parent_id);

struct Written {
  int64_t version;     // the item's new version
  int64_t size_delta;  // new size minus old size, for the workspace total
};

// Replaces a file's content if `expected_version` is current (or is nullopt: last writer
// wins). kConflict for a stale version, kNotFound when absent, kInvalidArgument for a folder.
[[nodiscard]] Result<Written> WriteContent(Transaction& tx, std::string_view workspace_id,
                                           std::string_view path, std::string_view content,
                                           std::string_view sha256, int64_t mtime,
                                           std::optional<int64_t> expected_version);

// Renames or moves an item and, for a folder, everything under it. kAlreadyExists when `to`
// is taken, kNotFound when `from` is absent, kConflict for a stale version.
[[nodiscard]] Result<void> Move(Transaction& tx, std::string_view workspace_id,
                                std::string_view from, std::string_view to,
                                const std::optional<std::string>& new_parent_id, int64_t mtime,
                                std::optional<int64_t> expected_version);

// Deletes an item and everything under it; returns the bytes of file content freed.
// kNotFound when absent, kConflict for a stale version.
[[nodiscard]] Result<int64_t> Delete(Transaction& tx, std::string_view workspace_id,
                                     std::string_view path,
                                     std::optional<int64_t> expected_version);

// What a DeleteCounted removed: file bytes and items (the item and everything under it).
struct Freed {
  int64_t bytes = 0;
  int64_t entries = 0;
};
[[nodiscard]] Result<Freed> DeleteCounted(Transaction& tx, std::string_view workspace_id,
                                          std::string_view path,
                                          std::optional<int64_t> expected_version);

// Sum of file sizes in the workspace, recomputed from the items.
[[nodiscard]] Result<int64_t> TotalBytes(Transaction& tx, std::string_view workspace_id);

}  // namespace codeyard::store::items
