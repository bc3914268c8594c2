// Repository of organizations, their members and quota limits (issue 20, codeyard/orgs.hpp).
// Runs inside the caller's transaction. A personal organization's id is its user's id, so
// users::Insert makes it (InsertPersonal) in the user's own transaction.
//
// Quota checks that must hold across replicas first take the organization row's write lock
// (Lock), then count and write in the same transaction: on PostgreSQL, where writers run
// concurrently, two actions in one organization then check one at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codeyard/backend/storage.hpp"
#include "codeyard/records.hpp"

namespace codeyard::store::orgs {

// kAlreadyExists for a taken id or slug.
[[nodiscard]] Result<void> Insert(Transaction& tx, const Org& org);
// The personal organization of `user` (id = user id, slug "~<username>") with the user as
// its owner.
[[nodiscard]] Result<void> InsertPersonal(Transaction& tx, const User& user);
// kNotFound when absent.
[[nodiscard]] Result<Org> Get(Transaction& tx, std::string_view id);
[[nodiscard]] Result<std::optional<Org>> FindBySlug(Transaction& tx, std::string_view slug);
// Writes name, slug and both quota sets if `org.version` is current; bumps it. kConflict
// when stale, kNotFound when absent, kAlreadyExists for a taken slug.
[[nodiscard]] Result<Org> Update(Transaction& tx, const Org& org, int64_t now);
// org20: what an organization still holds, which refuses its deletion.
struct Holdings {
  int64_t workspaces = 0;
  int64_t problems = 0;
  int64_t reviews = 0;    // review requests in any status (their history names the org)
  int64_t live_jobs = 0;  // queued or running
};
[[nodiscard]] Result<Holdings> HoldingsOf(Transaction& tx, std::string_view id);
// org20: deletes the organization and its memberships. Its finished jobs go to their owners'
// personal organizations (jobs.org_id is a foreign key; the queue keeps its history); usage
// rows keep its id (they outlive organizations). The caller checked HoldingsOf first.
[[nodiscard]] Result<void> Delete(Transaction& tx, std::string_view id);
// org20: before a workspace moves between organizations, takes the locks in the order every
// writer takes them: the pod claims' lock (so no pod starts or counts meanwhile), then the
// workspace row's (so no file write grows it meanwhile). Returns whether it has a live pod.
// kNotFound for no such workspace.
[[nodiscard]] Result<bool> LockWorkspaceForMove(Transaction& tx, std::string_view workspace_id);
// org20: sets the workspace's organization and bumps its version. kNotFound when absent.
[[nodiscard]] Result<void> SetWorkspaceOrg(Transaction& tx, std::string_view workspace_id,
                                           std::string_view org_id, int64_t now);

// Takes the organization row's write lock until the transaction ends. kNotFound when absent.
[[nodiscard]] Result<void> Lock(Transaction& tx, std::string_view id);

// kAlreadyExists when the user is a member already; kFailedPrecondition for an unknown user.
[[nodiscard]] Result<void> AddMember(Transaction& tx, const OrgMember& member);
// kNotFound when the user is no member.
[[nodiscard]] Result<void> SetRole(Transaction& tx, std::string_view org_id,
                                   std::string_view user_id, OrgRole role);
[[nodiscard]] Result<void> RemoveMember(Transaction& tx, std::string_view org_id,
                                        std::string_view user_id);
// The user's membership, none when not a member.
[[nodiscard]] Result<std::optional<OrgMember>> GetMember(Transaction& tx, std::string_view org_id,
                                                         std::string_view user_id);
// Oldest member first.
[[nodiscard]] Result<std::vector<OrgMember>> ListMembers(Transaction& tx, std::string_view org_id);
[[nodiscard]] Result<int64_t> CountOwners(Transaction& tx, std::string_view org_id);
// The organizations `user_id` belongs to, with the role there; the personal one first, then
// by slug.
[[nodiscard]] Result<std::vector<std::pair<Org, OrgRole>>> ListForUser(Transaction& tx,
                                                                       std::string_view user_id);

// Which limit a quota check reads: the organization's or each member's.
enum class QuotaScope { kOrg, kMember };
// The limit of CPU-seconds per day (nullopt = unlimited), for usage metering to enforce.
[[nodiscard]] Result<std::optional<int64_t>> CpuSecondsPerDayLimit(Transaction& tx,
                                                                   std::string_view org_id,
                                                                   QuotaScope scope);

// What is held now against the limits, for one organization or one member in it.
struct Usage {
  int64_t running_workspaces = 0;
  int64_t stored_bytes = 0;
  int64_t jobs_today = 0;  // jobs submitted since `day_start`
  int64_t open_claims = 0;
};
// One measure of the organization's (member = "") or one member's usage now; `day_start` is
// the start of the current UTC day in ms (for kJobsToday).
enum class Measure { kRunningWorkspaces, kStoredBytes, kJobsToday, kOpenClaims };
[[nodiscard]] Result<int64_t> Count(Transaction& tx, std::string_view org_id,
                                    std::string_view member, Measure measure, int64_t day_start);
// Every measure at once.
[[nodiscard]] Result<Usage> UsageOf(Transaction& tx, std::string_view org_id,
                                    std::string_view member, int64_t day_start);

// The refusal of a quota: kResourceExhausted, the message naming the quota, its limit and
// its usage (`quota org.max_running_workspaces of org "cs101": 5 of 5 in use`; when the action
// needs more than one unit, "; this needs <adding> more" follows), marked with the quota's
// name as its limit (Error::WithLimit) and `retry_after_s`.
[[nodiscard]] Error QuotaRefusal(const Org& org, QuotaScope scope, std::string_view quota,
                                 int64_t limit, int64_t used, std::string_view unit,
                                 int64_t retry_after_s, int64_t adding = 1);

// Start of the UTC day holding `now_ms`.
[[nodiscard]] int64_t DayStart(int64_t now_ms) noexcept;

}  // namespace codeyard::store::orgs
