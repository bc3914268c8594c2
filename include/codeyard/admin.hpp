// Administration (issue 20, docs/admin.md): what an admin sees and does across every user, on
// every replica sharing the storage. Users (list and search, disable and enable, role, reviewer
// level, force logout), workspaces and their pods (list by owner or state, stop), the job queue
// (depth, running, stuck past their lease; retry or cancel one), the replicas (their heartbeats
// and the leases they hold), the health of storage and executor, and the audit log (filter,
// export, the retention sweep). Every call takes the acting user and first checks that it is
// an enabled admin: anyone else gets kNotFound, as for other people's resources, so a caller
// learns nothing from being refused. Every change is recorded in the audit log in the
// transaction that makes it (codeyard/audit.hpp).
//
// A disabled or logged-out user's sessions end everywhere without a message between replicas:
// their refresh tokens are revoked in storage, access tokens are checked against storage on
// every request, and each replica's terminals and interactive runs re-check their viewers'
// logins every terminal.reauth_interval_s, closing those that ended.
//
// Background work (when started): a heartbeat of this replica into the `replicas` table every
// few seconds, and the audit retention sweep (audit.retention_days) once an hour under a lease,
// so one replica does it. Threading: every call is safe from many threads; Start once; the
// destructor stops the background thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/accounts.hpp"
#include "codeyard/audit.hpp"
#include "codeyard/config.hpp"
#include "codeyard/error.hpp"
#include "codeyard/files.hpp"
#include "codeyard/jobs.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/records.hpp"
#include "codeyard/workspaces.hpp"

namespace codeyard {

struct AdminOptions {
  std::string replica_id;  // this replica's name (server.replica_id); empty: the workspaces'
  // audit.retention_days: records older than this are deleted by the sweep; 0 keeps them all.
  int retention_days = 365;
  std::chrono::milliseconds heartbeat_interval{5000};
  std::chrono::milliseconds sweep_interval = std::chrono::hours(1);
  // org20 (replicas.prune_after_s): each heartbeat deletes the rows of replicas whose last
  // heartbeat is older than this (they died or were scaled away); zero keeps them all.
  std::chrono::seconds prune_after = std::chrono::hours(1);
};

[[nodiscard]] AdminOptions AdminOptionsFrom(const Config& config);

// Users: a search matches a substring of the username or display name, in any case; the
// cursor is the last username of the previous page.
struct UserQuery {
  std::string search;
  PageRequest page;
};

// Workspaces of every user; the cursor is the last id of the previous page.
struct WorkspaceQuery {
  std::optional<std::string> owner_id;
  std::optional<WorkspaceState> state;
  PageRequest page;
};

struct AdminWorkspace {
  Workspace workspace;
  std::string owner_username;
  std::optional<PodRecord> pod;  // the lease row, when one exists (released ones too)
};

struct AdminJobStats {
  QueueStats queue;
  int64_t stuck = 0;  // running jobs whose lease ended (their worker is gone)
};

// The jobs of one state across users, newest first; `stuck` lists running jobs past their
// lease. The cursor is the last id of the previous page.
enum class JobFilter { kQueued, kRunning, kStuck, kDone };
[[nodiscard]] Result<JobFilter> ParseJobFilter(std::string_view text);

struct ReplicaInfo {
  std::string id;
  std::string version;  // empty for a replica seen only through its leases
  int64_t started_at = 0;
  int64_t heartbeat_at = 0;  // 0: never wrote one (an older build, or gone before migration 19)
  int64_t pods_held = 0;     // live workspace pod leases
  int64_t jobs_held = 0;     // running jobs whose lease it holds
};

struct HealthPart {
  bool ok = false;
  std::string backend;
  std::string message;  // the error when not ok
  int64_t latency_us = 0;
};

struct AdminHealth {
  HealthPart storage;
  HealthPart executor;
};

class Admin {
 public:
  Admin(std::shared_ptr<Platform> platform, std::shared_ptr<Accounts> accounts,
        std::shared_ptr<Workspaces> workspaces, std::shared_ptr<Jobs> jobs, AdminOptions options);
  Admin(const Admin&) = delete;
  Admin& operator=(const Admin&) = delete;
  ~Admin();

  // Starts the heartbeat and the retention sweep.
  void Start();

  // kNotFound "not found" unless `acting` is an enabled admin.
  [[nodiscard]] Result<void> RequireAdmin(std::string_view acting) const;

  [[nodiscard]] Result<Page<User>> ListUsers(std::string_view acting, const UserQuery& query) const;
  // The Accounts admin setters (their rules: no self-demotion or self-disable), audited.
  [[nodiscard]] Result<User> SetDisabled(std::string_view acting, std::string_view user_id,
                                         bool disabled);
  [[nodiscard]] Result<User> SetRole(std::string_view acting, std::string_view user_id, Role role);
  [[nodiscard]] Result<User> SetReviewerLevel(std::string_view acting, std::string_view user_id,
                                              int level);
  // Ends every login of the user (their refresh tokens revoked); returns how many tokens ended.
  [[nodiscard]] Result<int64_t> ForceLogout(std::string_view acting, std::string_view user_id);

  [[nodiscard]] Result<Page<AdminWorkspace>> ListWorkspaces(std::string_view acting,
                                                            const WorkspaceQuery& query) const;
  // Stops a workspace of any user (its pod ends after a final sync), audited. Blocks like
  // Workspaces::Stop.
  [[nodiscard]] Result<void> StopWorkspace(std::string_view acting, std::string_view workspace_id);

  [[nodiscard]] Result<AdminJobStats> JobStats(std::string_view acting) const;
  [[nodiscard]] Result<Page<Job>> ListJobs(std::string_view acting, JobFilter filter,
                                           const PageRequest& page) const;
  // A done job queued again with a fresh attempt budget (its result cleared); kFailedPrecondition
  // for a job not done.
  [[nodiscard]] Result<Job> RetryJob(std::string_view acting, std::string_view job_id);
  // A queued or running job finished as "cancelled" at once; a worker still running it loses
  // its claim (fenced) and its result is dropped. kFailedPrecondition for a job already done.
  [[nodiscard]] Result<Job> CancelJob(std::string_view acting, std::string_view job_id);

  // org20: the replicas with a heartbeat row, live (a heartbeat within kStaleHeartbeats
  // intervals) and stale (older; pruned after prune_after), for the codeyard_replicas metric.
  // No caller check: the server's metrics read it.
  struct ReplicaCounts {
    int64_t live = 0;
    int64_t stale = 0;
  };
  [[nodiscard]] Result<ReplicaCounts> CountReplicas() const;
  static constexpr int kStaleHeartbeats = 3;

  // Replicas seen in the heartbeats or holding a lease, by id.
  [[nodiscard]] Result<std::vector<ReplicaInfo>> Replicas(std::string_view acting) const;
  [[nodiscard]] Result<AdminHealth> Health(std::string_view acting) const;

  // The audit log, newest first; the cursor is the last id of the previous page. The limit
  // may go to kMaxAuditPage (exports read page after page).
  [[nodiscard]] Result<Page<AuditEntry>> Audit(std::string_view acting, const AuditFilter& filter,
                                               const PageRequest& page) const;
  static constexpr int64_t kMaxAuditPage = 1000;

  // One pass of the retention sweep (what the background thread runs): records past
  // retention_days deleted when this replica gets the sweep's lease; nullopt when another
  // replica holds it or retention is 0.
  [[nodiscard]] Result<std::optional<int64_t>> SweepAudit();
  // One heartbeat of this replica; then deletes the replicas' rows past prune_after.
  [[nodiscard]] Result<void> Heartbeat();

  [[nodiscard]] const std::string& replica_id() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace codeyard
