#include "core/store/items.hpp"

#include "core/store/blobs.hpp"
#include "core/store/store_util.hpp"
#include "core/try.hpp"

namespace codeyard::store::items {
namespace {

constexpr std::string_view kMeta =
    "id, workspace_id, parent_id, path, kind, size, sha256, version, mtime, created_at";
// kMeta qualified, for the join with blobs (which has sha256 and size too).
constexpr std::string_view kMetaI =
    "i.id, i.workspace_id, i.parent_id, i.path, i.kind, i.size, i.sha256, i.version, i.mtime, "
    "i.created_at";

Result<WorkspaceItem> FromRow(Row& r) {
  WorkspaceItem it;
  CY_TRY(it.id, r.Text(0));
  CY_TRY(it.workspace_id, r.Text(1));
  CY_TRY(it.parent_id, OptText(r, 2));
  CY_TRY(it.path, r.Text(3));
  CY_TRY(const std::string kind, r.Text(4));
  CY_TRY(it.kind, ParseItemKind(kind));
  CY_TRY(it.size, r.Int(5));
  CY_TRY(it.sha256, r.Text(6));
  CY_TRY(it.version, r.Int(7));
  CY_TRY(it.mtime, r.Int(8));
  CY_TRY(it.created_at, r.Int(9));
  if (r.size() > 10) {
    if (!r.IsNull(10)) {
      CY_TRY(it.content, r.TakeBytes(10));
    }
    it.content_loaded = true;
  }
  return it;
}

Result<std::vector<WorkspaceItem>> Many(Rows rows) {
  std::vector<WorkspaceItem> out;
  out.reserve(rows.size());
  for (Row& r : rows) {
    CY_TRY(WorkspaceItem it, FromRow(r));
    out.push_back(std::move(it));
  }
  return out;
}

// SQL's substr() counts characters, not bytes, in both dialects; PostgreSQL's takes an
// INTEGER, hence the casts of the bound BIGINT.
int64_t CharCount(std::string_view utf8) {
  int64_t n = 0;
  for (const char c : utf8) n += (static_cast<unsigned char>(c) & 0xc0) != 0x80 ? 1 : 0;
  return n;
}

Error Stale(std::string_view path) {
  return Error(Error::Code::kConflict,
               "item " + std::string(path) + " was changed by someone else; reload and retry");
}

}  // namespace

Result<void> Insert(Transaction& tx, const WorkspaceItem& it) {
  const bool is_file = it.kind == ItemKind::kFile;
  if (is_file) CY_CHECK(blobs::Put(tx, it.sha256, it.content));
  CY_CHECK(tx.Exec(
      "INSERT INTO workspace_items (id, workspace_id, parent_id, path, kind, blob_sha256, size, "
      "sha256, version, mtime, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {Text(it.id), Text(it.workspace_id), Opt(it.parent_id), Text(it.path),
       Text(ItemKindName(it.kind)), is_file ? Text(it.sha256) : Value{},
       Value{is_file ? static_cast<int64_t>(it.content.size()) : int64_t{0}}, Text(it.sha256),
       Value{it.version}, Value{it.mtime}, Value{it.created_at}}));
  return {};
}

Result<WorkspaceItem> Get(Transaction& tx, std::string_view workspace_id, std::string_view path,
                          Content content) {
  const std::string sql =
      content == Content::kLoad
          ? "SELECT " + std::string(kMetaI) +
                ", b.content FROM workspace_items i LEFT JOIN blobs b ON b.sha256 = "
                "i.blob_sha256 WHERE i.workspace_id = ? AND i.path = ?"
          : "SELECT " + std::string(kMeta) +
                " FROM workspace_items WHERE workspace_id = ? AND path = ?";
  CY_TRY(Rows rows, tx.Query(sql, {Text(workspace_id), Text(path)}));
  if (rows.empty()) return Fail(NotFound("item", path));
  return FromRow(rows.front());
}

Result<std::vector<WorkspaceItem>> List(Transaction& tx, std::string_view workspace_id) {
  CY_TRY(Rows rows, tx.Query("SELECT " + std::string(kMeta) +
                                 " FROM workspace_items WHERE workspace_id = ? ORDER BY path",
                             {Text(workspace_id)}));
  return Many(std::move(rows));
}

Result<std::vector<WorkspaceItem>> ListAfter(Transaction& tx, std::string_view workspace_id,
                                             const std::optional<std::string>& after,
                                             int64_t limit) {
  const std::string sql = "SELECT " + std::string(kMeta) +
                          " FROM workspace_items WHERE workspace_id = ?" +
                          (after ? " AND path > ?" : "") + " ORDER BY path LIMIT ?";
  CY_TRY(Rows rows, after ? tx.Query(sql, {Text(workspace_id), Text(*after), Value{limit}})
                          : tx.Query(sql, {Text(workspace_id), Value{limit}}));
  return Many(std::move(rows));
}

Result<std::vector<WorkspaceItem>> ListChildren(Transaction& tx, std::string_view workspace_id,
                                                const std::optional<std::string>& parent_id) {
  const std::string sql = "SELECT " + std::string(kMeta) +
                          " FROM workspace_items WHERE workspace_id = ? AND parent_id " +
                          (parent_id ? "= ?" : "IS NULL") + " ORDER BY path";
  CY_TRY(Rows rows, parent_id ? tx.Query(sql, {Text(workspace_id), Text(*parent_id)})
                              : tx.Query(sql, {Text(workspace_id)}));
  return Many(std::move(rows));
}

Result<Written> WriteContent(Transaction& tx, std::string_view workspace_id, std::string_view path,
                             std::string_view content, std::string_view sha256, int64_t mtime,
                             std::optional<int64_t> expected_version) {
  CY_TRY(const WorkspaceItem current, Get(tx, workspace_id, path, Content::kSkip));
  if (current.kind != ItemKind::kFile) {
    return Fail(Error::Code::kInvalidArgument, std::string(path) + " is a folder, not a file");
  }
  if (expected_version && *expected_version != current.version) return Fail(Stale(path));
  // The version condition makes the write atomic even against a writer between the two
  // statements (PostgreSQL runs writers concurrently).
  CY_CHECK(blobs::Put(tx, sha256, content));
  // The blob the file held before stays until store::blobs::Collect finds it unreferenced.
  CY_TRY(const int64_t changed,
         tx.Exec("UPDATE workspace_items SET blob_sha256 = ?, size = ?, sha256 = ?, mtime = ?, "
                 "version = version + 1 WHERE id = ? AND version = ?",
                 {Text(sha256), Value{static_cast<int64_t>(content.size())}, Text(sha256),
                  Value{mtime}, Text(current.id), Value{current.version}}));
  if (changed == 0) return Fail(Stale(path));
  return Written{current.version + 1, static_cast<int64_t>(content.size()) - current.size};
}

Result<void> Move(Transaction& tx, std::string_view workspace_id, std::string_view from,
                  std::string_view to, const std::optional<std::string>& new_parent_id,
                  int64_t mtime, std::optional<int64_t> expected_version) {
  CY_TRY(const WorkspaceItem item, Get(tx, workspace_id, from, Content::kSkip));
  if (expected_version && *expected_version != item.version) return Fail(Stale(from));
  if (to.starts_with(std::string(from) + "/")) {
    return Fail(Error::Code::kInvalidArgument,
                "cannot move " + std::string(from) + " into itself (" + std::string(to) + ")");
  }
  CY_TRY(Rows taken, tx.Query("SELECT 1 FROM workspace_items WHERE workspace_id = ? AND path = ?",
                              {Text(workspace_id), Text(to)}));
  if (!taken.empty()) {
    return Fail(Error::Code::kAlreadyExists, std::string(to) + " already exists");
  }
  CY_TRY(const int64_t changed,
         tx.Exec("UPDATE workspace_items SET path = ?, parent_id = ?, mtime = ?, "
                 "version = version + 1 WHERE id = ? AND version = ?",
                 {Text(to), Opt(new_parent_id), Value{mtime}, Text(item.id), Value{item.version}}));
  if (changed == 0) return Fail(Stale(from));
  if (item.kind == ItemKind::kDir) {
    const std::string prefix = std::string(from) + "/";
    CY_CHECK(
        tx.Exec("UPDATE workspace_items SET path = ? || substr(path, CAST(? AS INTEGER)), version "
                "= version + 1 "
                "WHERE workspace_id = ? AND substr(path, 1, CAST(? AS INTEGER)) = ?",
                {Text(to), Value{CharCount(from) + 1}, Text(workspace_id), Value{CharCount(prefix)},
                 Text(prefix)}));
  }
  return {};
}

Result<int64_t> Delete(Transaction& tx, std::string_view workspace_id, std::string_view path,
                       std::optional<int64_t> expected_version) {
  CY_TRY(const Freed freed, DeleteCounted(tx, workspace_id, path, expected_version));
  return freed.bytes;
}

Result<Freed> DeleteCounted(Transaction& tx, std::string_view workspace_id, std::string_view path,
                            std::optional<int64_t> expected_version) {
  CY_TRY(const WorkspaceItem item, Get(tx, workspace_id, path, Content::kSkip));
  if (expected_version && *expected_version != item.version) return Fail(Stale(path));
  const std::string prefix = std::string(path) + "/";
  CY_TRY(
      Rows sum,
      tx.Query("SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT), COUNT(*) FROM workspace_items "
               "WHERE workspace_id = ? AND (path = ? OR substr(path, 1, CAST(? AS INTEGER)) = ?)",
               {Text(workspace_id), Text(path), Value{CharCount(prefix)}, Text(prefix)}));
  Freed freed;
  CY_TRY(freed.bytes, sum.front().Int(0));
  CY_TRY(freed.entries, sum.front().Int(1));
  // Children go with their folder through the parent_id foreign key.
  CY_TRY(const int64_t changed, tx.Exec("DELETE FROM workspace_items WHERE id = ? AND version = ?",
                                        {Text(item.id), Value{item.version}}));
  if (changed == 0) return Fail(Stale(path));
  return freed;
}

Result<int64_t> TotalBytes(Transaction& tx, std::string_view workspace_id) {
  CY_TRY(Rows rows, tx.Query("SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM workspace_items "
                             "WHERE workspace_id = ?",
                             {Text(workspace_id)}));
  return rows.front().Int(0);
}

}  // namespace codeyard::store::items
