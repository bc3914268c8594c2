// The inside of Workspaces (codeyard/workspaces.hpp), shared by its two halves:
// workspaces.cpp (records, names, sync passes, threads) and workspace_leases.cpp (pods on
// leases: open, adopt, stop, reap, renew). Not a public interface.
//
// Truth lives in storage: the `pods` row says which pod serves a workspace and which replica
// holds it (store/pods.hpp). What an Impl keeps in memory is a cache: the Pod object it last
// resolved for a workspace and the lease generation it holds, if any. Threads: mu_ guards
// entries_ and every Entry's cached fields; Entry::mu serializes the lifecycle and sync
// passes of one workspace on this replica (across replicas, the lease does).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "codeyard/limits.hpp"
#include "codeyard/workspaces.hpp"
#include "core/store/pods.hpp"
#include "core/sync/sync_engine.hpp"

namespace codeyard {

class Workspaces::Impl {
 public:
  Impl(Platform& platform, std::shared_ptr<Executor> executor, WorkspaceOptions options);
  ~Impl();

  struct Entry {
    std::mutex mu;  // serializes lifecycle and sync passes of one workspace on this replica
    // Guarded by Impl::mu_:
    std::shared_ptr<Pod> pod;  // the pod last resolved for it (any replica's)
    int64_t generation = 0;    // > 0: this replica holds the lease at this generation
    std::string owner_id;
    SyncStatus sync;
    // faults21: the workspace's last_active_at as this replica's last renewal of the lease
    // read it (0: not read since the lease was claimed). A move means activity, perhaps on
    // another replica: the renewal asks for a pass.
    int64_t active_seen = 0;
    // Usage samples in a row that the pod did not answer (kDeadlineExceeded): at
    // kHungPodSamples the pod is taken as hung and replaced (SampleUsage).
    int unanswered_samples = 0;
  };

  // How much of a workspace a call needs.
  enum class Need {
    kServe,   // its running pod, whoever holds the lease (terminals, Open)
    kHold,    // the lease too (sync passes: exec, sync): taken over from a live holder
    kRescue,  // the reaper taking over an expired lease: never a live one, and no activity
  };

  // workspaces.cpp
  Result<Workspace> Create(std::string_view user_id, std::string_view name, std::string_view image,
                           std::string_view org);
  Result<std::vector<Workspace>> List(std::string_view user_id);
  Result<Page<Workspace>> List(std::string_view user_id, const PageRequest& page);
  Result<SyncStatus> GetSyncStatus(std::string_view user_id, std::string_view id);
  Result<Workspace> Get(std::string_view user_id, std::string_view id);
  Result<Workspace> Rename(std::string_view user_id, std::string_view id, std::string_view name,
                           std::optional<int64_t> expected_version);
  Result<Workspace> SetTerminalShared(std::string_view user_id, std::string_view id, bool shared);
  Result<WorkspaceExec> Exec(std::string_view user_id, std::string_view id, const ExecSpec& spec);
  Result<WorkspaceProcess> Start(std::string_view user_id, std::string_view id,
                                 const ExecSpec& spec);
  Result<SyncReport> Sync(std::string_view user_id, std::string_view id);
  void StartIdleReaper(std::chrono::milliseconds period);
  void Touch(std::string_view id);
  void SyncSoon(std::string_view id);
  WorkspaceStats Stats() const;
  LeaseHeartbeat Heartbeat() const;
  const WorkspaceOptions& options() const { return options_; }
  uint64_t sync_passes() const { return passes_.load(); }
  const std::string& replica_id() const { return replica_; }

  // workspace_leases.cpp
  Result<void> Delete(std::string_view user_id, std::string_view id);
  Result<std::shared_ptr<Pod>> Open(std::string_view user_id, std::string_view id);
  Result<std::shared_ptr<Pod>> RunningPod(std::string_view id);
  Result<void> Stop(std::string_view user_id, std::string_view id);
  Result<int> StopIdle();
  StopAllReport StopAll(std::chrono::steady_clock::time_point deadline);
  int RenewLeases();
  void PassAfterActivity(const std::string& id, int64_t generation);
  int HandOff(std::chrono::steady_clock::time_point deadline);

  // workspace_meter.cpp (meter20)
  int SampleUsage();
  Result<void> CheckCpuQuota(const Workspace& ws);
  Result<void> CheckCpuQuota(std::string_view id);
  // One sample of `pod`, the workspace's, logged when it fails; kUnimplemented when the pod
  // has no counter.
  Result<int64_t> Meter(const Workspace& ws, Pod& pod, bool* pod_unanswered = nullptr);
  // The same, for a workspace known by id (its row read for owner and organization).
  void MeterById(std::string_view id, Pod& pod);

 private:
  // workspaces.cpp
  Result<SyncReport> RunSync(std::string_view id, Pod& pod, int64_t generation);
  // A sync pass as the lease holder (the caller holds entry.mu, `pod` came from
  // AcquireLocked(kHold)): when another replica took the lease meanwhile, it is taken back
  // once and the pass runs again on the same pod.
  Result<SyncReport> SyncAsHolder(const Workspace& ws, Entry& entry,
                                  const std::shared_ptr<Pod>& pod);
  void Record(std::string_view id, const Result<SyncReport>& report);
  void Count(const SyncReport& report);
  void DebounceLoop();
  // True when another replica holds a live lease on the workspace's running pod (faults21:
  // a debounced pass then leaves the pass to that holder instead of taking the lease).
  bool HeldElsewhere(std::string_view id, const Entry& entry);
  void HeartbeatLoop();
  void MeterLoop();  // workspace_meter.cpp
  // A sample used up the owner's CPU quota: the workspace is stopped and that is audited.
  void QuotaStop(const Workspace& ws, const Error& refusal);
  // Deletes a pod that stopped answering, without the workspace's lock (a pass stuck on the pod
  // may hold it): the workspace's next call starts a new pod from storage, as after a pod
  // killed from outside (AcquireLocked). Logged with `why` and counted in hung_pods_replaced.
  void ReplaceHungPod(std::string_view id, const std::string& pod_id, std::string_view why);
  std::shared_ptr<Entry> EntryFor(std::string_view id, std::string_view owner_id);
  std::shared_ptr<Entry> FindEntry(std::string_view id);

  // workspace_leases.cpp
  // The workspace's pod, claiming the lease, adopting or starting a pod as needed; the
  // caller holds entry.mu.
  Result<std::shared_ptr<Pod>> AcquireLocked(const Workspace& ws, Entry& entry, Need need);
  Result<std::shared_ptr<Pod>> Adopt(const Workspace& ws, Entry& entry, const PodRecord& lease,
                                     std::shared_ptr<Pod> pod, bool activity);
  Result<std::shared_ptr<Pod>> StartNew(const Workspace& ws, Entry& entry, const PodRecord& lease);
  Result<std::shared_ptr<Pod>> StartPod(const Workspace& ws);
  Result<store::pods::Claimed> Claim(std::string_view id, std::string_view owner_id, bool take_live,
                                     bool check_limits);
  // Moves the workspace's state to `to` as the lease holder: a compare-and-swap of the state
  // read in a transaction fenced on (replica_, generation).
  Result<void> Transition(std::string_view id, int64_t generation, WorkspaceState to);
  // Gives the lease up and marks the workspace stopped, in one fenced transaction.
  Result<void> ReleaseLease(std::string_view id, int64_t generation);
  // Caches `pod` as the workspace's, held at `generation` (0: another replica's lease).
  void Cache(Entry& entry, std::shared_ptr<Pod> pod, int64_t generation);
  Result<void> StopPod(std::string_view id, bool take_live,
                       std::optional<Result<SyncReport>>* sync_result = nullptr);
  void SweepOrphans();

  // Retry-After of a refusal that another user's stop may lift soon.
  static constexpr int64_t kFullRetryAfterS = 30;

  Platform& platform_;
  std::shared_ptr<Executor> executor_;
  WorkspaceOptions options_;
  uint64_t memory_capacity_;
  std::string replica_;
  RateLimiter limiter_{platform_.storage(), platform_.clock()};  // creations, execs
  ConcurrencyLimiter exec_slots_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>, std::less<>> entries_;
  std::mutex reaper_mu_;
  std::condition_variable reaper_wake_;
  bool stopping_ = false;        // guarded by reaper_mu_; ends the reaper
  bool heartbeat_stop_ = false;  // guarded by reaper_mu_; ends the heartbeat, after StopAll
  std::thread reaper_;
  std::thread heartbeat_;
  std::thread meter_;  // meter20: samples the held pods' CPU counters (reaper_mu_, stopping_)
  std::atomic<uint64_t> passes_{0};
  std::atomic<uint64_t> sync_failures_{0};
  std::atomic<uint64_t> sync_skipped_{0};
  std::atomic<uint64_t> stops_refused_{0};
  std::atomic<uint64_t> hung_pods_replaced_{0};
  std::atomic<uint64_t> sync_requests_served_{0};
  std::atomic<uint64_t> bytes_to_pod_{0};
  std::atomic<uint64_t> bytes_from_pod_{0};
  std::atomic<int64_t> running_{0};  // entries with a pod and generation > 0 (under mu_)
  // mon20: clock time (ms) the last renewal pass started that renewed every lease it held;
  // construction counts as one (nothing was held).
  std::atomic<int64_t> last_renewal_ms_{0};
  std::mutex debounce_mu_;
  std::condition_variable debounce_wake_;
  bool debounce_stop_ = false;
  std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> pending_;
  std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> last_pass_;
  std::thread debouncer_;
};

}  // namespace codeyard
