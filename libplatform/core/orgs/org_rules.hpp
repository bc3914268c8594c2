// The organization rules other services apply inside their own transactions: which
// organization a new workspace, review or job belongs to, who may see what an organization
// keeps to itself, and the quota checks made in the transaction of the action they limit (so
// they hold across replicas). Each check that must be exact first takes the organization
// row's lock (store::orgs::Lock), then counts. Pure functions of the transaction; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "codeyard/backend/storage.hpp"
#include "codeyard/records.hpp"

namespace codeyard::orgs {

// "orgs: organization not found", for every organization a caller may not see.
[[nodiscard]] Error OrgNotFound();

// The organization a new thing of `user_id` goes to: `requested` (an id or a slug) when the
// user is a member of it, the personal organization when empty. kNotFound when the user is
// no member (as for an organization that does not exist).
[[nodiscard]] Result<std::string> ResolveFor(Transaction& tx, std::string_view user_id,
                                             std::string_view requested);

// The organization with this id or slug. kNotFound when neither.
[[nodiscard]] Result<Org> Find(Transaction& tx, std::string_view id_or_slug);

// The role of `user_id` in `org_id`; none when not a member.
[[nodiscard]] Result<std::optional<OrgRole>> RoleOf(Transaction& tx, std::string_view org_id,
                                                    std::string_view user_id);

// The caller's standing in one organization (id or slug): its row and the caller's role
// there; a platform admin who is no member stands as an owner. kNotFound for anyone else.
struct Standing {
  Org org;
  std::optional<OrgRole> role;  // always set in a returned Standing
};
[[nodiscard]] Result<Standing> StandingIn(Transaction& tx, std::string_view caller_id,
                                          std::string_view org);

// Whether `user_id` is a member of `org_id`.
[[nodiscard]] Result<bool> IsMember(Transaction& tx, std::string_view org_id,
                                    std::string_view user_id);

// Before a write that grows `owner_id`'s stored bytes in `org_id` by `delta` (> 0): refuses
// past org.max_stored_bytes or member.max_stored_bytes. Unlimited organizations cost one read.
[[nodiscard]] Result<void> CheckStoredBytes(Transaction& tx, std::string_view org_id,
                                            std::string_view owner_id, int64_t delta);
// Before a job of `owner_id` in `org_id` is inserted at `now`: org/member max_jobs_per_day.
[[nodiscard]] Result<void> CheckJobsPerDay(Transaction& tx, std::string_view org_id,
                                           std::string_view owner_id, int64_t now);
// Before a job or a run of `user_id` in `org_id` starts at `now`: org/member
// max_cpu_seconds_per_day against the CPU time usage metering recorded today (UTC). A run
// already going is not stopped: the quota refuses the next one.
[[nodiscard]] Result<void> CheckCpuSecondsPerDay(Transaction& tx, std::string_view org_id,
                                                 std::string_view user_id, int64_t now);
// Before `reviewer_id` claims a review of `org_id`: org/member max_open_claims.
[[nodiscard]] Result<void> CheckOpenClaims(Transaction& tx, std::string_view org_id,
                                           std::string_view reviewer_id);
// org20: before workspace `workspace_id` of `owner_id`, holding `bytes` and with a live pod
// or not, moves into `org_id` (its locks taken: store::orgs::LockWorkspaceForMove): the
// target's stored-bytes quotas for its bytes and, when live, its running-workspace quotas.
[[nodiscard]] Result<void> CheckMoveInto(Transaction& tx, std::string_view org_id,
                                         std::string_view owner_id, int64_t bytes, bool live);
// Inside a pod claim (already serialized against every other claim): org/member
// max_running_workspaces for a new pod of `workspace_id`, which is not counted.
[[nodiscard]] Result<void> CheckRunningWorkspaces(Transaction& tx, std::string_view workspace_id);

}  // namespace codeyard::orgs
