// Workspaces: records, names, sync passes and the background threads (see
// codeyard/workspaces.hpp); pods on leases are in workspace_leases.cpp.
#include "codeyard/workspaces.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <map>
#include <mutex>

#include "codeyard/id.hpp"
#include "codeyard/images.hpp"
#include "core/files/file_ops.hpp"
#include "core/files/pages.hpp"
#include "core/orgs/org_rules.hpp"
#include "core/store/blobs.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "core/store/workspaces.hpp"
#include "core/try.hpp"
#include "core/usage/pod_meter.hpp"
#include "core/usage/record.hpp"
#include "core/workspaces/fenced_pod.hpp"
#include "core/workspaces/fenced_storage.hpp"
#include "core/workspaces/workspace_rules.hpp"
#include "core/workspaces/workspaces_impl.hpp"

namespace codeyard {
namespace {

// How long past an exec's wall-time limit the library waits for the pod to report the end
// (the pod's init enforces the limit): a pod that is hung (stopped, starved) gets no longer,
// so a request never waits on it forever (fault21: SIGSTOP of a pod under an exec).
constexpr std::chrono::seconds kPodAnswerGrace{10};

Error NameTaken(std::string_view name) {
  return {Error::Code::kAlreadyExists,
          "you already have a workspace named \"" + std::string(name) + "\"; pick another name"};
}

}  // namespace

std::string DefaultReplicaId() {
  char host[256] = {};
  std::string name = ::gethostname(host, sizeof(host) - 1) == 0 ? host : "local";
  return name + "-" + std::to_string(::getpid()) + "-" + NewUuid().substr(0, 8);
}

Workspaces::Impl::Impl(Platform& platform, std::shared_ptr<Executor> executor,
                       WorkspaceOptions options)
    : platform_(platform),
      executor_(std::move(executor)),
      options_(std::move(options)),
      memory_capacity_(options_.memory_capacity_bytes != 0 ? options_.memory_capacity_bytes
                                                           : DefaultMemoryCapacity()),
      replica_(options_.replica_id.empty() ? DefaultReplicaId() : options_.replica_id) {
  last_renewal_ms_ = platform_.clock().NowMillis();
  if (options_.lease_renew.count() > 0) heartbeat_ = std::thread([this] { HeartbeatLoop(); });
  if (options_.usage_sample.count() > 0) meter_ = std::thread([this] { MeterLoop(); });
}

Workspaces::Impl::~Impl() {
  {
    std::lock_guard lock(reaper_mu_);
    stopping_ = true;
  }
  reaper_wake_.notify_all();
  if (reaper_.joinable()) reaper_.join();
  if (meter_.joinable()) meter_.join();  // StopAll below samples each pod before it stops
  {
    std::lock_guard lock(debounce_mu_);
    debounce_stop_ = true;
  }
  debounce_wake_.notify_all();
  if (debouncer_.joinable()) debouncer_.join();
  // Pods whose lease this replica holds get their final sync and stop, as before leases; the
  // heartbeat runs on meanwhile, so no lease lapses during a slow final sync.
  (void)StopAll(std::chrono::steady_clock::time_point::max());
  {
    std::lock_guard lock(reaper_mu_);
    heartbeat_stop_ = true;
  }
  reaper_wake_.notify_all();
  if (heartbeat_.joinable()) heartbeat_.join();
}

Result<Workspace> Workspaces::Impl::Create(std::string_view user_id, std::string_view name,
                                           std::string_view image, std::string_view org) {
  CY_TRY(const std::string valid, workspaces::ValidName(name));
  if (!image.empty()) {
    CY_CHECK(images::CheckKnown(options_.images_dir, image));
    // The backend's own word (k8s: the names its URI maps), so a pod can start on it.
    CY_CHECK(executor_->CheckImage(image));
  }
  CY_CHECK(limiter_.Take(options_.limits.workspace_creates_per_user, user_id));
  const int64_t now = platform_.clock().NowMillis();
  Workspace ws;
  ws.id = NewUuid();
  ws.owner_id = std::string(user_id);
  ws.name = valid;
  ws.image = std::string(image);
  ws.created_at = ws.updated_at = ws.last_active_at = now;
  CY_CHECK(
      store::Transact(platform_.storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
        auto user = store::users::Get(tx, user_id);
        // Only a missing user is "not found": a storage failure is told as it is (fault21).
        if (!user && user.error().code() != Error::Code::kNotFound) return Fail(user.error());
        if (!user) return Fail(Error::Code::kNotFound, "user not found");
        CY_TRY(const store::workspaces::Usage usage, store::workspaces::UsageOf(tx, user_id));
        if (usage.workspaces >= options_.max_workspaces_per_user) {
          return Fail(Error(Error::Code::kResourceExhausted,
                            "workspaces: you have " + std::to_string(usage.workspaces) +
                                " workspaces, the most one user may own "
                                "(workspace.max_per_user); delete one first")
                          .WithLimit("workspace.max_per_user", 0));
        }
        // The organization it belongs to: one the user is a member of, or their personal one.
        CY_TRY(ws.org_id, orgs::ResolveFor(tx, user_id, org));
        CY_TRY(const auto taken, store::workspaces::FindByName(tx, user_id, valid));
        if (taken) return Fail(NameTaken(valid));
        auto inserted = store::workspaces::Insert(tx, ws);
        // A concurrent create of the same name loses on the unique index.
        if (!inserted && inserted.error().code() == Error::Code::kAlreadyExists) {
          return Fail(NameTaken(valid));
        }
        return inserted;
      }));
  return ws;
}

Result<std::vector<Workspace>> Workspaces::Impl::List(std::string_view user_id) {
  return store::Transact(platform_.storage(), TxKind::kRead, [&](Transaction& tx) {
    return store::workspaces::ListByOwner(tx, user_id);
  });
}

Result<Page<Workspace>> Workspaces::Impl::List(std::string_view user_id, const PageRequest& page) {
  CY_CHECK(files::CheckPageLimit(page));
  CY_TRY(const auto key, files::DecodeCreatedCursor("w", page.cursor));
  std::optional<store::workspaces::PageKey> after;
  if (key) after = store::workspaces::PageKey{key->created_at, key->id};
  return store::Transact(
      platform_.storage(), TxKind::kRead, [&](Transaction& tx) -> Result<Page<Workspace>> {
        CY_TRY(std::vector<Workspace> rows,
               store::workspaces::ListByOwnerAfter(tx, user_id, after, page.limit + 1));
        return files::PageOfRows(std::move(rows), page.limit, [](const Workspace& last) {
          return files::EncodeCreatedCursor("w", last.created_at, last.id);
        });
      });
}

Result<SyncStatus> Workspaces::Impl::GetSyncStatus(std::string_view user_id, std::string_view id) {
  CY_TRY(const Workspace ws, Get(user_id, id));
  std::lock_guard lock(mu_);
  const auto it = entries_.find(ws.id);
  if (it == entries_.end()) return SyncStatus{};
  return it->second->sync;
}

Result<Workspace> Workspaces::Impl::Get(std::string_view user_id, std::string_view id) {
  return store::Transact(platform_.storage(), TxKind::kRead,
                         [&](Transaction& tx) { return files::OwnedWorkspace(tx, user_id, id); });
}

Result<Workspace> Workspaces::Impl::Rename(std::string_view user_id, std::string_view id,
                                           std::string_view name,
                                           std::optional<int64_t> expected_version) {
  CY_TRY(const std::string valid, workspaces::ValidName(name));
  return store::Transact(
      platform_.storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<Workspace> {
        CY_TRY(Workspace ws, files::OwnedWorkspace(tx, user_id, id));
        if (expected_version && *expected_version != ws.version) {
          return Fail(Error::Code::kConflict, "workspace changed since version " +
                                                  std::to_string(*expected_version) +
                                                  "; reload it");
        }
        CY_TRY(const auto taken, store::workspaces::FindByName(tx, user_id, valid));
        if (taken && taken->id != ws.id) return Fail(NameTaken(valid));
        ws.name = valid;
        auto updated = store::workspaces::Update(tx, ws, platform_.clock().NowMillis());
        if (!updated && updated.error().code() == Error::Code::kAlreadyExists) {
          return Fail(NameTaken(valid));
        }
        return updated;
      });
}

Result<Workspace> Workspaces::Impl::SetTerminalShared(std::string_view user_id, std::string_view id,
                                                      bool shared) {
  return store::Transact(platform_.storage(), TxKind::kWrite,
                         [&](Transaction& tx) -> Result<Workspace> {
                           CY_TRY(const Workspace ws, files::OwnedWorkspace(tx, user_id, id));
                           return store::workspaces::SetTerminalShared(tx, ws.id, shared);
                         });
}

Result<WorkspaceProcess> Workspaces::Impl::Start(std::string_view user_id, std::string_view id,
                                                 const ExecSpec& spec) {
  // Refused at once, never queued (per process; rates in storage): docs/security/accounts.md.
  const std::array<ConcurrencyLimiter::Cap, 2> caps = {
      ConcurrencyLimiter::Cap{"exec.max_concurrent_per_user", "user:" + std::string(user_id),
                              options_.limits.exec_max_concurrent_per_user},
      ConcurrencyLimiter::Cap{"exec.max_concurrent_per_workspace", "ws:" + std::string(id),
                              options_.limits.exec_max_concurrent_per_workspace}};
  CY_TRY(auto exec_slots, exec_slots_.Acquire(caps));
  CY_CHECK(limiter_.Take(options_.limits.execs_per_user, user_id));
  CY_TRY(const Workspace ws, Get(user_id, id));
  CY_CHECK(ValidateExecSpec(spec, options_.exec_limits));  // before the pod starts
  // The organization's CPU-seconds-per-day quota, against what usage metering recorded today.
  CY_CHECK(CheckCpuQuota(ws));
  auto entry = EntryFor(ws.id, ws.owner_id);
  std::shared_ptr<Pod> pod;
  {
    std::lock_guard lock(entry->mu);
    CY_TRY(pod, AcquireLocked(ws, *entry, Need::kHold));
    CY_CHECK(SyncAsHolder(ws, *entry, pod));  // what the API changed goes in first
  }
  Touch(ws.id);
  auto started = pod->Exec(spec);
  if (!started && started.error().code() == Error::Code::kFailedPrecondition) {
    // The pod ended between the lease check and the exec (its init killed, crashed): once
    // more on what AcquireLocked finds now, a new pod from storage when that one is gone
    // (fault21: the first exec after a killed init answered 412 "pod ... went away").
    std::lock_guard lock(entry->mu);
    CY_TRY(pod, AcquireLocked(ws, *entry, Need::kHold));
    CY_CHECK(SyncAsHolder(ws, *entry, pod));
    started = pod->Exec(spec);
  }
  if (!started && started.error().code() == Error::Code::kFailedPrecondition) {
    return Fail(Error::Code::kUnavailable,
                "workspaces: the workspace's pod stopped; it starts again on the next "
                "request: " +
                    started.error().message());
  }
  CY_TRY(auto exec_process, std::move(started));
  // Usage metering: the executor's report of the process, recorded once it is known. Same
  // lifetime rule as `finish` below: the caller keeps this service while it holds the process.
  // A pod with a CPU counter is sampled instead of counting the process's own CPU time
  // (meter20): the counter has it, with whatever else the pod ran meanwhile.
  auto process = usage::Metered(
      std::move(exec_process), [this, ws, pod, user = std::string(user_id)](ExitStatus status) {
        auto counter = pod->CpuMs();
        if (!counter && counter.error().code() != Error::Code::kUnimplemented) {
          platform_.logger().Warn("usage: cannot sample a workspace pod's CPU",
                                  {{"workspace", ws.id}, {"error", counter.error().ToString()}});
        }
        // Without a counter the process's own CPU time counts; with one (even one that did
        // not answer now: its next sample has it), the counter's growth does.
        if (counter || counter.error().code() != Error::Code::kUnimplemented) status.cpu_ms = 0;
        auto recorded = store::Transact(
            platform_.storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
              const int64_t now = platform_.clock().NowMillis();
              if (counter) {
                CY_CHECK(usage::RecordPodCpu(tx, now, pod->id(), usage::ChargeOf(ws), *counter));
              }
              return usage::RecordRun(tx, now, usage::OrgOf(ws), user, status);
            });
        if (!recorded) {
          platform_.logger().Error("usage: cannot record a run",
                                   {{"user", user}, {"error", recorded.error().ToString()}});
        }
      });
  // std::function must be copyable: the slots (move-only) ride in a shared_ptr.
  auto slots = std::make_shared<ConcurrencyLimiter::Slots>(std::move(exec_slots));
  WorkspaceProcess out;
  out.process = std::move(process);
  out.pod_id = pod->id();
  out.finish = [this, ws, entry, pod, slots]() -> Result<SyncReport> {
    SyncReport report;
    {
      std::lock_guard lock(entry->mu);
      // Another replica may have taken the lease meanwhile (it syncs then): take it back, so
      // what the command wrote is stored before the caller says so.
      CY_TRY(auto now_pod, AcquireLocked(ws, *entry, Need::kHold));
      if (now_pod == pod) {
        CY_TRY(report, SyncAsHolder(ws, *entry, pod));
      }
    }
    Touch(ws.id);
    *slots = ConcurrencyLimiter::Slots();
    return report;
  };
  return out;
}

Result<WorkspaceExec> Workspaces::Impl::Exec(std::string_view user_id, std::string_view id,
                                             const ExecSpec& spec) {
  CY_TRY(WorkspaceProcess started, Start(user_id, id, spec));
  Process& process = *started.process;
  WorkspaceExec out;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (spec.wall_time_limit) {
    deadline = std::chrono::steady_clock::now() + *spec.wall_time_limit + kPodAnswerGrace;
  }
  while (true) {
    std::optional<std::chrono::milliseconds> wait;
    if (deadline) {
      wait = std::max(std::chrono::milliseconds(1),
                      std::chrono::duration_cast<std::chrono::milliseconds>(
                          *deadline - std::chrono::steady_clock::now()));
    }
    auto read = process.ReadOutput(wait);
    if (!read && read.error().code() == Error::Code::kDeadlineExceeded && deadline) {
      if (std::chrono::steady_clock::now() < *deadline) continue;
      // The pod's init ends every command at its wall limit: one that did not, kPodAnswerGrace
      // later, is not answering; the caller's process is killed with it.
      ReplaceHungPod(id, started.pod_id,
                     "workspaces: a pod did not end a command at its time limit; "
                     "deleting it, the next call starts a new one from storage");
      return Fail(Error::Code::kDeadlineExceeded,
                  "workspaces: the command did not end at its time limit: the workspace's pod "
                  "stopped answering and was replaced; files changed in it since they were last "
                  "stored are lost; run the command again");
    }
    CY_TRY(auto chunk, std::move(read));
    if (!chunk) break;
    (chunk->stream == OutputStream::kStdout ? out.stdout_data : out.stderr_data) += chunk->data;
  }
  CY_TRY(out.status, process.Wait());
  out.verdict = Classify(out.status, spec);
  CY_TRY(out.sync, started.finish());
  return out;
}

Result<SyncReport> Workspaces::Impl::Sync(std::string_view user_id, std::string_view id) {
  CY_TRY(const Workspace ws, Get(user_id, id));
  auto lease = store::Transact(platform_.storage(), TxKind::kRead,
                               [&](Transaction& tx) { return store::pods::Get(tx, ws.id); });
  // A storage failure is no answer about the lease: passed on, not "not running".
  if (!lease && lease.error().code() != Error::Code::kNotFound) return Fail(lease.error());
  if (!lease || lease->state != store::pods::kRunning) {
    return Fail(Error::Code::kFailedPrecondition, "workspace is not running");
  }
  auto entry = EntryFor(ws.id, ws.owner_id);
  std::lock_guard lock(entry->mu);
  CY_TRY(auto pod, AcquireLocked(ws, *entry, Need::kHold));
  return SyncAsHolder(ws, *entry, pod);
}

Result<SyncReport> Workspaces::Impl::SyncAsHolder(const Workspace& ws, Entry& entry,
                                                  const std::shared_ptr<Pod>& pod) {
  const auto generation = [&] {
    std::lock_guard lock(mu_);
    return entry.generation;
  };
  auto report = RunSync(ws.id, *pod, generation());
  if (report || !store::pods::IsStaleLease(report.error())) return report;
  CY_TRY(auto again, AcquireLocked(ws, entry, Need::kHold));
  if (again != pod) return report;  // the pod itself changed: the caller's pass is moot
  return RunSync(ws.id, *pod, generation());
}

void Workspaces::Impl::StartIdleReaper(std::chrono::milliseconds period) {
  std::lock_guard lock(reaper_mu_);
  if (reaper_.joinable()) return;
  reaper_ = std::thread([this, period] {
    std::unique_lock wait_lock(reaper_mu_);
    while (!reaper_wake_.wait_for(wait_lock, period, [&] { return stopping_; })) {
      wait_lock.unlock();
      if (auto done = StopIdle(); !done) {
        platform_.logger().Warn("idle workspace sweep failed",
                                {{"error", done.error().ToString()}});
      }
      // Rate-limit rows whose window is over would otherwise stay forever (one per user and
      // address that ever hit a limit); any replica's sweep clears them for all.
      if (auto swept = limiter_.DeleteExpired(); !swept) {
        platform_.logger().Warn("rate-limit sweep failed", {{"error", swept.error().ToString()}});
      }
      // Content blobs that nothing references any more (deleted workspaces, overwritten
      // files); a race with a new reference fails the batch harmlessly: the next sweep
      // retries (core/store/blobs.hpp).
      if (auto collected = store::blobs::CollectAll(platform_.storage()); !collected) {
        platform_.logger().Warn("blob sweep failed", {{"error", collected.error().ToString()}});
      }
      wait_lock.lock();
    }
  });
}

void Workspaces::Impl::HeartbeatLoop() {
  std::unique_lock wait_lock(reaper_mu_);
  while (!reaper_wake_.wait_for(wait_lock, options_.lease_renew, [&] { return heartbeat_stop_; })) {
    wait_lock.unlock();
    (void)RenewLeases();
    wait_lock.lock();
  }
}

void Workspaces::Impl::Touch(std::string_view id) {
  (void)store::Transact(platform_.storage(), TxKind::kWrite, [&](Transaction& tx) {
    return store::workspaces::Touch(tx, id, platform_.clock().NowMillis());
  });
}

WorkspaceStats Workspaces::Impl::Stats() const {
  WorkspaceStats stats;
  stats.sync_passes = passes_.load();
  stats.sync_failures = sync_failures_.load();
  stats.sync_skipped = sync_skipped_.load();
  stats.stops_refused = stops_refused_.load();
  stats.hung_pods_replaced = hung_pods_replaced_.load();
  stats.sync_requests_served = sync_requests_served_.load();
  stats.bytes_to_pod = bytes_to_pod_.load();
  stats.bytes_from_pod = bytes_from_pod_.load();
  stats.running = running_.load();
  return stats;
}

void Workspaces::Impl::SyncSoon(std::string_view id) {
  std::lock_guard lock(debounce_mu_);
  if (!debouncer_.joinable()) debouncer_ = std::thread([this] { DebounceLoop(); });
  const auto now = std::chrono::steady_clock::now();
  auto& slot = pending_[std::string(id)];
  const auto last = last_pass_.contains(std::string(id)) ? last_pass_[std::string(id)]
                                                         : std::chrono::steady_clock::time_point{};
  const auto due = std::max(now, last + options_.sync_debounce);
  if (slot == std::chrono::steady_clock::time_point{} || due < slot) slot = due;
  debounce_wake_.notify_all();
}

Result<SyncReport> Workspaces::Impl::RunSync(std::string_view id, Pod& pod, int64_t generation) {
  ++passes_;
  Result<SyncReport> report =
      Fail(Error::Code::kFailedPrecondition, "workspaces: this replica holds no lease on the pod");
  if (generation > 0) {
    // Every write of the pass carries the lease: a replica that lost it commits nothing, and
    // changes nothing in the pod once the new holder has used it (the pod's fencing token).
    workspaces::FencedStorage fenced(platform_.storage(), std::string(id), replica_, generation);
    workspaces::FencedPod fenced_pod(pod, std::string(id), generation);
    sync::SyncEngine engine(fenced, platform_.clock(), platform_.logger(), options_.file_limits);
    report = engine.Sync(id, fenced_pod);
  }
  if (report) Count(*report);
  if (!report && store::pods::IsStaleLease(report.error())) {
    std::lock_guard lock(mu_);
    if (auto it = entries_.find(id); it != entries_.end() && it->second->generation == generation) {
      it->second->generation = 0;
      if (it->second->pod) --running_;
    }
  }
  Record(id, report);
  return report;
}

// Keeps the pass's outcome as the workspace's sync status; logs and counts what it left
// unstored (one line per pass, not per file).
void Workspaces::Impl::Record(std::string_view id, const Result<SyncReport>& report) {
  SyncStatus status;
  status.last_pass_at = platform_.clock().NowMillis();
  if (!report) {
    ++sync_failures_;
    status.ok = false;
    status.error = report.error().ToString();
  } else {
    status.skipped = report->skipped;
    status.skipped_total = report->skipped_total;
    status.unstored = report->unstored;
    sync_skipped_ += static_cast<uint64_t>(report->unstored);
    if (report->unstored > 0) {
      const SyncSkip& first = report->skipped.front();
      platform_.logger().Warn("sync left pod files unstored", {{"workspace", std::string(id)},
                                                               {"unstored", report->unstored},
                                                               {"path", first.path},
                                                               {"rule", first.rule},
                                                               {"reason", first.reason}});
    }
  }
  std::lock_guard lock(mu_);
  const auto it = entries_.find(id);
  if (it != entries_.end()) it->second->sync = std::move(status);
}

void Workspaces::Impl::Count(const SyncReport& report) {
  bytes_to_pod_ += report.bytes_to_pod;
  bytes_from_pod_ += report.bytes_from_pod;
}

// Runs the passes SyncSoon asked for, each when its window has passed. Only a workspace this
// replica serves a pod for is synced (taking the lease over if another replica holds it).
void Workspaces::Impl::DebounceLoop() {
  std::unique_lock lock(debounce_mu_);
  while (!debounce_stop_) {
    if (pending_.empty()) {
      debounce_wake_.wait(lock);
      continue;
    }
    auto next = pending_.begin();
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (it->second < next->second) next = it;
    }
    if (std::chrono::steady_clock::now() < next->second) {
      debounce_wake_.wait_until(lock, next->second);
      continue;
    }
    const std::string id = next->first;
    pending_.erase(next);
    last_pass_[id] = std::chrono::steady_clock::now();
    lock.unlock();
    if (auto entry = FindEntry(id)) {
      std::lock_guard entry_lock(entry->mu);
      std::shared_ptr<Pod> cached;
      {
        std::lock_guard map_lock(mu_);
        cached = entry->pod;
      }
      auto ws = store::Transact(platform_.storage(), TxKind::kRead,
                                [&](Transaction& tx) { return store::workspaces::Get(tx, id); });
      const bool running = cached && ws && cached->Info().phase == PodPhase::kRunning;
      if (running && HeldElsewhere(id, *entry)) {
        // Taking a live lease for a terminal's pass made two replicas whose terminals type in
        // one workspace take it from each other every pass (faults21: lease ping-pong). The
        // activity is recorded instead; the holder's next renewal sees it and runs the pass.
        Touch(id);
      } else if (running) {
        auto pod = AcquireLocked(*ws, *entry, Need::kHold);
        auto synced = pod ? SyncAsHolder(*ws, *entry, *pod) : Result<SyncReport>(Fail(pod.error()));
        if (!synced) {
          platform_.logger().Warn("debounced sync failed",
                                  {{"workspace", id}, {"error", synced.error().ToString()}});
        }
      }
    }
    ++sync_requests_served_;
    lock.lock();
  }
}

bool Workspaces::Impl::HeldElsewhere(std::string_view id, const Entry& entry) {
  {
    std::lock_guard lock(mu_);
    if (entry.generation > 0) return false;
  }
  auto lease = store::Transact(platform_.storage(), TxKind::kRead,
                               [&](Transaction& tx) { return store::pods::Get(tx, id); });
  return lease && lease->state == store::pods::kRunning && !lease->pod_id.empty() &&
         lease->replica != replica_ && lease->lease_until > platform_.clock().NowMillis();
}

std::shared_ptr<Workspaces::Impl::Entry> Workspaces::Impl::EntryFor(std::string_view id,
                                                                    std::string_view owner_id) {
  std::lock_guard lock(mu_);
  auto& entry = entries_[std::string(id)];
  if (!entry) entry = std::make_shared<Entry>();
  entry->owner_id = std::string(owner_id);
  return entry;
}

std::shared_ptr<Workspaces::Impl::Entry> Workspaces::Impl::FindEntry(std::string_view id) {
  std::lock_guard lock(mu_);
  const auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : it->second;
}

Workspaces::Workspaces(std::shared_ptr<Platform> platform, std::shared_ptr<Executor> executor,
                       WorkspaceOptions options)
    : platform_(std::move(platform)),
      impl_(std::make_unique<Impl>(*platform_, std::move(executor), std::move(options))) {}
Workspaces::~Workspaces() = default;

LeaseHeartbeat Workspaces::Impl::Heartbeat() const {
  return {std::max<int64_t>(0, platform_.clock().NowMillis() - last_renewal_ms_),
          options_.lease.count()};
}

LeaseHeartbeat Workspaces::Heartbeat() const { return impl_->Heartbeat(); }

Result<Workspace> Workspaces::Create(std::string_view user_id, std::string_view name,
                                     std::string_view image, std::string_view org) {
  return impl_->Create(user_id, name, image, org);
}
Result<std::vector<images::ImageInfo>> Workspaces::Images() const {
  if (impl_->options().images_dir.empty()) return std::vector<images::ImageInfo>();
  return images::List(impl_->options().images_dir);
}
Result<std::vector<Workspace>> Workspaces::List(std::string_view user_id) {
  return impl_->List(user_id);
}
Result<Page<Workspace>> Workspaces::List(std::string_view user_id, const PageRequest& page) {
  return impl_->List(user_id, page);
}
Result<SyncStatus> Workspaces::GetSyncStatus(std::string_view user_id,
                                             std::string_view workspace_id) {
  return impl_->GetSyncStatus(user_id, workspace_id);
}
Result<Workspace> Workspaces::Get(std::string_view user_id, std::string_view workspace_id) {
  return impl_->Get(user_id, workspace_id);
}
Result<Workspace> Workspaces::Rename(std::string_view user_id, std::string_view workspace_id,
                                     std::string_view name, std::optional<int64_t> expected) {
  return impl_->Rename(user_id, workspace_id, name, expected);
}
Result<Workspace> Workspaces::SetTerminalShared(std::string_view user_id,
                                                std::string_view workspace_id, bool shared) {
  return impl_->SetTerminalShared(user_id, workspace_id, shared);
}
Result<void> Workspaces::Delete(std::string_view user_id, std::string_view workspace_id) {
  return impl_->Delete(user_id, workspace_id);
}
Result<Workspace> Workspaces::Open(std::string_view user_id, std::string_view workspace_id) {
  CY_CHECK(impl_->Open(user_id, workspace_id));
  return impl_->Get(user_id, workspace_id);
}
Result<void> Workspaces::Stop(std::string_view user_id, std::string_view workspace_id) {
  return impl_->Stop(user_id, workspace_id);
}
Result<WorkspaceExec> Workspaces::Exec(std::string_view user_id, std::string_view workspace_id,
                                       const ExecSpec& spec) {
  return impl_->Exec(user_id, workspace_id, spec);
}
Result<WorkspaceProcess> Workspaces::Start(std::string_view user_id, std::string_view workspace_id,
                                           const ExecSpec& spec) {
  return impl_->Start(user_id, workspace_id, spec);
}
Result<SyncReport> Workspaces::Sync(std::string_view user_id, std::string_view workspace_id) {
  return impl_->Sync(user_id, workspace_id);
}
Result<std::shared_ptr<Pod>> Workspaces::PodOf(std::string_view user_id,
                                               std::string_view workspace_id) {
  CY_TRY(const Workspace ws, impl_->Get(user_id, workspace_id));
  CY_CHECK(impl_->CheckCpuQuota(ws));  // meter20: a terminal is new work
  return impl_->Open(user_id, workspace_id);
}
Result<void> Workspaces::CheckCpuQuota(std::string_view workspace_id) {
  return impl_->CheckCpuQuota(workspace_id);
}
int Workspaces::SampleUsage() { return impl_->SampleUsage(); }
Result<std::shared_ptr<Pod>> Workspaces::RunningPod(std::string_view workspace_id) {
  return impl_->RunningPod(workspace_id);
}
Result<int> Workspaces::StopIdle() { return impl_->StopIdle(); }
StopAllReport Workspaces::StopAll(std::chrono::steady_clock::time_point deadline) {
  return impl_->StopAll(deadline);
}
void Workspaces::StartIdleReaper(std::chrono::milliseconds period) {
  impl_->StartIdleReaper(period);
}
void Workspaces::Touch(std::string_view workspace_id) { impl_->Touch(workspace_id); }
int Workspaces::RenewLeases() { return impl_->RenewLeases(); }
int Workspaces::HandOff(std::chrono::steady_clock::time_point deadline) {
  return impl_->HandOff(deadline);
}
const std::string& Workspaces::replica_id() const { return impl_->replica_id(); }
void Workspaces::SyncSoon(std::string_view workspace_id) { impl_->SyncSoon(workspace_id); }
uint64_t Workspaces::sync_passes() const { return impl_->sync_passes(); }
WorkspaceStats Workspaces::Stats() const { return impl_->Stats(); }
const WorkspaceOptions& Workspaces::options() const { return impl_->options(); }

}  // namespace codeyard
