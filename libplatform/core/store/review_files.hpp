// Repository of review revisions: each an immutable manifest of a workspace at a moment
// (path -> blob, kind, mode, size). Snapshot copies the workspace's rows with one
// INSERT ... SELECT, so it copies no file bytes: the manifest names the blobs the workspace
// items already name. Nothing here updates or deletes a revision. Runs inside the caller's
// transaction.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "codeyard/backend/storage.hpp"
#include "codeyard/reviews.hpp"

namespace codeyard::store::review_files {

struct RevisionInfo {
  int64_t number = 0;
  int64_t created_at = 0;
  int64_t file_count = 0;
  int64_t total_bytes = 0;
};

// Records revision `number` of a review as the workspace's items now. The caller holds the
// workspace's row lock (store::workspaces::Lock), so no file operation is half applied.
[[nodiscard]] Result<RevisionInfo> Snapshot(Transaction& tx, std::string_view review_id,
                                            int64_t number, std::string_view workspace_id,
                                            int64_t now);
// kNotFound for an unknown revision.
[[nodiscard]] Result<RevisionInfo> Get(Transaction& tx, std::string_view review_id, int64_t number);
// The manifest, ordered by path.
[[nodiscard]] Result<std::vector<RevisionItem>> Items(Transaction& tx, std::string_view review_id,
                                                      int64_t number);
// One entry; kNotFound when the revision has no such path.
[[nodiscard]] Result<RevisionItem> Item(Transaction& tx, std::string_view review_id, int64_t number,
                                        std::string_view path);

}  // namespace codeyard::store::review_files
