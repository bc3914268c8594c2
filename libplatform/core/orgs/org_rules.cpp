#include "core/orgs/org_rules.hpp"

#include <optional>

#include "core/store/orgs.hpp"
#include "core/store/store_util.hpp"
#include "core/store/usage.hpp"
#include "core/store/users.hpp"
#include "core/try.hpp"
#include "core/usage/record.hpp"

namespace codeyard::orgs {
namespace {

using store::orgs::Measure;
using store::orgs::QuotaScope;

// Seconds a refusal suggests waiting: a running workspace another member stops, tomorrow's
// jobs; bytes and claims only come back through the user's own action.
constexpr int64_t kRunningRetryS = 30;

bool Limited(const std::optional<int64_t>& a, const std::optional<int64_t>& b) {
  return a.has_value() || b.has_value();
}

// Refuses when `used + adding` would pass `limit` (for a count, adding = 1).
Result<void> Within(const Org& org, QuotaScope scope, std::string_view quota,
                    const std::optional<int64_t>& limit, int64_t used, int64_t adding,
                    std::string_view unit, int64_t retry_after_s) {
  if (!limit || used + adding <= *limit) return {};
  return Fail(
      store::orgs::QuotaRefusal(org, scope, quota, *limit, used, unit, retry_after_s, adding));
}

// The organization's limit, then the member's, each counted only when set.
Result<void> CheckBoth(Transaction& tx, const Org& org, std::string_view member, Measure measure,
                       int64_t day_start, std::string_view quota,
                       const std::optional<int64_t>& org_limit,
                       const std::optional<int64_t>& member_limit, int64_t adding,
                       std::string_view unit, int64_t org_retry_s, int64_t member_retry_s) {
  if (org_limit) {
    CY_TRY(const int64_t used, store::orgs::Count(tx, org.id, "", measure, day_start));
    CY_CHECK(Within(org, QuotaScope::kOrg, quota, org_limit, used, adding, unit, org_retry_s));
  }
  if (member_limit) {
    CY_TRY(const int64_t used, store::orgs::Count(tx, org.id, member, measure, day_start));
    CY_CHECK(
        Within(org, QuotaScope::kMember, quota, member_limit, used, adding, unit, member_retry_s));
  }
  return {};
}

}  // namespace

Error OrgNotFound() { return {Error::Code::kNotFound, "orgs: organization not found"}; }

Result<Org> Find(Transaction& tx, std::string_view id_or_slug) {
  auto by_id = store::orgs::Get(tx, id_or_slug);
  if (by_id) return by_id;
  if (by_id.error().code() != Error::Code::kNotFound) return Fail(by_id.error());
  CY_TRY(std::optional<Org> by_slug, store::orgs::FindBySlug(tx, id_or_slug));
  if (!by_slug) return Fail(OrgNotFound());
  return std::move(*by_slug);
}

Result<std::optional<OrgRole>> RoleOf(Transaction& tx, std::string_view org_id,
                                      std::string_view user_id) {
  CY_TRY(const auto member, store::orgs::GetMember(tx, org_id, user_id));
  if (!member) return std::optional<OrgRole>();
  return std::optional<OrgRole>(member->role);
}

Result<Standing> StandingIn(Transaction& tx, std::string_view caller_id, std::string_view org) {
  CY_TRY(const User caller, store::users::Get(tx, caller_id));
  auto found = Find(tx, org);
  if (!found) return Fail(found.error());
  CY_TRY(const auto member, store::orgs::GetMember(tx, found->id, caller_id));
  Standing s{std::move(*found), std::nullopt};
  if (member) {
    s.role = member->role;
  } else if (caller.role == Role::kAdmin && !caller.disabled) {
    s.role = OrgRole::kOwner;
  }
  if (!s.role) return Fail(OrgNotFound());  // others never learn it exists
  return s;
}

Result<bool> IsMember(Transaction& tx, std::string_view org_id, std::string_view user_id) {
  CY_TRY(const auto member, store::orgs::GetMember(tx, org_id, user_id));
  return member.has_value();
}

Result<std::string> ResolveFor(Transaction& tx, std::string_view user_id,
                               std::string_view requested) {
  if (requested.empty()) return std::string(user_id);
  auto org = Find(tx, requested);
  if (!org) return Fail(org.error());
  CY_TRY(const bool member, IsMember(tx, org->id, user_id));
  if (!member) return Fail(OrgNotFound());
  return org->id;
}

Result<void> CheckStoredBytes(Transaction& tx, std::string_view org_id, std::string_view owner_id,
                              int64_t delta) {
  if (delta <= 0) return {};
  CY_TRY(const Org org, store::orgs::Get(tx, org_id));
  if (!Limited(org.org_quotas.max_stored_bytes, org.member_quotas.max_stored_bytes)) return {};
  CY_CHECK(store::orgs::Lock(tx, org_id));
  return CheckBoth(tx, org, owner_id, Measure::kStoredBytes, 0, "max_stored_bytes",
                   org.org_quotas.max_stored_bytes, org.member_quotas.max_stored_bytes, delta,
                   "bytes", 0, 0);
}

Result<void> CheckJobsPerDay(Transaction& tx, std::string_view org_id, std::string_view owner_id,
                             int64_t now) {
  CY_TRY(const Org org, store::orgs::Get(tx, org_id));
  if (!Limited(org.org_quotas.max_jobs_per_day, org.member_quotas.max_jobs_per_day)) return {};
  CY_CHECK(store::orgs::Lock(tx, org_id));
  const int64_t day = store::orgs::DayStart(now);
  const int64_t until_tomorrow_s = (day + 86'400'000 - now + 999) / 1000;
  return CheckBoth(tx, org, owner_id, Measure::kJobsToday, day, "max_jobs_per_day",
                   org.org_quotas.max_jobs_per_day, org.member_quotas.max_jobs_per_day, 1,
                   "jobs today", until_tomorrow_s, until_tomorrow_s);
}

Result<void> CheckCpuSecondsPerDay(Transaction& tx, std::string_view org_id,
                                   std::string_view user_id, int64_t now) {
  CY_TRY(const Org org, store::orgs::Get(tx, org_id));
  const auto& org_limit = org.org_quotas.max_cpu_seconds_per_day;
  const auto& member_limit = org.member_quotas.max_cpu_seconds_per_day;
  if (!Limited(org_limit, member_limit)) return {};
  const std::string day = usage::DayOf(now);
  const int64_t day_start = store::orgs::DayStart(now);
  const int64_t until_tomorrow_s = (day_start + 86'400'000 - now + 999) / 1000;
  if (org_limit) {
    CY_TRY(const int64_t ms, store::usage::CpuMsOn(tx, day, org_id, ""));
    CY_CHECK(Within(org, QuotaScope::kOrg, "max_cpu_seconds_per_day", org_limit, ms / 1000, 1,
                    "CPU-seconds today", until_tomorrow_s));
  }
  if (member_limit) {
    CY_TRY(const int64_t ms, store::usage::CpuMsOn(tx, day, org_id, user_id));
    CY_CHECK(Within(org, QuotaScope::kMember, "max_cpu_seconds_per_day", member_limit, ms / 1000, 1,
                    "CPU-seconds today", until_tomorrow_s));
  }
  return {};
}

Result<void> CheckOpenClaims(Transaction& tx, std::string_view org_id,
                             std::string_view reviewer_id) {
  CY_TRY(const Org org, store::orgs::Get(tx, org_id));
  if (!Limited(org.org_quotas.max_open_claims, org.member_quotas.max_open_claims)) return {};
  CY_CHECK(store::orgs::Lock(tx, org_id));
  return CheckBoth(tx, org, reviewer_id, Measure::kOpenClaims, 0, "max_open_claims",
                   org.org_quotas.max_open_claims, org.member_quotas.max_open_claims, 1, "", 0, 0);
}

Result<void> CheckMoveInto(Transaction& tx, std::string_view org_id, std::string_view owner_id,
                           int64_t bytes, bool live) {
  CY_TRY(const Org org, store::orgs::Get(tx, org_id));
  const OrgQuotas& o = org.org_quotas;
  const OrgQuotas& m = org.member_quotas;
  const bool bytes_limited = bytes > 0 && Limited(o.max_stored_bytes, m.max_stored_bytes);
  const bool running_limited = live && Limited(o.max_running_workspaces, m.max_running_workspaces);
  if (!bytes_limited && !running_limited) return {};
  CY_CHECK(store::orgs::Lock(tx, org_id));  // after the workspace's lock, as file writes
  if (bytes_limited) {
    CY_CHECK(CheckBoth(tx, org, owner_id, Measure::kStoredBytes, 0, "max_stored_bytes",
                       o.max_stored_bytes, m.max_stored_bytes, bytes, "bytes", 0, 0));
  }
  if (running_limited) {
    CY_CHECK(CheckBoth(tx, org, owner_id, Measure::kRunningWorkspaces, 0, "max_running_workspaces",
                       o.max_running_workspaces, m.max_running_workspaces, 1, "", kRunningRetryS,
                       0));
  }
  return {};
}

Result<void> CheckRunningWorkspaces(Transaction& tx, std::string_view workspace_id) {
  CY_TRY(Rows rows, tx.Query("SELECT w.owner_id, w.org_id FROM workspaces w WHERE w.id = ?",
                             {store::Text(workspace_id)}));
  if (rows.empty()) return {};  // the claim itself reports the missing workspace
  CY_TRY(const std::string owner, rows.front().Text(0));
  CY_TRY(const std::optional<std::string> org_id, store::OptText(rows.front(), 1));
  if (!org_id) return {};
  CY_TRY(const Org org, store::orgs::Get(tx, *org_id));
  const auto& org_limit = org.org_quotas.max_running_workspaces;
  const auto& member_limit = org.member_quotas.max_running_workspaces;
  if (!Limited(org_limit, member_limit)) return {};
  // The claim holds claim_locks: every other claim waits, so the counts stay true until commit.
  // The workspace itself has no live pod (a new claim), so it is not among them.
  return CheckBoth(tx, org, owner, Measure::kRunningWorkspaces, 0, "max_running_workspaces",
                   org_limit, member_limit, 1, "", kRunningRetryS, 0);
}

}  // namespace codeyard::orgs
