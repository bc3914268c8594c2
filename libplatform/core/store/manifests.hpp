// Repository of sync manifests: per workspace, what storage and pod agreed on at the last
// sync (path, kind, size, mtime, sha256, item version). Runs inside the caller's transaction.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "codeyard/backend/storage.hpp"
#include "codeyard/records.hpp"

namespace codeyard::store::manifests {

// Ordered by path.
[[nodiscard]] Result<std::vector<ManifestEntry>> List(Transaction& tx,
                                                      std::string_view workspace_id);
// Replaces the whole manifest (after a full sync into a fresh pod).
[[nodiscard]] Result<void> Replace(Transaction& tx, std::string_view workspace_id,
                                   std::span<const ManifestEntry> entries);
// Inserts or updates one path.
[[nodiscard]] Result<void> Put(Transaction& tx, std::string_view workspace_id,
                               const ManifestEntry& entry);
// Removes one path; false when it was not there.
[[nodiscard]] Result<bool> Remove(Transaction& tx, std::string_view workspace_id,
                                  std::string_view path);

}  // namespace codeyard::store::manifests
