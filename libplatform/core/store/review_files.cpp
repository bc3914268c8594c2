#include "core/store/review_files.hpp"

#include "core/store/store_util.hpp"
#include "core/try.hpp"

namespace codeyard::store::review_files {
namespace {

Value Int(int64_t n) { return Value{n}; }

Result<RevisionItem> ItemFromRow(const Row& r) {
  RevisionItem it;
  CY_TRY(it.path, r.Text(0));
  CY_TRY(const std::string kind, r.Text(1));
  CY_TRY(it.kind, ParseItemKind(kind));
  CY_TRY(const int64_t mode, r.Int(2));
  it.mode = static_cast<int>(mode);
  CY_TRY(it.size, r.Int(3));
  CY_TRY(const std::optional<std::string> sha, OptText(r, 4));
  it.sha256 = sha.value_or("");
  return it;
}

constexpr std::string_view kItemColumns = "path, kind, mode, size, blob_sha256";

}  // namespace

Result<RevisionInfo> Snapshot(Transaction& tx, std::string_view review_id, int64_t number,
                              std::string_view workspace_id, int64_t now) {
  CY_TRY(const Rows totals,
         tx.Query("SELECT COUNT(*), CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM workspace_items "
                  "WHERE workspace_id = ?",
                  {Text(workspace_id)}));
  RevisionInfo info{number, now, 0, 0};
  CY_TRY(info.file_count, totals.front().Int(0));
  CY_TRY(info.total_bytes, totals.front().Int(1));
  CY_CHECK(tx.Exec(
      "INSERT INTO review_revisions (review_id, number, created_at, file_count, "
      "total_bytes) VALUES (?, ?, ?, ?, ?)",
      {Text(review_id), Int(number), Int(now), Int(info.file_count), Int(info.total_bytes)}));
  // The modes are those the sync gives the pod's files (core/sync).
  CY_CHECK(tx.Exec(
      "INSERT INTO review_files (review_id, revision, path, kind, mode, size, blob_sha256) "
      "SELECT ?, ?, path, kind, CASE kind WHEN 'dir' THEN 493 ELSE 420 END, size, blob_sha256 "
      "FROM workspace_items WHERE workspace_id = ?",
      {Text(review_id), Int(number), Text(workspace_id)}));
  return info;
}

Result<RevisionInfo> Get(Transaction& tx, std::string_view review_id, int64_t number) {
  CY_TRY(const Rows rows,
         tx.Query("SELECT number, created_at, file_count, total_bytes FROM review_revisions "
                  "WHERE review_id = ? AND number = ?",
                  {Text(review_id), Int(number)}));
  if (rows.empty()) {
    return Fail(Error::Code::kNotFound,
                "reviews: revision " + std::to_string(number) + " not found");
  }
  RevisionInfo info;
  CY_TRY(info.number, rows.front().Int(0));
  CY_TRY(info.created_at, rows.front().Int(1));
  CY_TRY(info.file_count, rows.front().Int(2));
  CY_TRY(info.total_bytes, rows.front().Int(3));
  return info;
}

Result<std::vector<RevisionItem>> Items(Transaction& tx, std::string_view review_id,
                                        int64_t number) {
  CY_TRY(const Rows rows, tx.Query("SELECT " + std::string(kItemColumns) +
                                       " FROM review_files WHERE review_id = ? AND revision = ? "
                                       "ORDER BY path",
                                   {Text(review_id), Int(number)}));
  std::vector<RevisionItem> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    CY_TRY(RevisionItem it, ItemFromRow(r));
    out.push_back(std::move(it));
  }
  return out;
}

Result<RevisionItem> Item(Transaction& tx, std::string_view review_id, int64_t number,
                          std::string_view path) {
  CY_TRY(const Rows rows,
         tx.Query("SELECT " + std::string(kItemColumns) +
                      " FROM review_files WHERE review_id = ? AND revision = ? AND path = ?",
                  {Text(review_id), Int(number), Text(path)}));
  if (rows.empty()) {
    return Fail(Error::Code::kNotFound,
                "reviews: " + std::string(path) + " is not in revision " + std::to_string(number));
  }
  return ItemFromRow(rows.front());
}

}  // namespace codeyard::store::review_files
