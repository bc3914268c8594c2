#include "core/store/pod_cpu.hpp"

#include "core/store/store_util.hpp"
#include "core/try.hpp"

namespace codeyard::store::pod_cpu {

Result<int64_t> Advance(Transaction& tx, std::string_view pod_id, std::string_view workspace_id,
                        int64_t counter_ms, int64_t now) {
  // The row first (a pod's first sample starts from 0), then its lock (a no-op update, as
  // store::orgs::Lock), then the highest value recorded.
  CY_CHECK(
      tx.Exec("INSERT INTO pod_cpu (pod_id, workspace_id, cpu_ms, sampled_at) "
              "VALUES (?, ?, 0, ?) ON CONFLICT (pod_id) DO NOTHING",
              {Text(pod_id), Text(workspace_id), Value{now}}));
  CY_CHECK(
      tx.Exec("UPDATE pod_cpu SET sampled_at = ? WHERE pod_id = ?", {Value{now}, Text(pod_id)}));
  CY_TRY(Rows rows, tx.Query("SELECT cpu_ms FROM pod_cpu WHERE pod_id = ?", {Text(pod_id)}));
  if (rows.empty()) return Fail(Error::Code::kInternal, "pod_cpu: the row just written is gone");
  CY_TRY(const int64_t recorded, rows[0].Int(0));
  if (counter_ms <= recorded) return int64_t{0};
  CY_CHECK(
      tx.Exec("UPDATE pod_cpu SET cpu_ms = ? WHERE pod_id = ?", {Value{counter_ms}, Text(pod_id)}));
  return counter_ms - recorded;
}

Result<int64_t> Sweep(Transaction& tx, int64_t before) {
  return tx.Exec("DELETE FROM pod_cpu WHERE sampled_at < ?", {Value{before}});
}

}  // namespace codeyard::store::pod_cpu
