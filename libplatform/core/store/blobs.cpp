#include "core/store/blobs.hpp"

#include "core/store/store_util.hpp"
#include "core/store/transact.hpp"
#include "core/try.hpp"

namespace codeyard::store::blobs {

Result<void> Put(Transaction& tx, std::string_view sha256, std::string_view content) {
  // DO UPDATE whose condition never holds (one digest, one size) writes nothing, but unlike
  // DO NOTHING it locks the existing row on PostgreSQL ("all rows will be locked when the
  // ON CONFLICT DO UPDATE action is taken"): a Collect deleting it then waits for this
  // transaction and fails on the reference it added instead of deleting the blob under it.
  if (sha256.size() != 64) {
    return Fail(Error::Code::kInvalidArgument, "blobs: a key must be a hex SHA-256");
  }
  CY_CHECK(
      tx.Exec("INSERT INTO blobs (sha256, size, content) VALUES (?, ?, ?) ON CONFLICT (sha256) DO "
              "UPDATE SET size = excluded.size WHERE blobs.size <> excluded.size",
              {Text(sha256), Value{static_cast<int64_t>(content.size())},
               Value{Blob{std::string(content)}}}));
  return {};
}

Result<std::string> Get(Transaction& tx, std::string_view sha256) {
  CY_TRY(Rows rows, tx.Query("SELECT content FROM blobs WHERE sha256 = ?", {Text(sha256)}));
  if (rows.empty()) return Fail(NotFound("blob", sha256));
  if (rows.front().IsNull(0)) return std::string();
  return rows.front().TakeBytes(0);
}

Result<int64_t> Collect(Transaction& tx, int64_t limit) {
  return tx.Exec(
      "DELETE FROM blobs WHERE sha256 IN (SELECT b.sha256 FROM blobs b "
      "WHERE NOT EXISTS (SELECT 1 FROM workspace_items i WHERE i.blob_sha256 = b.sha256) "
      "AND NOT EXISTS (SELECT 1 FROM review_files f WHERE f.blob_sha256 = b.sha256) "
      "AND NOT EXISTS (SELECT 1 FROM problem_tests t WHERE t.input_sha256 = b.sha256) "
      "AND NOT EXISTS (SELECT 1 FROM problem_tests t WHERE t.output_sha256 = b.sha256) "
      "AND NOT EXISTS (SELECT 1 FROM problem_assets a WHERE a.blob_sha256 = b.sha256) LIMIT ?)",
      {Value{limit}});
}

Result<int64_t> CollectAll(Storage& storage, int64_t batch) {
  int64_t total = 0;
  for (;;) {
    CY_TRY(const int64_t n,
           Transact(storage, TxKind::kWrite, [&](Transaction& tx) { return Collect(tx, batch); }));
    total += n;
    if (n < batch) return total;
  }
}

Result<Totals> Count(Transaction& tx) {
  CY_TRY(Rows rows,
         tx.Query("SELECT COUNT(*), CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM blobs", {}));
  Totals t;
  CY_TRY(t.count, rows.front().Int(0));
  CY_TRY(t.bytes, rows.front().Int(1));
  return t;
}

}  // namespace codeyard::store::blobs
