#include "core/store/pods.hpp"

#include "core/json_text.hpp"
#include "core/orgs/org_rules.hpp"
#include "core/store/audit.hpp"
#include "core/store/store_util.hpp"
#include "core/try.hpp"

namespace codeyard::store::pods {
namespace {

constexpr std::string_view kSelect =
    "SELECT workspace_id, pod_id, executor, replica, state, lease_until, generation, created_at, "
    "updated_at FROM pods ";

constexpr std::string_view kStalePrefix = "pods: stale lease";

std::string PodDetail(std::string_view pod_id, std::string_view replica) {
  std::string out = "{\"pod_id\":";
  AppendJsonString(out, pod_id);
  out += ",\"replica\":";
  AppendJsonString(out, replica);
  out += '}';
  return out;
}

Result<PodRecord> FromRow(const Row& r) {
  PodRecord p;
  CY_TRY(p.workspace_id, r.Text(0));
  CY_TRY(const auto pod_id, OptText(r, 1));
  p.pod_id = pod_id.value_or("");
  CY_TRY(p.executor, r.Text(2));
  CY_TRY(p.replica, r.Text(3));
  CY_TRY(p.state, r.Text(4));
  CY_TRY(p.lease_until, r.Int(5));
  CY_TRY(p.generation, r.Int(6));
  CY_TRY(p.created_at, r.Int(7));
  CY_TRY(p.updated_at, r.Int(8));
  return p;
}

Result<std::optional<PodRecord>> Find(Transaction& tx, std::string_view workspace_id) {
  CY_TRY(Rows rows,
         tx.Query(std::string(kSelect) + "WHERE workspace_id = ?", {Text(workspace_id)}));
  if (rows.empty()) return std::optional<PodRecord>();
  CY_TRY(PodRecord p, FromRow(rows.front()));
  return std::optional<PodRecord>(std::move(p));
}

// The error of a conditional write that matched no row: says who holds the lease now.
Error Stale(Transaction& tx, std::string_view workspace_id, std::string_view replica,
            int64_t generation) {
  std::string now_held = "the workspace has no lease any more";
  if (auto found = Find(tx, workspace_id); found && *found) {
    const PodRecord& p = **found;
    now_held = p.state == kReleased
                   ? "the lease was released (generation " + std::to_string(p.generation) + ")"
                   : "replica \"" + p.replica + "\" holds it at generation " +
                         std::to_string(p.generation);
  }
  return {Error::Code::kFailedPrecondition,
          std::string(kStalePrefix) + " on workspace " + std::string(workspace_id) +
              ": replica \"" + std::string(replica) + "\" at generation " +
              std::to_string(generation) + " no longer holds it (" + now_held + ")"};
}

Result<void> Fenced(Transaction& tx, std::string_view sql, std::vector<Value> params,
                    std::string_view workspace_id, std::string_view replica, int64_t generation) {
  CY_TRY(const int64_t changed, tx.Exec(sql, params));
  if (changed == 0) return Fail(Stale(tx, workspace_id, replica, generation));
  return {};
}

// Counts the pods that hold resources now, other than `workspace_id`'s: in total and the
// owner's.
Result<std::pair<int64_t, int64_t>> CountRunning(Transaction& tx, std::string_view workspace_id,
                                                 std::string_view owner_id) {
  CY_TRY(Rows rows,
         tx.Query("SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN w.owner_id = ? THEN 1 ELSE 0 "
                  "END), 0) AS BIGINT) FROM pods p JOIN workspaces w ON w.id = p.workspace_id "
                  "WHERE p.state <> ? AND p.workspace_id <> ?",
                  {Text(owner_id), Text(kReleased), Text(workspace_id)}));
  CY_TRY(const int64_t total, rows.front().Int(0));
  CY_TRY(const int64_t mine, rows.front().Int(1));
  return std::pair{total, mine};
}

// Retry-After of a refusal that another user's stop may lift soon.
constexpr int64_t kFullRetryAfterS = 30;

Result<void> CheckLimits(Transaction& tx, const ClaimRequest& rq) {
  CY_TRY(const auto counted, CountRunning(tx, rq.workspace_id, rq.owner_id));
  const auto [total, mine] = counted;
  if (mine >= rq.max_running_per_user) {
    return Fail(Error(Error::Code::kResourceExhausted,
                      "running workspaces limit reached: at most " +
                          std::to_string(rq.max_running_per_user) +
                          " per user (workspace.max_running_per_user); stop one first")
                    .WithLimit("workspace.max_running_per_user", 0));
  }
  if (total >= rq.max_running_total) {
    return Fail(Error(Error::Code::kResourceExhausted,
                      "running workspaces limit reached: at most " +
                          std::to_string(rq.max_running_total) +
                          " in all (workspace.max_running_total); try again later")
                    .WithLimit("workspace.max_running_total", kFullRetryAfterS));
  }
  const uint64_t each = rq.pod_memory_bytes;
  const uint64_t reserved = static_cast<uint64_t>(total) * each;
  if (each != 0 && reserved + each > rq.memory_capacity_bytes) {
    return Fail(Error(Error::Code::kResourceExhausted,
                      "the workspace memory is full: " + std::to_string(total) +
                          " running workspaces reserve " + std::to_string(reserved) + " of " +
                          std::to_string(rq.memory_capacity_bytes) + " bytes and another needs " +
                          std::to_string(each) +
                          " (workspace.memory_capacity_bytes); try again later")
                    .WithLimit("workspace.memory_capacity_bytes", kFullRetryAfterS));
  }
  // The workspace's organization's running-workspace quotas (codeyard/orgs.hpp).
  return orgs::CheckRunningWorkspaces(tx, rq.workspace_id);
}

}  // namespace

Result<Claimed> Claim(Transaction& tx, const ClaimRequest& rq) {
  // Every claim takes this one row's write lock first: on PostgreSQL, where writers run
  // concurrently, the count below and the write after it then happen one claim at a time
  // (read committed: the count sees every claim committed before the lock was granted).
  CY_TRY(const int64_t locked,
         tx.Exec("UPDATE claim_locks SET claims = claims + 1 WHERE name = ?", {Text("pods")}));
  if (locked == 0) return Fail(Error::Code::kInternal, "pods: the claim_locks row is missing");
  CY_TRY(const std::optional<PodRecord> current, Find(tx, rq.workspace_id));
  Claimed out;
  const bool live = current && current->state != kReleased;
  if (live && current->replica != rq.replica && current->lease_until > rq.now && !rq.take_live) {
    out.lease = *current;
    out.outcome = ClaimOutcome::kHeld;
    return out;
  }
  if (!live) {
    if (rq.check_limits) CY_CHECK(CheckLimits(tx, rq));
    out.outcome = ClaimOutcome::kNew;
  } else {
    out.outcome = current->replica == rq.replica ? ClaimOutcome::kOwn : ClaimOutcome::kTakenOver;
  }
  PodRecord& p = out.lease;
  p.workspace_id = std::string(rq.workspace_id);
  p.pod_id = live ? current->pod_id : "";
  p.executor = live ? current->executor : std::string(rq.executor);
  p.replica = std::string(rq.replica);
  p.state = live ? current->state : std::string(kStarting);
  p.lease_until = rq.now + rq.lease_ms;
  p.generation = current ? current->generation + 1 : 1;
  p.created_at = live ? current->created_at : rq.now;
  p.updated_at = rq.now;
  if (!current) {
    CY_CHECK(tx.Exec(
        "INSERT INTO pods (workspace_id, pod_id, executor, replica, state, "
        "lease_until, generation, created_at, updated_at) "
        "VALUES (?, NULL, ?, ?, ?, ?, ?, ?, ?)",
        {Text(p.workspace_id), Text(p.executor), Text(p.replica), Text(p.state),
         Value{p.lease_until}, Value{p.generation}, Value{p.created_at}, Value{p.updated_at}}));
    return out;
  }
  // The compare half of the swap: the lock above already orders claims, and this keeps the
  // row's own history honest should anything else have written it.
  CY_TRY(const int64_t changed,
         tx.Exec("UPDATE pods SET executor = ?, replica = ?, state = ?, lease_until = ?, "
                 "generation = ?, created_at = ?, updated_at = ? "
                 "WHERE workspace_id = ? AND generation = ?",
                 {Text(p.executor), Text(p.replica), Text(p.state), Value{p.lease_until},
                  Value{p.generation}, Value{p.created_at}, Value{p.updated_at},
                  Text(p.workspace_id), Value{current->generation}}));
  if (changed == 0) return Fail(Error::Code::kAborted, "pods: the lease changed during a claim");
  return out;
}

Result<void> Renew(Transaction& tx, std::string_view workspace_id, std::string_view replica,
                   int64_t generation, int64_t now, int64_t lease_ms) {
  return Fenced(
      tx,
      "UPDATE pods SET lease_until = ?, updated_at = ? WHERE workspace_id = ? AND "
      "replica = ? AND generation = ? AND state <> 'released'",
      {Value{now + lease_ms}, Value{now}, Text(workspace_id), Text(replica), Value{generation}},
      workspace_id, replica, generation);
}

Result<void> SetPod(Transaction& tx, std::string_view workspace_id, std::string_view replica,
                    int64_t generation, std::string_view pod_id, int64_t now) {
  CY_CHECK(Fenced(tx,
                  "UPDATE pods SET pod_id = ?, state = 'running', updated_at = ? WHERE "
                  "workspace_id = ? AND replica = ? AND generation = ? AND state <> 'released'",
                  {Text(pod_id), Value{now}, Text(workspace_id), Text(replica), Value{generation}},
                  workspace_id, replica, generation));
  // admin20: the audit log records each pod's start and end, in the transaction that says so.
  CY_CHECK(audit::Record(tx, now, std::nullopt, audit_action::kPodCreate, workspace_id,
                         PodDetail(pod_id, replica)));
  return {};
}

Result<void> Release(Transaction& tx, std::string_view workspace_id, std::string_view replica,
                     int64_t generation, int64_t now) {
  CY_TRY(const std::optional<PodRecord> before, Find(tx, workspace_id));
  CY_CHECK(Fenced(tx,
                  "UPDATE pods SET pod_id = NULL, state = 'released', lease_until = 0, "
                  "updated_at = ? WHERE workspace_id = ? AND replica = ? AND generation = ? "
                  "AND state <> 'released'",
                  {Value{now}, Text(workspace_id), Text(replica), Value{generation}}, workspace_id,
                  replica, generation));
  if (before && !before->pod_id.empty()) {
    CY_CHECK(audit::Record(tx, now, std::nullopt, audit_action::kPodDelete, workspace_id,
                           PodDetail(before->pod_id, replica)));
  }
  return {};
}

Result<void> Fence(Transaction& tx, std::string_view workspace_id, std::string_view replica,
                   int64_t generation) {
  // An update that changes nothing: it takes the row's write lock, which a claim needs too.
  return Fenced(tx,
                "UPDATE pods SET generation = generation WHERE workspace_id = ? AND replica = ? "
                "AND generation = ? AND state <> 'released'",
                {Text(workspace_id), Text(replica), Value{generation}}, workspace_id, replica,
                generation);
}

Error StaleInPod(std::string_view workspace_id, int64_t generation, const Error& refusal) {
  return {Error::Code::kFailedPrecondition,
          std::string(kStalePrefix) + " on workspace " + std::string(workspace_id) +
              ": generation " + std::to_string(generation) +
              " refused by the pod, which a newer holder has used (" + refusal.message() + ")"};
}

bool IsStaleLease(const Error& error) {
  return error.code() == Error::Code::kFailedPrecondition &&
         error.message().find(kStalePrefix) != std::string::npos;
}

Result<PodRecord> Get(Transaction& tx, std::string_view workspace_id) {
  CY_TRY(const std::optional<PodRecord> found, Find(tx, workspace_id));
  if (!found) return Fail(NotFound("pod of workspace", workspace_id));
  return *found;
}

Result<std::vector<PodRecord>> ListHeld(Transaction& tx) {
  CY_TRY(Rows rows, tx.Query(std::string(kSelect) + "WHERE state <> ? ORDER BY lease_until, "
                                                    "workspace_id",
                             {Text(kReleased)}));
  std::vector<PodRecord> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    CY_TRY(PodRecord p, FromRow(r));
    out.push_back(std::move(p));
  }
  return out;
}

Result<bool> Delete(Transaction& tx, std::string_view workspace_id) {
  CY_TRY(const int64_t changed,
         tx.Exec("DELETE FROM pods WHERE workspace_id = ?", {Text(workspace_id)}));
  return changed > 0;
}

}  // namespace codeyard::store::pods
