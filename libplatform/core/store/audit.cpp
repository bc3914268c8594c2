#include "core/store/audit.hpp"

#include "core/store/store_util.hpp"
#include "core/try.hpp"

namespace codeyard::store::audit {
namespace {

constexpr std::string_view kSelect =
    "SELECT id, ts, actor_id, action, target, detail, request_id FROM audit_log ";

Result<std::vector<AuditEntry>> Many(const Rows& rows) {
  std::vector<AuditEntry> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    AuditEntry e;
    CY_TRY(e.id, r.Int(0));
    CY_TRY(e.ts, r.Int(1));
    CY_TRY(e.actor_id, OptText(r, 2));
    CY_TRY(e.action, r.Text(3));
    CY_TRY(e.target, r.Text(4));
    CY_TRY(e.detail, r.Text(5));
    CY_TRY(e.request_id, r.Text(6));
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

Result<int64_t> Append(Transaction& tx, const AuditEntry& e) {
  CY_TRY(Rows rows, tx.Query("INSERT INTO audit_log (ts, actor_id, action, target, detail, "
                             "request_id) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                             {Value{e.ts}, Opt(e.actor_id), Text(e.action), Text(e.target),
                              Text(e.detail), Text(e.request_id)}));
  if (rows.empty()) return Fail(Error::Code::kInternal, "audit: insert returned no id");
  return rows.front().Int(0);
}

Result<std::vector<AuditEntry>> List(Transaction& tx, int64_t after_id, int limit) {
  CY_TRY(Rows rows, tx.Query(std::string(kSelect) + "WHERE id > ? ORDER BY id LIMIT ?",
                             {Value{after_id}, Value{int64_t{limit}}}));
  return Many(rows);
}

Result<std::vector<AuditEntry>> ListByActor(Transaction& tx, std::string_view actor_id, int limit) {
  CY_TRY(Rows rows, tx.Query(std::string(kSelect) + "WHERE actor_id = ? ORDER BY id DESC LIMIT ?",
                             {Text(actor_id), Value{int64_t{limit}}}));
  return Many(rows);
}

}  // namespace codeyard::store::audit
