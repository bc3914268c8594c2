#include "core/store/audit.hpp"

#include <array>

#include "core/store/store_util.hpp"
#include "core/try.hpp"

namespace codeyard::store::audit {
namespace {

constexpr std::string_view kSelect =
    "SELECT id, ts, actor_id, action, target, detail, request_id, source FROM audit_log ";

Result<std::vector<AuditEntry>> Many(const Rows& rows) {
  return ReadAll<AuditEntry>(rows, [](const Row& r) -> Result<AuditEntry> {
    AuditEntry e;
    CY_TRY(e.id, r.Int(0));
    CY_TRY(e.ts, r.Int(1));
    CY_TRY(e.actor_id, OptText(r, 2));
    CY_TRY(e.action, r.Text(3));
    CY_TRY(e.target, r.Text(4));
    CY_TRY(e.detail, r.Text(5));
    CY_TRY(e.request_id, r.Text(6));
    CY_TRY(e.source, r.Text(7));
    return e;
  });
}

// UPDATE is refused always; DELETE unless the retention sweep marked itself active in this
// transaction (other transactions do not see its uncommitted mark). TRUNCATE on PostgreSQL too.
constexpr std::array<std::string_view, 2> kSqliteGuards = {
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN "
    "SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "WHEN NOT EXISTS (SELECT 1 FROM audit_sweeps WHERE active = 1) BEGIN "
    "SELECT RAISE(ABORT, 'audit_log is append-only: only the retention sweep deletes'); END",
};
constexpr std::array<std::string_view, 4> kPostgresGuards = {
    "CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM audit_sweeps WHERE active = 1) THEN "
    "RETURN OLD; END IF; "
    "RAISE EXCEPTION 'audit_log is append-only: only the retention sweep deletes'; END $$",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_guard()",
    "CREATE FUNCTION audit_log_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "RAISE EXCEPTION 'audit_log is append-only'; END $$",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_no_truncate()",
};

}  // namespace

Result<int64_t> Append(Transaction& tx, const AuditEntry& e) {
  const AuditContext* scope = AuditScope::Current();
  const std::string& request_id =
      e.request_id.empty() && scope != nullptr ? scope->request_id : e.request_id;
  const std::string& source = e.source.empty() && scope != nullptr ? scope->source : e.source;
  CY_TRY(Rows rows, tx.Query("INSERT INTO audit_log (ts, actor_id, action, target, detail, "
                             "request_id, source) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                             {Value{e.ts}, Opt(e.actor_id), Text(e.action), Text(e.target),
                              Text(e.detail), Text(request_id), Text(source)}));
  if (rows.empty()) return Fail(Error::Code::kInternal, "audit: insert returned no id");
  return rows.front().Int(0);
}

Result<int64_t> Record(Transaction& tx, int64_t ts, std::optional<std::string_view> actor_id,
                       std::string_view action, std::string_view target, std::string detail) {
  AuditEntry e;
  e.ts = ts;
  if (actor_id) e.actor_id = std::string(*actor_id);
  e.action = std::string(action);
  e.target = std::string(target);
  e.detail = std::move(detail);
  return Append(tx, e);
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

Result<std::vector<AuditEntry>> Query(Transaction& tx, const AuditFilter& f,
                                      std::optional<int64_t> before_id, int limit) {
  // The SQL per case (no `? IS NULL`, which PostgreSQL cannot type).
  std::string sql(kSelect);
  std::vector<Value> params;
  params.reserve(7);
  const char* glue = "WHERE ";
  const auto where = [&](std::string_view condition) {
    sql += glue;
    sql += condition;
    glue = " AND ";
  };
  if (f.actor) {
    where("actor_id = ?");
    params.emplace_back(std::string(*f.actor));
  }
  if (f.action) {
    where("action = ?");
    params.emplace_back(std::string(*f.action));
  }
  if (f.target) {
    where("target = ?");
    params.emplace_back(std::string(*f.target));
  }
  if (f.from) {
    where("ts >= ?");
    params.emplace_back(int64_t{*f.from});
  }
  if (f.to) {
    where("ts < ?");
    params.emplace_back(int64_t{*f.to});
  }
  if (before_id) {
    where("id < ?");
    params.emplace_back(int64_t{*before_id});
  }
  sql += " ORDER BY id DESC LIMIT ?";
  params.emplace_back(int64_t{limit});
  CY_TRY(Rows rows, tx.Query(sql, params));
  return Many(rows);
}

Result<std::optional<int64_t>> Sweep(Transaction& tx, std::string_view holder, int64_t now,
                                     int64_t lease_ms, int64_t cutoff) {
  CY_TRY(int64_t taken, tx.Exec("UPDATE audit_sweeps SET holder = ?, lease_until = ?, active = 1 "
                                "WHERE name = 'retention' AND (lease_until <= ? OR holder = ?)",
                                {Text(holder), Value{now + lease_ms}, Value{now}, Text(holder)}));
  if (taken == 0) return std::optional<int64_t>{};
  CY_TRY(int64_t deleted, tx.Exec("DELETE FROM audit_log WHERE ts < ?", {Value{cutoff}}));
  CY_CHECK(tx.Exec("UPDATE audit_sweeps SET active = 0 WHERE name = 'retention'", {}));
  return std::optional<int64_t>{deleted};
}

std::span<const std::string_view> GuardStatements(std::string_view backend) {
  if (backend == "sqlite") return kSqliteGuards;
  if (backend == "postgres" || backend == "postgresql") return kPostgresGuards;
  return {};
}

}  // namespace codeyard::store::audit
