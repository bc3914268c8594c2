#include "core/store/pods.hpp"

#include "core/store/store_util.hpp"
#include "core/try.hpp"

namespace codeyard::store::pods {
namespace {

constexpr std::string_view kSelect =
    "SELECT workspace_id, pod_id, executor, node, state, created_at, updated_at FROM pods ";

Result<PodRecord> FromRow(const Row& r) {
  PodRecord p;
  CY_TRY(p.workspace_id, r.Text(0));
  CY_TRY(p.pod_id, r.Text(1));
  CY_TRY(p.executor, r.Text(2));
  CY_TRY(p.node, r.Text(3));
  CY_TRY(p.state, r.Text(4));
  CY_TRY(p.created_at, r.Int(5));
  CY_TRY(p.updated_at, r.Int(6));
  return p;
}

}  // namespace

Result<void> Upsert(Transaction& tx, const PodRecord& p) {
  CY_CHECK(tx.Exec(
      "INSERT INTO pods (workspace_id, pod_id, executor, node, state, created_at, updated_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (workspace_id) DO UPDATE SET "
      "pod_id = excluded.pod_id, executor = excluded.executor, node = excluded.node, "
      "state = excluded.state, created_at = excluded.created_at, "
      "updated_at = excluded.updated_at",
      {Text(p.workspace_id), Text(p.pod_id), Text(p.executor), Text(p.node), Text(p.state),
       Value{p.created_at}, Value{p.updated_at}}));
  return {};
}

Result<PodRecord> Get(Transaction& tx, std::string_view workspace_id) {
  CY_TRY(Rows rows,
         tx.Query(std::string(kSelect) + "WHERE workspace_id = ?", {Text(workspace_id)}));
  if (rows.empty()) return Fail(NotFound("pod of workspace", workspace_id));
  return FromRow(rows.front());
}

Result<std::vector<PodRecord>> ListByNode(Transaction& tx, std::string_view node) {
  CY_TRY(Rows rows,
         tx.Query(std::string(kSelect) + "WHERE node = ? ORDER BY workspace_id", {Text(node)}));
  std::vector<PodRecord> out;
  for (const Row& r : rows) {
    CY_TRY(PodRecord p, FromRow(r));
    out.push_back(std::move(p));
  }
  return out;
}

Result<bool> SetState(Transaction& tx, std::string_view workspace_id, std::string_view pod_id,
                      std::string_view state, int64_t now) {
  CY_TRY(const int64_t changed,
         tx.Exec("UPDATE pods SET state = ?, updated_at = ? WHERE workspace_id = ? AND pod_id = ?",
                 {Text(state), Value{now}, Text(workspace_id), Text(pod_id)}));
  return changed > 0;
}

Result<bool> Delete(Transaction& tx, std::string_view workspace_id) {
  CY_TRY(const int64_t changed,
         tx.Exec("DELETE FROM pods WHERE workspace_id = ?", {Text(workspace_id)}));
  return changed > 0;
}

}  // namespace codeyard::store::pods
