#include "core/store/orgs.hpp"

#include "core/store/store_util.hpp"
#include "core/try.hpp"

namespace codeyard::store::orgs {
namespace {

constexpr std::string_view kSelect =
    "SELECT id, name, slug, personal_of, created_at, updated_at, version, "
    "max_running_workspaces, max_stored_bytes, max_jobs_per_day, max_cpu_seconds_per_day, "
    "max_open_claims, member_max_running_workspaces, member_max_stored_bytes, "
    "member_max_jobs_per_day, member_max_cpu_seconds_per_day, member_max_open_claims FROM orgs ";

constexpr int64_t kDayMs = 86'400'000;

Result<OrgQuotas> QuotasFrom(const Row& r, std::size_t first) {
  OrgQuotas q;
  CY_TRY(q.max_running_workspaces, OptInt(r, first));
  CY_TRY(q.max_stored_bytes, OptInt(r, first + 1));
  CY_TRY(q.max_jobs_per_day, OptInt(r, first + 2));
  CY_TRY(q.max_cpu_seconds_per_day, OptInt(r, first + 3));
  CY_TRY(q.max_open_claims, OptInt(r, first + 4));
  return q;
}

Result<Org> FromRow(const Row& r) {
  Org o;
  CY_TRY(o.id, r.Text(0));
  CY_TRY(o.name, r.Text(1));
  CY_TRY(o.slug, r.Text(2));
  CY_TRY(o.personal_of, OptText(r, 3));
  CY_TRY(o.created_at, r.Int(4));
  CY_TRY(o.updated_at, r.Int(5));
  CY_TRY(o.version, r.Int(6));
  CY_TRY(o.org_quotas, QuotasFrom(r, 7));
  CY_TRY(o.member_quotas, QuotasFrom(r, 12));
  return o;
}

Result<OrgMember> MemberFrom(const Row& r) {
  OrgMember m;
  CY_TRY(m.org_id, r.Text(0));
  CY_TRY(m.user_id, r.Text(1));
  CY_TRY(const std::string role, r.Text(2));
  CY_TRY(m.role, ParseOrgRole(role));
  CY_TRY(m.created_at, r.Int(3));
  return m;
}

Result<int64_t> CountOf(Transaction& tx, const std::string& sql, std::vector<Value> params) {
  CY_TRY(Rows rows, tx.Query(sql, params));
  return rows.front().Int(0);
}

}  // namespace

Result<void> Insert(Transaction& tx, const Org& o) {
  const OrgQuotas& q = o.org_quotas;
  const OrgQuotas& m = o.member_quotas;
  CY_CHECK(tx.Exec(
      "INSERT INTO orgs (id, name, slug, personal_of, created_at, updated_at, version, "
      "max_running_workspaces, max_stored_bytes, max_jobs_per_day, max_cpu_seconds_per_day, "
      "max_open_claims, member_max_running_workspaces, member_max_stored_bytes, "
      "member_max_jobs_per_day, member_max_cpu_seconds_per_day, member_max_open_claims) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {Text(o.id), Text(o.name), Text(o.slug), Opt(o.personal_of), Value{o.created_at},
       Value{o.updated_at}, Value{o.version}, Opt(q.max_running_workspaces),
       Opt(q.max_stored_bytes), Opt(q.max_jobs_per_day), Opt(q.max_cpu_seconds_per_day),
       Opt(q.max_open_claims), Opt(m.max_running_workspaces), Opt(m.max_stored_bytes),
       Opt(m.max_jobs_per_day), Opt(m.max_cpu_seconds_per_day), Opt(m.max_open_claims)}));
  return {};
}

Result<void> InsertPersonal(Transaction& tx, const User& user) {
  Org org;
  org.id = user.id;
  org.name = user.username;
  org.slug = "~" + user.username;
  org.personal_of = user.id;
  org.created_at = user.created_at;
  org.updated_at = user.created_at;
  CY_CHECK(Insert(tx, org));
  return AddMember(tx, OrgMember{user.id, user.id, OrgRole::kOwner, user.created_at});
}

Result<Org> Get(Transaction& tx, std::string_view id) {
  CY_TRY(Rows rows, tx.Query(std::string(kSelect) + "WHERE id = ?", {Text(id)}));
  if (rows.empty()) return Fail(NotFound("organization", id));
  return FromRow(rows.front());
}

Result<std::optional<Org>> FindBySlug(Transaction& tx, std::string_view slug) {
  CY_TRY(Rows rows, tx.Query(std::string(kSelect) + "WHERE slug = ?", {Text(slug)}));
  if (rows.empty()) return std::optional<Org>();
  CY_TRY(Org o, FromRow(rows.front()));
  return std::optional<Org>(std::move(o));
}

Result<Org> Update(Transaction& tx, const Org& o, int64_t now) {
  const OrgQuotas& q = o.org_quotas;
  const OrgQuotas& m = o.member_quotas;
  CY_TRY(const int64_t changed,
         tx.Exec("UPDATE orgs SET name = ?, slug = ?, updated_at = ?, version = version + 1, "
                 "max_running_workspaces = ?, max_stored_bytes = ?, max_jobs_per_day = ?, "
                 "max_cpu_seconds_per_day = ?, max_open_claims = ?, "
                 "member_max_running_workspaces = ?, member_max_stored_bytes = ?, "
                 "member_max_jobs_per_day = ?, member_max_cpu_seconds_per_day = ?, "
                 "member_max_open_claims = ? WHERE id = ? AND version = ?",
                 {Text(o.name), Text(o.slug), Value{now}, Opt(q.max_running_workspaces),
                  Opt(q.max_stored_bytes), Opt(q.max_jobs_per_day), Opt(q.max_cpu_seconds_per_day),
                  Opt(q.max_open_claims), Opt(m.max_running_workspaces), Opt(m.max_stored_bytes),
                  Opt(m.max_jobs_per_day), Opt(m.max_cpu_seconds_per_day), Opt(m.max_open_claims),
                  Text(o.id), Value{o.version}}));
  if (changed == 0) return Fail(StaleOrMissing(tx, "orgs", o.id, "organization"));
  return Get(tx, o.id);
}

Result<void> Lock(Transaction& tx, std::string_view id) {
  CY_TRY(const int64_t changed,
         tx.Exec("UPDATE orgs SET version = version WHERE id = ?", {Text(id)}));
  if (changed == 0) return Fail(NotFound("organization", id));
  return {};
}

Result<Holdings> HoldingsOf(Transaction& tx, std::string_view id) {
  Holdings h;
  CY_TRY(h.workspaces, CountOf(tx, "SELECT COUNT(*) FROM workspaces WHERE org_id = ?", {Text(id)}));
  CY_TRY(h.problems, CountOf(tx, "SELECT COUNT(*) FROM problems WHERE org_id = ?", {Text(id)}));
  CY_TRY(h.reviews,
         CountOf(tx, "SELECT COUNT(*) FROM review_requests WHERE org_id = ?", {Text(id)}));
  CY_TRY(h.live_jobs,
         CountOf(tx, "SELECT COUNT(*) FROM jobs WHERE org_id = ? AND state <> 'done'", {Text(id)}));
  return h;
}

Result<void> Delete(Transaction& tx, std::string_view id) {
  CY_CHECK(tx.Exec("UPDATE jobs SET org_id = owner_id WHERE org_id = ?", {Text(id)}));
  CY_CHECK(tx.Exec("DELETE FROM org_members WHERE org_id = ?", {Text(id)}));
  CY_TRY(const int64_t deleted, tx.Exec("DELETE FROM orgs WHERE id = ?", {Text(id)}));
  if (deleted == 0) return Fail(NotFound("organization", id));
  return {};
}

Result<bool> LockWorkspaceForMove(Transaction& tx, std::string_view workspace_id) {
  CY_TRY(const int64_t claims,
         tx.Exec("UPDATE claim_locks SET claims = claims WHERE name = ?", {Text("pods")}));
  if (claims == 0) return Fail(Error::Code::kInternal, "orgs: the claim_locks row is missing");
  CY_TRY(const int64_t locked,
         tx.Exec("UPDATE workspaces SET version = version WHERE id = ?", {Text(workspace_id)}));
  if (locked == 0) return Fail(NotFound("workspace", workspace_id));
  CY_TRY(const int64_t live,
         CountOf(tx, "SELECT COUNT(*) FROM pods WHERE workspace_id = ? AND state <> 'released'",
                 {Text(workspace_id)}));
  return live > 0;
}

Result<void> SetWorkspaceOrg(Transaction& tx, std::string_view workspace_id,
                             std::string_view org_id, int64_t now) {
  CY_TRY(const int64_t changed,
         tx.Exec("UPDATE workspaces SET org_id = ?, version = version + 1, updated_at = ? "
                 "WHERE id = ?",
                 {Text(org_id), Value{now}, Text(workspace_id)}));
  if (changed == 0) return Fail(NotFound("workspace", workspace_id));
  return {};
}

Result<void> AddMember(Transaction& tx, const OrgMember& m) {
  CY_CHECK(
      tx.Exec("INSERT INTO org_members (org_id, user_id, role, created_at) VALUES (?, ?, ?, ?)",
              {Text(m.org_id), Text(m.user_id), Text(OrgRoleName(m.role)), Value{m.created_at}}));
  return {};
}

Result<void> SetRole(Transaction& tx, std::string_view org_id, std::string_view user_id,
                     OrgRole role) {
  CY_TRY(const int64_t changed,
         tx.Exec("UPDATE org_members SET role = ? WHERE org_id = ? AND user_id = ?",
                 {Text(OrgRoleName(role)), Text(org_id), Text(user_id)}));
  if (changed == 0) return Fail(NotFound("member", user_id));
  return {};
}

Result<void> RemoveMember(Transaction& tx, std::string_view org_id, std::string_view user_id) {
  CY_TRY(const int64_t changed, tx.Exec("DELETE FROM org_members WHERE org_id = ? AND user_id = ?",
                                        {Text(org_id), Text(user_id)}));
  if (changed == 0) return Fail(NotFound("member", user_id));
  return {};
}

Result<std::optional<OrgMember>> GetMember(Transaction& tx, std::string_view org_id,
                                           std::string_view user_id) {
  CY_TRY(Rows rows, tx.Query("SELECT org_id, user_id, role, created_at FROM org_members "
                             "WHERE org_id = ? AND user_id = ?",
                             {Text(org_id), Text(user_id)}));
  if (rows.empty()) return std::optional<OrgMember>();
  CY_TRY(OrgMember m, MemberFrom(rows.front()));
  return std::optional<OrgMember>(std::move(m));
}

Result<std::vector<OrgMember>> ListMembers(Transaction& tx, std::string_view org_id) {
  CY_TRY(Rows rows, tx.Query("SELECT org_id, user_id, role, created_at FROM org_members "
                             "WHERE org_id = ? ORDER BY created_at, user_id",
                             {Text(org_id)}));
  std::vector<OrgMember> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    CY_TRY(OrgMember m, MemberFrom(r));
    out.push_back(std::move(m));
  }
  return out;
}

Result<int64_t> CountOwners(Transaction& tx, std::string_view org_id) {
  return CountOf(tx, "SELECT COUNT(*) FROM org_members WHERE org_id = ? AND role = 'owner'",
                 {Text(org_id)});
}

Result<std::vector<std::pair<Org, OrgRole>>> ListForUser(Transaction& tx,
                                                         std::string_view user_id) {
  CY_TRY(Rows rows,
         tx.Query("SELECT o.id, o.name, o.slug, o.personal_of, o.created_at, o.updated_at, "
                  "o.version, o.max_running_workspaces, o.max_stored_bytes, o.max_jobs_per_day, "
                  "o.max_cpu_seconds_per_day, o.max_open_claims, "
                  "o.member_max_running_workspaces, o.member_max_stored_bytes, "
                  "o.member_max_jobs_per_day, o.member_max_cpu_seconds_per_day, "
                  "o.member_max_open_claims, m.role FROM org_members m "
                  "JOIN orgs o ON o.id = m.org_id WHERE m.user_id = ? "
                  "ORDER BY CASE WHEN o.id = ? THEN 0 ELSE 1 END, o.slug",
                  {Text(user_id), Text(user_id)}));
  std::vector<std::pair<Org, OrgRole>> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    CY_TRY(Org o, FromRow(r));
    CY_TRY(const std::string role_name, r.Text(17));
    CY_TRY(const OrgRole role, ParseOrgRole(role_name));
    out.emplace_back(std::move(o), role);
  }
  return out;
}

Result<std::optional<int64_t>> CpuSecondsPerDayLimit(Transaction& tx, std::string_view org_id,
                                                     QuotaScope scope) {
  CY_TRY(const Org org, Get(tx, org_id));
  return scope == QuotaScope::kOrg ? org.org_quotas.max_cpu_seconds_per_day
                                   : org.member_quotas.max_cpu_seconds_per_day;
}

Result<int64_t> Count(Transaction& tx, std::string_view org_id, std::string_view member,
                      Measure measure, int64_t day_start) {
  const bool one = !member.empty();
  std::string sql;
  std::vector<Value> params;
  params.reserve(3);
  params.push_back(Text(org_id));
  switch (measure) {
    case Measure::kRunningWorkspaces:
      sql =
          "SELECT COUNT(*) FROM pods p JOIN workspaces w ON w.id = p.workspace_id "
          "WHERE p.state <> 'released' AND w.org_id = ?";
      if (one) sql += " AND w.owner_id = ?";
      break;
    case Measure::kStoredBytes:
      sql = "SELECT CAST(COALESCE(SUM(total_bytes), 0) AS BIGINT) FROM workspaces WHERE org_id = ?";
      if (one) sql += " AND owner_id = ?";
      break;
    case Measure::kJobsToday:
      sql = "SELECT COUNT(*) FROM jobs WHERE org_id = ? AND created_at >= ?";
      params.push_back(Value{day_start});
      if (one) sql += " AND owner_id = ?";
      break;
    case Measure::kOpenClaims:
      sql = "SELECT COUNT(*) FROM review_requests WHERE org_id = ? AND status = 'in_review'";
      if (one) sql += " AND reviewer_id = ?";
      break;
  }
  if (one) params.push_back(Text(member));
  return CountOf(tx, sql, std::move(params));
}

Result<Usage> UsageOf(Transaction& tx, std::string_view org_id, std::string_view member,
                      int64_t day_start) {
  Usage u;
  CY_TRY(u.running_workspaces, Count(tx, org_id, member, Measure::kRunningWorkspaces, 0));
  CY_TRY(u.stored_bytes, Count(tx, org_id, member, Measure::kStoredBytes, 0));
  CY_TRY(u.jobs_today, Count(tx, org_id, member, Measure::kJobsToday, day_start));
  CY_TRY(u.open_claims, Count(tx, org_id, member, Measure::kOpenClaims, 0));
  return u;
}

Error QuotaRefusal(const Org& org, QuotaScope scope, std::string_view quota, int64_t limit,
                   int64_t used, std::string_view unit, int64_t retry_after_s, int64_t adding) {
  const std::string name =
      std::string(scope == QuotaScope::kOrg ? "org." : "member.") + std::string(quota);
  const std::string units = unit.empty() ? "" : " " + std::string(unit);
  return Error(Error::Code::kResourceExhausted,
               "quota " + name + " of org \"" + org.slug + "\": " + std::to_string(used) + " of " +
                   std::to_string(limit) + units + " in use" +
                   (adding > 1 ? "; this needs " + std::to_string(adding) + " more" : ""))
      .WithLimit(name, retry_after_s);
}

int64_t DayStart(int64_t now_ms) noexcept { return now_ms - (now_ms % kDayMs); }

}  // namespace codeyard::store::orgs
