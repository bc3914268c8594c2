#include "core/store/manifests.hpp"

#include "core/store/store_util.hpp"
#include "core/try.hpp"

namespace codeyard::store::manifests {

Result<std::vector<ManifestEntry>> List(Transaction& tx, std::string_view workspace_id) {
  CY_TRY(Rows rows, tx.Query("SELECT path, kind, size, mtime_ns, sha256, item_version "
                             "FROM sync_manifests WHERE workspace_id = ? ORDER BY path",
                             {Text(workspace_id)}));
  std::vector<ManifestEntry> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    ManifestEntry e;
    CY_TRY(e.path, r.Text(0));
    CY_TRY(const std::string kind, r.Text(1));
    CY_TRY(e.kind, ParseItemKind(kind));
    CY_TRY(e.size, r.Int(2));
    CY_TRY(e.mtime_ns, r.Int(3));
    CY_TRY(e.sha256, r.Text(4));
    CY_TRY(e.item_version, r.Int(5));
    out.push_back(std::move(e));
  }
  return out;
}

Result<void> Put(Transaction& tx, std::string_view workspace_id, const ManifestEntry& e) {
  CY_CHECK(tx.Exec(
      "INSERT INTO sync_manifests (workspace_id, path, kind, size, mtime_ns, sha256, "
      "item_version) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (workspace_id, path) DO UPDATE "
      "SET kind = excluded.kind, size = excluded.size, mtime_ns = excluded.mtime_ns, "
      "sha256 = excluded.sha256, item_version = excluded.item_version",
      {Text(workspace_id), Text(e.path), Text(ItemKindName(e.kind)), Value{e.size},
       Value{e.mtime_ns}, Text(e.sha256), Value{e.item_version}}));
  return {};
}

Result<void> Replace(Transaction& tx, std::string_view workspace_id,
                     std::span<const ManifestEntry> entries) {
  CY_CHECK(tx.Exec("DELETE FROM sync_manifests WHERE workspace_id = ?", {Text(workspace_id)}));
  for (const ManifestEntry& e : entries) CY_CHECK(Put(tx, workspace_id, e));
  return {};
}

Result<bool> Remove(Transaction& tx, std::string_view workspace_id, std::string_view path) {
  CY_TRY(const int64_t changed,
         tx.Exec("DELETE FROM sync_manifests WHERE workspace_id = ? AND path = ?",
                 {Text(workspace_id), Text(path)}));
  return changed > 0;
}

}  // namespace codeyard::store::manifests
