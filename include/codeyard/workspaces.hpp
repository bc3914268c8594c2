// Workspaces: named, persistent sets of files (held in storage, see files.hpp) that come to
// life in a pod when someone opens them. The pod is created lazily on the first open, exec
// or terminal, gets every stored file in one stream, and is kept in step with storage by a
// two-way sync after each exec (and, in step 4, each terminal command). Idle pods are
// stopped after a final sync; a pod that dies is replaced on the next open, from storage,
// with no stored file lost. Which pod serves a workspace is a lease in storage (the pods
// row), so several Workspaces objects, one per server replica on one database and executor,
// serve every workspace alike (docs/workspaces.md, "Leases"). Every call names the calling
// user; another user's workspace behaves as one that does not exist. A Workspaces object is
// safe to use from many threads; calls on one workspace are serialized on this replica, and
// across replicas by the lease.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/backend/executor.hpp"
#include "codeyard/config.hpp"
#include "codeyard/error.hpp"
#include "codeyard/exec_limits.hpp"
#include "codeyard/files.hpp"
#include "codeyard/images.hpp"
#include "codeyard/limits.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/records.hpp"
#include "codeyard/run.hpp"

namespace codeyard {

struct SyncConflict {
  std::string path;           // kept as storage had it
  std::string conflict_path;  // the pod's version, saved beside it
};

struct SyncSkip {
  std::string path;
  std::string reason;  // one line for people: "files: a.bin is 20971520 bytes, over ..."
  // What refused it, for programs: "symlink" (never synced, by design), "name" (the path
  // rule, NormalizePath), a limit key ("files.max_file_bytes", "files.max_workspace_entries",
  // ...), "kind" (a file on one side, a folder on the other) or "busy" (changed through the
  // API during the pass; the next pass takes it).
  std::string rule;
  // Everything but a symlink is pod content that storage does not hold: it stays in the pod
  // (the sync never deletes it there) and a stop refuses to discard it.
  [[nodiscard]] bool unstored() const { return rule != "symlink"; }
};

// SyncReport::skipped lists at most this many entries; skipped_total counts them all.
inline constexpr std::size_t kMaxSyncSkipsListed = 100;

// What one sync pass did. bytes_from_pod counts file content read out of the pod: a pass in
// which nothing changed reads none (the pod's listing compares size and mtime first).
struct SyncReport {
  int pushed = 0;  // files and folders written into the pod
  int pulled = 0;  // files and folders stored from the pod
  int deleted_in_pod = 0;
  int deleted_in_storage = 0;
  int renamed_in_storage = 0;  // pod-side renames applied as moves (history kept)
  std::vector<SyncConflict> conflicts;
  std::vector<SyncSkip> skipped;  // the first kMaxSyncSkipsListed, in path order
  int skipped_total = 0;          // every skip, listed or not
  int unstored = 0;               // skips that are pod content storage lacks (not symlinks)
  uint64_t bytes_from_pod = 0;
  uint64_t bytes_to_pod = 0;
};

struct WorkspaceOptions {
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(15)};
  std::chrono::milliseconds start_timeout{std::chrono::seconds(30)};
  // How long a workspace pod lives with no process holding it (PodSpec::orphan_timeout;
  // workspace.pod_orphan_timeout_s).
  std::chrono::milliseconds pod_orphan_timeout{std::chrono::minutes(10)};
  int max_running_per_user = 3;
  int max_running_total = 32;
  // A pod starts only when the memory every running pod's limit reserves, its own included,
  // fits here (workspace.memory_capacity_bytes); 0 = DefaultMemoryCapacity().
  uint64_t memory_capacity_bytes = 0;
  int max_workspaces_per_user = 100;  // workspace.max_per_user: workspaces one user may own
  FileLimits file_limits;
  // Limits of workspace pods (labels are added). The workspace and /tmp caps default to
  // twice the workspace file cap, so build output fits beside the sources.
  ResourceLimits pod_limits{uint64_t{1} << 30,   1.0, 256, uint64_t{200} << 20, uint64_t{256} << 20,
                            uint64_t{100} << 20, 1024};
  bool pod_network = false;
  // SyncSoon runs at most one pass per workspace in this window (a busy terminal).
  std::chrono::milliseconds sync_debounce{2000};
  // Creations and execs per user, concurrent execs (the other fields are for Accounts).
  UsageLimits limits;
  ExecSpecLimits exec_limits;  // what Exec's commands may be given (ValidateExecSpec)
  // Leases (docs/workspaces.md): this replica's name in the pods table (server.replica_id;
  // empty: DefaultReplicaId()), how long a lease lasts unrenewed (workspace.lease_s) and how
  // often a thread renews this replica's leases (workspace.lease_renew_s; 0: no thread, the
  // caller calls RenewLeases, as tests on a ManualClock do).
  std::string replica_id;
  std::chrono::milliseconds lease{std::chrono::seconds(15)};
  std::chrono::milliseconds lease_renew{std::chrono::seconds(5)};
  // meter20: how often the thread samples the CPU counter of every pod this replica holds
  // (usage.sample_interval_s; 0: no thread, the caller calls SampleUsage, as tests do).
  std::chrono::milliseconds usage_sample{std::chrono::seconds(30)};
  // Where the images a workspace may name live (codeyard/images.hpp): set from images.dir
  // for the local backend, whose pods need the image there. Empty: names are not checked
  // here (the executor refuses an unknown one when the pod starts).
  std::string images_dir;
};

// "<hostname>-<pid>-<8 random hex digits>": distinct for every process, even two on one host
// or a process that reuses a dead one's pid.
[[nodiscard]] std::string DefaultReplicaId();

// The options a Config names (workspace.* and files.* keys); the rest keep their defaults.
[[nodiscard]] WorkspaceOptions WorkspaceOptionsFrom(const Config& config);

// How often the idle reaper should run for these options: half the idle timeout and at most
// one lease (so a dead replica's idle workspaces are stopped within about a lease of their
// idle time), between 1 s and 60 s. Each run is one storage query per replica.
[[nodiscard]] std::chrono::milliseconds IdleReaperPeriod(const WorkspaceOptions& options);

// The host's MemTotal (/proc/meminfo) minus a reserve for the server, the database and the
// run pool: a quarter of it, at least 1 GiB. At least one 1 GiB pod fits on any host.
[[nodiscard]] uint64_t DefaultMemoryCapacity();

// What Workspaces::StopAll did.
struct StopAllReport {
  int synced = 0;       // final sync done, then stopped
  int sync_failed = 0;  // the final sync did not complete (logged): the pod was NOT deleted
  int unsynced = 0;     // reached after the deadline: left running, not deleted
};

// The last sync pass of a workspace on this server, for the IDE and the API.
struct SyncStatus {
  std::optional<int64_t> last_pass_at;  // ms since the epoch; none before the first pass
  bool ok = true;                       // false: the last pass failed (see error)
  std::string error;
  std::vector<SyncSkip> skipped;  // of the last pass, at most kMaxSyncSkipsListed
  int skipped_total = 0;
  int unstored = 0;  // pod files storage does not hold; a stop refuses while this is > 0
};

// The result of running a command in a workspace.
struct WorkspaceExec {
  ExitStatus status;
  Verdict verdict = Verdict::kInternalError;  // Classify(status, spec): the run's verdict rules
  std::string stdout_data;
  std::string stderr_data;
  SyncReport sync;  // the pass that ran after the command
};

// A command started by Workspaces::Start that runs on while its caller drives it (an
// interactive run: codeyard/run_session.hpp).
struct WorkspaceProcess {
  std::unique_ptr<Process> process;
  std::string pod_id;
  // Call once, after the process ended: syncs both ways, so what it wrote is stored, and gives
  // back the exec slots it holds (exec.max_concurrent_*). Destroying the object without it
  // gives the slots back too.
  std::function<Result<SyncReport>()> finish;
};

// A replica's lease heartbeat (the replica-heartbeat alert of k8s/monitoring watches it).
struct LeaseHeartbeat {
  // Milliseconds, by the platform's clock, since the last lease renewal pass (or since
  // construction) that renewed every lease the replica held. A replica whose renewals fail
  // lets it grow towards lease_ms, when its leases lapse and other replicas take them.
  int64_t age_ms = 0;
  int64_t lease_ms = 0;  // WorkspaceOptions::lease
};

// What one Workspaces object has done since it was made, for metrics.
struct WorkspaceStats {
  uint64_t sync_passes = 0;    // two-way passes of every kind (after exec, terminal, stop, Sync)
  uint64_t sync_failures = 0;  // passes that ended in an error
  // SyncSoon's requests the background thread has dealt with: a pass run (or failed), or none
  // needed (not running here, or left to the lease's holder).
  uint64_t sync_requests_served = 0;
  uint64_t sync_skipped = 0;   // pod entries left unstored by passes (name, caps, quotas)
  uint64_t stops_refused = 0;  // stops (API, idle, shutdown) that kept a pod: sync incomplete
  // Pods deleted as hung: one that did not end an exec 10 s past its wall limit (see Exec), or
  // left two usage samples in a row unanswered (WorkspaceOptions::usage_sample).
  uint64_t hung_pods_replaced = 0;
  uint64_t bytes_to_pod = 0;    // file content written into pods, first seeding included
  uint64_t bytes_from_pod = 0;  // file content read out of pods
  int64_t running = 0;          // workspaces whose pod lease this replica holds now
};

class Workspaces {
 public:
  Workspaces(std::shared_ptr<Platform> platform, std::shared_ptr<Executor> executor,
             WorkspaceOptions options = {});
  Workspaces(const Workspaces&) = delete;
  Workspaces& operator=(const Workspaces&) = delete;
  ~Workspaces();  // StopAll without a deadline: stops every pod whose lease it holds

  // Names: 1-100 characters under the rule of NormalizeName (stored NFC), unique per user
  // (kAlreadyExists). kNotFound for an unknown user; kResourceExhausted past
  // max_workspaces_per_user. `image` names the image its pods run on ("" = the backend's
  // default); with WorkspaceOptions::images_dir set it must be one there (kInvalidArgument
  // naming it otherwise). `org` (an id or a slug) is the organization it belongs to, one the
  // user is a member of (kNotFound otherwise); "" = the user's personal organization
  // (codeyard/orgs.hpp).
  [[nodiscard]] Result<Workspace> Create(std::string_view user_id, std::string_view name,
                                         std::string_view image = {}, std::string_view org = {});
  // The images a workspace may name (WorkspaceOptions::images_dir), by name; none when that
  // is empty.
  [[nodiscard]] Result<std::vector<images::ImageInfo>> Images() const;
  // Every workspace of the user, oldest first (created_at, then id).
  [[nodiscard]] Result<std::vector<Workspace>> List(std::string_view user_id);
  // One page of List, in the same order.
  [[nodiscard]] Result<Page<Workspace>> List(std::string_view user_id, const PageRequest& page);
  [[nodiscard]] Result<Workspace> Get(std::string_view user_id, std::string_view workspace_id);
  // kConflict when `expected_version` is stale; kAlreadyExists when the user has another
  // workspace of that name.
  [[nodiscard]] Result<Workspace> Rename(std::string_view user_id, std::string_view workspace_id,
                                         std::string_view name,
                                         std::optional<int64_t> expected_version = std::nullopt);
  // The owner turns sharing of the workspace's terminal on or off (the assigned reviewer of
  // an in_review review may then watch it read-only: Reviews::AuthorizeTerminalWatch).
  // kNotFound for anyone else's workspace.
  [[nodiscard]] Result<Workspace> SetTerminalShared(std::string_view user_id,
                                                    std::string_view workspace_id, bool shared);
  // Stops the pod (no final sync: the files go too) and removes the workspace with its files.
  [[nodiscard]] Result<void> Delete(std::string_view user_id, std::string_view workspace_id);

  // Makes sure the workspace's pod runs (stopped -> starting -> running), creating it and
  // writing the files in if needed, or using the pod another replica's live lease names.
  // kResourceExhausted past a running-pod limit (counted over every replica; the message
  // names it); kDeadlineExceeded when the pod is not ready within start_timeout.
  [[nodiscard]] Result<Workspace> Open(std::string_view user_id, std::string_view workspace_id);

  // Final sync, then deletes the pod (running -> stopping -> stopped). Fine when stopped.
  // When the final sync does not complete (it failed, or left pod files that storage does
  // not hold: a refused name, a cap, a quota) the pod is kept running with its files and the
  // call fails (kFailedPrecondition naming what to fix; other codes for a storage failure).
  [[nodiscard]] Result<void> Stop(std::string_view user_id, std::string_view workspace_id);

  // The workspace's last sync pass on this server (kNotFound like Get).
  [[nodiscard]] Result<SyncStatus> GetSyncStatus(std::string_view user_id,
                                                 std::string_view workspace_id);

  // Runs a command in the workspace (opening it if needed): syncs storage into the pod,
  // runs the command to the end, then syncs both ways. A pod that has not ended the command 10 s
  // past its wall_time_limit is not answering (stopped, frozen, its init wedged):
  // kDeadlineExceeded, and the pod is deleted, so the workspace's next call starts a new one from
  // storage (what the hung pod changed since its last sync pass is lost; everything acknowledged is
  // stored).
  [[nodiscard]] Result<WorkspaceExec> Exec(std::string_view user_id, std::string_view workspace_id,
                                           const ExecSpec& spec);

  // Exec's first half, for a caller that drives the process itself: the same caps, rate
  // limit, spec validation and sync into the pod, then the process is started and returned.
  [[nodiscard]] Result<WorkspaceProcess> Start(std::string_view user_id,
                                               std::string_view workspace_id, const ExecSpec& spec);

  // One two-way sync pass now.
  [[nodiscard]] Result<SyncReport> Sync(std::string_view user_id, std::string_view workspace_id);

  // Asks for a sync pass soon, on a background thread: the terminal calls this after each
  // command. Requests within sync_debounce of the last pass are merged into one pass at the
  // end of the window, so a busy terminal syncs at most once per window. No-op for a
  // workspace that is not running.
  void SyncSoon(std::string_view workspace_id);

  // Sync passes run so far by this object (all kinds), for tests and metrics.
  [[nodiscard]] uint64_t sync_passes() const;

  // Counters and the running-pod count; cheap (atomics only), safe from any thread.
  [[nodiscard]] WorkspaceStats Stats() const;

  // The lease heartbeat's age; cheap, safe from any thread.
  [[nodiscard]] LeaseHeartbeat Heartbeat() const;

  // The running pod of an open workspace (for terminals); opens it if needed. Refused
  // (kResourceExhausted) when the owner's CPU-seconds-per-day quota is used up.
  [[nodiscard]] Result<std::shared_ptr<Pod>> PodOf(std::string_view user_id,
                                                   std::string_view workspace_id);

  // meter20 (docs/usage.md): the CPU-seconds-per-day quota of the workspace's owner and
  // organization, for work started in its pod (a language server, a preview connection):
  // kResourceExhausted naming quota, limit and usage when it is used up.
  [[nodiscard]] Result<void> CheckCpuQuota(std::string_view workspace_id);

  // meter20: one sample of the CPU counter (Pod::CpuMs) of every pod whose lease this replica
  // holds, its growth recorded as the owner's usage (core/usage/pod_meter.hpp); a workspace
  // whose sample used up its owner's CPU-seconds-per-day quota is stopped (final sync first,
  // audited as workspace.quota_stop), which ends its terminals, language servers and
  // previews. Returns the pods sampled. The thread of WorkspaceOptions::usage_sample calls it.
  int SampleUsage();

  // The workspace's pod if it runs now, whoever holds its lease, for a caller that only
  // watches (a reviewer watching the author's terminal): it opens, claims, renews and
  // touches nothing, so it never starts, keeps alive or moves a workspace. No user check:
  // the caller has decided who may see the pod. kFailedPrecondition when the workspace is
  // not running (no live lease naming a running pod); storage errors as usual.
  [[nodiscard]] Result<std::shared_ptr<Pod>> RunningPod(std::string_view workspace_id);

  // Stops every pod idle (no exec, terminal input or file operation) for longer than
  // idle_timeout whose lease this replica holds or has expired (its replica died); returns
  // how many. Also deletes workspace pods no lease names, once older than one lease. A pod
  // whose final sync does not complete is kept (logged, counted in stops_refused) and tried
  // again at the next sweep. StartIdleReaper runs it every `period` on a thread.
  [[nodiscard]] Result<int> StopIdle();
  void StartIdleReaper(std::chrono::milliseconds period);

  // Stops every pod whose lease this replica holds, as a server does on its way out: each
  // gets a final sync (what commands wrote since the last one is stored) and is logged. A pod
  // whose final sync does not complete, or that is reached after `deadline`, is not deleted:
  // it keeps its files under its lease, for the replica that takes the lease over once it
  // expires. Sequential; a sync under way is not cut short, so the caller allows for one
  // pass past the deadline.
  [[nodiscard]] StopAllReport StopAll(std::chrono::steady_clock::time_point deadline);

  // Hands every lease this replica holds over without stopping the pods, as a replica does
  // on its way out in a rolling restart: a final sync each (what commands wrote is stored),
  // then the lease is ended at once, so any other replica (or this one's successor) takes
  // the workspace over at its next request, pod, shells and all. A pass that fails or is
  // reached after `deadline` leaves the lease to expire by itself (the next holder adopts the
  // pod and syncs it then). Returns how many were handed over after a completed pass.
  int HandOff(std::chrono::steady_clock::time_point deadline);

  // Records activity on a workspace (terminal input) so it is not stopped as idle.
  void Touch(std::string_view workspace_id);

  // Renews every lease this replica holds (the heartbeat thread calls it every lease_renew).
  // A lease another replica took over meanwhile is dropped: this replica stops acting for
  // that pod (its cached Pod may still serve terminals). Returns how many were renewed.
  int RenewLeases();

  // This replica's name in the pods table.
  [[nodiscard]] const std::string& replica_id() const;

  [[nodiscard]] const WorkspaceOptions& options() const;

 private:
  class Impl;
  std::shared_ptr<Platform> platform_;  // before impl_, which uses it until destroyed
  std::unique_ptr<Impl> impl_;
};

}  // namespace codeyard
