// Workspaces: lifecycle of workspace pods over any Executor (see codeyard/workspaces.hpp).
#include "codeyard/workspaces.hpp"

#include <unistd.h>

#include <array>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "codeyard/id.hpp"
#include "core/files/file_ops.hpp"
#include "core/files/pages.hpp"
#include "core/store/pods.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "core/store/workspaces.hpp"
#include "core/sync/sync_engine.hpp"
#include "core/try.hpp"
#include "core/workspaces/workspace_rules.hpp"

namespace codeyard {
namespace {

std::string NodeName() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) return "local";
  return host;
}

}  // namespace

class Workspaces::Impl {
 public:
  Impl(Platform& platform, std::shared_ptr<Executor> executor, WorkspaceOptions options)
      : platform_(platform),
        executor_(std::move(executor)),
        options_(std::move(options)),
        memory_capacity_(options_.memory_capacity_bytes != 0 ? options_.memory_capacity_bytes
                                                             : DefaultMemoryCapacity()),
        engine_(platform.storage(), platform.clock(), platform.logger(), options_.file_limits),
        node_(NodeName()) {
    RecoverAfterRestart();
  }

  ~Impl() {
    {
      std::lock_guard lock(reaper_mu_);
      stopping_ = true;
    }
    reaper_wake_.notify_all();
    if (reaper_.joinable()) reaper_.join();
    {
      std::lock_guard lock(debounce_mu_);
      debounce_stop_ = true;
    }
    debounce_wake_.notify_all();
    if (debouncer_.joinable()) debouncer_.join();
    std::vector<std::string> ids;
    {
      std::lock_guard lock(mu_);
      for (const auto& [id, entry] : entries_) {
        if (entry->pod) ids.push_back(id);
      }
    }
    for (const auto& id : ids) (void)StopPod(id, /*final_sync=*/true);
  }

  struct Entry {
    std::mutex mu;  // serializes lifecycle and sync passes of one workspace
    std::shared_ptr<Pod> pod;
    std::string owner_id;
    bool starting = false;  // admitted, pod on its way (guarded by Impl::mu_)
    SyncStatus sync;        // guarded by Impl::mu_
  };

  static Error NameTaken(std::string_view name) {
    return {Error::Code::kAlreadyExists,
            "you already have a workspace named \"" + std::string(name) + "\"; pick another name"};
  }

  Result<Workspace> Create(std::string_view user_id, std::string_view name) {
    CY_TRY(const std::string valid, workspaces::ValidName(name));
    CY_CHECK(limiter_.Take(options_.limits.workspace_creates_per_user, user_id));
    const int64_t now = platform_.clock().NowMillis();
    Workspace ws;
    ws.id = NewUuid();
    ws.owner_id = std::string(user_id);
    ws.name = valid;
    ws.created_at = ws.updated_at = ws.last_active_at = now;
    CY_CHECK(
        store::Transact(platform_.storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
          auto user = store::users::Get(tx, user_id);
          if (!user) return Fail(Error::Code::kNotFound, "user not found");
          CY_TRY(const store::workspaces::Usage usage, store::workspaces::UsageOf(tx, user_id));
          if (usage.workspaces >= options_.max_workspaces_per_user) {
            return Fail(Error(Error::Code::kResourceExhausted,
                              "workspaces: you have " + std::to_string(usage.workspaces) +
                                  " workspaces, the most one user may own "
                                  "(workspace.max_per_user); delete one first")
                            .WithLimit("workspace.max_per_user", 0));
          }
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

  Result<std::vector<Workspace>> List(std::string_view user_id) {
    return store::Transact(platform_.storage(), TxKind::kRead, [&](Transaction& tx) {
      return store::workspaces::ListByOwner(tx, user_id);
    });
  }

  Result<Page<Workspace>> List(std::string_view user_id, const PageRequest& page) {
    CY_CHECK(files::CheckPageLimit(page));
    CY_TRY(const std::optional<std::string> key, files::DecodeCursor("w", page.cursor));
    std::optional<store::workspaces::PageKey> after;
    if (key) {
      // "<created_at>:<id>"
      const auto colon = key->find(':');
      char* end = nullptr;
      const long long created =
          colon == std::string::npos ? 0 : std::strtoll(key->substr(0, colon).c_str(), &end, 10);
      if (colon == std::string::npos || colon == 0 || end == nullptr || *end != '\0') {
        return Fail(Error::Code::kInvalidArgument,
                    "cursor is malformed: pass the next_cursor of the previous page unchanged");
      }
      after = store::workspaces::PageKey{created, key->substr(colon + 1)};
    }
    return store::Transact(
        platform_.storage(), TxKind::kRead, [&](Transaction& tx) -> Result<Page<Workspace>> {
          CY_TRY(std::vector<Workspace> rows,
                 store::workspaces::ListByOwnerAfter(tx, user_id, after, page.limit + 1));
          Page<Workspace> out;
          const bool more = static_cast<int64_t>(rows.size()) > page.limit;
          if (more) rows.resize(static_cast<std::size_t>(page.limit));
          out.items = std::move(rows);
          if (more) {
            const Workspace& last = out.items.back();
            out.next_cursor =
                files::EncodeCursor("w", std::to_string(last.created_at) + ":" + last.id);
          }
          return out;
        });
  }

  Result<SyncStatus> GetSyncStatus(std::string_view user_id, std::string_view id) {
    CY_TRY(const Workspace ws, Get(user_id, id));
    std::lock_guard lock(mu_);
    const auto it = entries_.find(ws.id);
    if (it == entries_.end()) return SyncStatus{};
    return it->second->sync;
  }

  Result<Workspace> Get(std::string_view user_id, std::string_view id) {
    return store::Transact(platform_.storage(), TxKind::kRead,
                           [&](Transaction& tx) { return files::OwnedWorkspace(tx, user_id, id); });
  }

  Result<Workspace> Rename(std::string_view user_id, std::string_view id, std::string_view name,
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

  Result<void> Delete(std::string_view user_id, std::string_view id) {
    CY_TRY(const Workspace ws, Get(user_id, id));
    auto entry = EntryFor(ws);
    std::lock_guard lock(entry->mu);
    if (entry->pod) {
      (void)executor_->DeletePod(entry->pod->id());
      {
        std::lock_guard map_lock(mu_);
        entry->pod.reset();
      }
      --running_;
    }
    CY_CHECK(store::Transact(platform_.storage(), TxKind::kWrite,
                             [&](Transaction& tx) { return store::workspaces::Delete(tx, id); }));
    std::lock_guard map_lock(mu_);
    entries_.erase(std::string(id));
    return {};
  }

  Result<std::shared_ptr<Pod>> Open(std::string_view user_id, std::string_view id) {
    CY_TRY(const Workspace ws, Get(user_id, id));
    auto entry = EntryFor(ws);
    std::lock_guard lock(entry->mu);
    return OpenLocked(ws, *entry);
  }

  Result<void> Stop(std::string_view user_id, std::string_view id) {
    CY_TRY(const Workspace ws, Get(user_id, id));
    return StopPod(ws.id, /*final_sync=*/true);
  }

  Result<WorkspaceExec> Exec(std::string_view user_id, std::string_view id, const ExecSpec& spec) {
    // Refused at once, never queued (per process; rates in storage): docs/security/accounts.md.
    const std::array<ConcurrencyLimiter::Cap, 2> caps = {
        ConcurrencyLimiter::Cap{"exec.max_concurrent_per_user", "user:" + std::string(user_id),
                                options_.limits.exec_max_concurrent_per_user},
        ConcurrencyLimiter::Cap{"exec.max_concurrent_per_workspace", "ws:" + std::string(id),
                                options_.limits.exec_max_concurrent_per_workspace}};
    CY_TRY(const auto exec_slots, exec_slots_.Acquire(caps));
    CY_CHECK(limiter_.Take(options_.limits.execs_per_user, user_id));
    CY_TRY(const Workspace ws, Get(user_id, id));
    CY_CHECK(ValidateExecSpec(spec, options_.exec_limits));  // before the pod starts
    auto entry = EntryFor(ws);
    std::shared_ptr<Pod> pod;
    {
      std::lock_guard lock(entry->mu);
      CY_TRY(pod, OpenLocked(ws, *entry));
      CY_CHECK(RunSync(ws.id, *pod));  // what the API changed goes in first
    }
    Touch(ws.id);
    CY_TRY(auto process, pod->Exec(spec));
    WorkspaceExec out;
    while (true) {
      CY_TRY(auto chunk, process->ReadOutput(std::nullopt));
      if (!chunk) break;
      (chunk->stream == OutputStream::kStdout ? out.stdout_data : out.stderr_data) += chunk->data;
    }
    CY_TRY(out.status, process->Wait());
    {
      std::lock_guard lock(entry->mu);
      if (entry->pod == pod) {
        CY_TRY(out.sync, RunSync(ws.id, *pod));
      }
    }
    Touch(ws.id);
    return out;
  }

  Result<SyncReport> Sync(std::string_view user_id, std::string_view id) {
    CY_TRY(const Workspace ws, Get(user_id, id));
    auto entry = EntryFor(ws);
    std::lock_guard lock(entry->mu);
    if (!entry->pod) return Fail(Error::Code::kFailedPrecondition, "workspace is not running");
    return RunSync(ws.id, *entry->pod);
  }

  Result<int> StopIdle() {
    const int64_t now = platform_.clock().NowMillis();
    CY_TRY(auto running, store::Transact(platform_.storage(), TxKind::kRead, [&](Transaction& tx) {
             return store::workspaces::ListByState(tx, WorkspaceState::kRunning);
           }));
    int stopped = 0;
    for (const auto& ws : running) {
      if (now - ws.last_active_at <= options_.idle_timeout.count()) continue;
      {
        std::lock_guard lock(mu_);
        const auto it = entries_.find(ws.id);
        if (it == entries_.end() || !it->second->pod) continue;  // another node's
      }
      // A pod whose final sync did not complete stays (StopPod logged and counted it); the
      // next sweep tries again.
      if (StopPod(ws.id, /*final_sync=*/true)) ++stopped;
    }
    return stopped;
  }

  StopAllReport StopAll(std::chrono::steady_clock::time_point deadline) {
    std::vector<std::string> ids;
    {
      std::lock_guard lock(mu_);
      for (const auto& [id, entry] : entries_) {
        if (entry->pod) ids.push_back(id);
      }
    }
    StopAllReport report;
    for (const auto& id : ids) {
      const auto started = std::chrono::steady_clock::now();
      if (started >= deadline) {
        // No time for a final sync: the pod keeps what was written since the last one.
        ++report.unsynced;
        ++stops_refused_;
        platform_.logger().Warn(
            "workspace left running at shutdown: the deadline passed before its final sync",
            {{"workspace", id}});
        continue;
      }
      std::optional<Result<SyncReport>> synced;
      if (auto stopped = StopPod(id, /*final_sync=*/true, &synced); !stopped) {
        ++report.sync_failed;  // StopPod logged why; the pod is kept
        continue;
      }
      if (!synced || !*synced) continue;  // no pod any more, or it had died
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
              .count();
      ++report.synced;
      platform_.logger().Info("workspace synced and stopped",
                              {{"workspace", id},
                               {"pulled", (*synced)->pulled},
                               {"pushed", (*synced)->pushed},
                               {"conflicts", static_cast<int64_t>((*synced)->conflicts.size())},
                               {"bytes_from_pod", (*synced)->bytes_from_pod},
                               {"duration_ms", std::round(ms)}});
    }
    return report;
  }

  void StartIdleReaper(std::chrono::milliseconds period) {
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
        wait_lock.lock();
      }
    });
  }

  void Touch(std::string_view id) {
    (void)store::Transact(platform_.storage(), TxKind::kWrite, [&](Transaction& tx) {
      return store::workspaces::Touch(tx, id, platform_.clock().NowMillis());
    });
  }

  const WorkspaceOptions& options() const { return options_; }

  uint64_t sync_passes() const { return passes_.load(); }

  WorkspaceStats Stats() const {
    WorkspaceStats stats;
    stats.sync_passes = passes_.load();
    stats.sync_failures = sync_failures_.load();
    stats.sync_skipped = sync_skipped_.load();
    stats.stops_refused = stops_refused_.load();
    stats.bytes_to_pod = bytes_to_pod_.load();
    stats.bytes_from_pod = bytes_from_pod_.load();
    stats.running = running_.load();
    return stats;
  }

  void SyncSoon(std::string_view id) {
    std::lock_guard lock(debounce_mu_);
    if (!debouncer_.joinable()) debouncer_ = std::thread([this] { DebounceLoop(); });
    const auto now = std::chrono::steady_clock::now();
    auto& slot = pending_[std::string(id)];
    const auto last = last_pass_.contains(std::string(id))
                          ? last_pass_[std::string(id)]
                          : std::chrono::steady_clock::time_point{};
    const auto due = std::max(now, last + options_.sync_debounce);
    if (slot == std::chrono::steady_clock::time_point{} || due < slot) slot = due;
    debounce_wake_.notify_all();
  }

 private:
  Result<SyncReport> RunSync(std::string_view id, Pod& pod) {
    ++passes_;
    auto report = engine_.Sync(id, pod);
    if (report) Count(*report);
    Record(id, report);
    return report;
  }

  // Keeps the pass's outcome as the workspace's sync status; logs and counts what it left
  // unstored (one line per pass, not per file).
  void Record(std::string_view id, const Result<SyncReport>& report) {
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

  void Count(const SyncReport& report) {
    bytes_to_pod_ += report.bytes_to_pod;
    bytes_from_pod_ += report.bytes_from_pod;
  }

  // Runs the passes SyncSoon asked for, each when its window has passed.
  void DebounceLoop() {
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
      std::shared_ptr<Entry> entry;
      {
        std::lock_guard map_lock(mu_);
        const auto it = entries_.find(id);
        if (it != entries_.end()) entry = it->second;
      }
      if (entry) {
        std::lock_guard entry_lock(entry->mu);
        if (entry->pod) {
          if (auto synced = RunSync(id, *entry->pod); !synced) {
            platform_.logger().Warn("debounced sync failed",
                                    {{"workspace", id}, {"error", synced.error().ToString()}});
          }
        }
      }
      lock.lock();
    }
  }

  std::shared_ptr<Entry> EntryFor(const Workspace& ws) {
    std::lock_guard lock(mu_);
    auto& entry = entries_[ws.id];
    if (!entry) entry = std::make_shared<Entry>();
    entry->owner_id = ws.owner_id;
    return entry;
  }

  Result<void> SetState(std::string_view id, WorkspaceState from, WorkspaceState to) {
    return store::Transact(
        platform_.storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
          CY_TRY(const bool moved, store::workspaces::TransitionState(
                                       tx, id, from, to, platform_.clock().NowMillis()));
          if (!moved) {
            return Fail(Error::Code::kConflict,
                        "workspace is not " + std::string(WorkspaceStateName(from)) + " any more");
          }
          return {};
        });
  }

  // Forces the stored state to `to` whatever it was (after a crash or a dead pod).
  void ResetState(std::string_view id, WorkspaceState to) {
    for (const auto from : {WorkspaceState::kStarting, WorkspaceState::kRunning,
                            WorkspaceState::kStopping, WorkspaceState::kStopped}) {
      if (from != to && SetState(id, from, to)) return;
    }
  }

  Result<std::shared_ptr<Pod>> OpenLocked(const Workspace& ws, Entry& entry) {
    if (entry.pod) {
      if (entry.pod->Info().phase == PodPhase::kRunning) {
        Touch(ws.id);
        return entry.pod;
      }
      // The pod died under us (killed from outside, OOM of its init): storage still has
      // every synced file, so start over from it.
      platform_.logger().Warn("workspace pod died; starting a new one", {{"workspace", ws.id}});
      (void)executor_->DeletePod(entry.pod->id());
      {
        std::lock_guard map_lock(mu_);
        entry.pod.reset();
      }
      --running_;
      ResetState(ws.id, WorkspaceState::kStopped);
    }
    CY_CHECK(Admit(ws, entry));
    struct Release {
      Impl& impl;
      Entry& entry;
      ~Release() { impl.Admitted(entry); }
    } release{*this, entry};
    ResetState(ws.id, WorkspaceState::kStarting);
    auto pod = StartPod(ws);
    if (!pod) {
      ResetState(ws.id, WorkspaceState::kStopped);
      return std::unexpected(pod.error());
    }
    auto seeded = engine_.Seed(ws.id, **pod);
    if (!seeded) {
      (void)executor_->DeletePod((*pod)->id());
      ResetState(ws.id, WorkspaceState::kStopped);
      return std::unexpected(seeded.error().WithContext("writing files into the pod"));
    }
    Count(*seeded);
    const int64_t now = platform_.clock().NowMillis();
    auto recorded =
        store::Transact(platform_.storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
          PodRecord record{ws.id, (*pod)->id(), "local", node_, "running", now, now};
          CY_CHECK(store::pods::Upsert(tx, record));
          CY_TRY(const bool moved,
                 store::workspaces::TransitionState(tx, ws.id, WorkspaceState::kStarting,
                                                    WorkspaceState::kRunning, now));
          if (!moved) return Fail(Error::Code::kAborted, "workspace changed state while starting");
          return store::workspaces::Touch(tx, ws.id, now);
        });
    if (!recorded) {
      (void)executor_->DeletePod((*pod)->id());
      ResetState(ws.id, WorkspaceState::kStopped);
      return std::unexpected(recorded.error());
    }
    {
      std::lock_guard lock(mu_);  // Admit reads pod under mu_
      entry.pod = *pod;
    }
    ++running_;
    return entry.pod;
  }

  // Admits a pod start: the user's and the server's running limits, and the memory that
  // every admitted pod's limit reserves. Marks the entry as starting, so that concurrent
  // starts of other workspaces count it; the caller clears it (Admitted).
  Result<void> Admit(const Workspace& ws, Entry& self) {
    std::lock_guard lock(mu_);
    int total = 0;
    int mine = 0;
    for (const auto& [id, entry] : entries_) {
      if (!entry->pod && !entry->starting) continue;
      ++total;
      if (entry->owner_id == ws.owner_id) ++mine;
    }
    if (mine >= options_.max_running_per_user) {
      return Fail(Error(Error::Code::kResourceExhausted,
                        "running workspaces limit reached: at most " +
                            std::to_string(options_.max_running_per_user) +
                            " per user (workspace.max_running_per_user); stop one first")
                      .WithLimit("workspace.max_running_per_user", 0));
    }
    if (total >= options_.max_running_total) {
      return Fail(Error(Error::Code::kResourceExhausted,
                        "running workspaces limit reached: at most " +
                            std::to_string(options_.max_running_total) +
                            " on this server (workspace.max_running_total); try again later")
                      .WithLimit("workspace.max_running_total", kFullRetryAfterS));
    }
    const uint64_t each = options_.pod_limits.memory_bytes.value_or(0);
    const uint64_t reserved = static_cast<uint64_t>(total) * each;
    if (reserved + each > memory_capacity_) {
      return Fail(Error(Error::Code::kResourceExhausted,
                        "the server's workspace memory is full: " + std::to_string(total) +
                            " running workspaces reserve " + std::to_string(reserved) + " of " +
                            std::to_string(memory_capacity_) + " bytes and another needs " +
                            std::to_string(each) +
                            " (workspace.memory_capacity_bytes); try again later")
                      .WithLimit("workspace.memory_capacity_bytes", kFullRetryAfterS));
    }
    self.starting = true;
    return {};
  }

  void Admitted(Entry& self) {
    std::lock_guard lock(mu_);
    self.starting = false;
  }

  // Creates the pod, giving up after start_timeout (a pod that arrives later is deleted).
  Result<std::shared_ptr<Pod>> StartPod(const Workspace& ws) {
    PodSpec spec;
    spec.labels["codeyard.dev/workspace"] = ws.id;
    spec.labels["codeyard.dev/purpose"] = "workspace";
    spec.limits = options_.pod_limits;
    spec.network = options_.pod_network;
    spec.survive_owner = true;  // a crash must not take unsynced files with it
    spec.orphan_timeout = options_.pod_orphan_timeout;
    auto promise = std::make_shared<std::promise<Result<std::shared_ptr<Pod>>>>();
    auto future = promise->get_future();
    auto abandoned = std::make_shared<std::atomic<bool>>(false);
    std::thread([executor = executor_, spec, promise, abandoned] {
      auto pod = executor->CreatePod(spec);
      if (abandoned->load() && pod) (void)executor->DeletePod((*pod)->id());
      promise->set_value(std::move(pod));
    }).detach();
    if (future.wait_for(options_.start_timeout) != std::future_status::ready) {
      abandoned->store(true);
      return Fail(Error::Code::kDeadlineExceeded,
                  "the workspace's pod was not ready within " +
                      std::to_string(options_.start_timeout.count()) + " ms");
    }
    return future.get();
  }

  // `sync_result`, when given, receives the final sync's outcome if one ran. A final sync
  // that fails or leaves pod files unstored keeps the pod (and its record and state): the
  // call fails and nothing is deleted.
  Result<void> StopPod(std::string_view id, bool final_sync,
                       std::optional<Result<SyncReport>>* sync_result = nullptr) {
    std::shared_ptr<Entry> entry;
    {
      std::lock_guard lock(mu_);
      const auto it = entries_.find(id);
      if (it == entries_.end()) return {};
      entry = it->second;
    }
    std::lock_guard lock(entry->mu);
    if (!entry->pod) return {};
    if (final_sync && entry->pod->Info().phase == PodPhase::kRunning) {
      auto synced = RunSync(id, *entry->pod);
      std::optional<Error> refused;
      if (!synced) {
        const Error& e = synced.error();
        const bool content = e.code() == Error::Code::kResourceExhausted ||
                             e.code() == Error::Code::kInvalidArgument ||
                             e.code() == Error::Code::kFailedPrecondition;
        refused = Error(content ? Error::Code::kFailedPrecondition : e.code(),
                        "workspace not stopped: its final sync failed (" + e.message() +
                            "); the pod keeps running with its files. Remove what the error "
                            "names in the pod (a terminal or exec), then stop again");
      } else if (synced->unstored > 0) {
        const SyncSkip& first = synced->skipped.front();
        refused = Error(Error::Code::kFailedPrecondition,
                        "workspace not stopped: " + std::to_string(synced->unstored) +
                            " file(s) in the pod could not be stored (first: " + first.path + ": " +
                            first.reason +
                            "); the pod keeps running with its files. Fix or remove them in "
                            "the pod (GET .../sync lists them), then stop again");
      }
      if (sync_result != nullptr) *sync_result = std::move(synced);
      if (refused) {
        ++stops_refused_;
        platform_.logger().Warn("stop refused: the final sync did not complete; pod kept",
                                {{"workspace", std::string(id)}, {"error", refused->message()}});
        return Fail(*refused);
      }
    }
    ResetState(id, WorkspaceState::kStopping);
    (void)executor_->DeletePod(entry->pod->id());
    {
      std::lock_guard map_lock(mu_);
      entry->pod.reset();
    }
    --running_;
    (void)store::Transact(platform_.storage(), TxKind::kWrite,
                          [&](Transaction& tx) { return store::pods::Delete(tx, id); });
    ResetState(id, WorkspaceState::kStopped);
    return {};
  }

  // After a crash (kill -9), this node's workspace pods are still running
  // (PodSpec::survive_owner) with whatever was written in them since their last sync pass:
  // an exec in flight, terminal writes inside the debounce window. Before anything else can
  // touch them, each is adopted, one sync pass pulls its files into storage (conflicts kept
  // as conflict copies), and it is stopped. A pod whose pass fails stays the workspace's
  // running pod (counted, idle-reaped, synced again at stop) so its files are not lost. A pod
  // that is gone, or an executor that cannot adopt, leaves what storage had, as before.
  // Done at start-up, not at first open: see "Restart" in docs/architecture.md.
  void RecoverAfterRestart() {
    auto pods = store::Transact(platform_.storage(), TxKind::kRead, [&](Transaction& tx) {
      return store::pods::ListByNode(tx, node_);
    });
    std::set<std::string, std::less<>> kept;
    if (pods) {
      for (const auto& record : *pods) {
        if (RecoverPod(record)) kept.insert(record.pod_id);
      }
    }
    // Workspace pods no record names (a crash between CreatePod and the record, or a
    // workspace deleted meanwhile). DeletePod now ends any process's pod: with replicas
    // sharing the executor state this would end theirs too (the leases rewrite replaces it).
    auto listed = executor_->ListPods({{"codeyard.dev/purpose", "workspace"}});
    if (!listed) return;
    for (const auto& info : *listed) {
      if (!kept.contains(info.id)) (void)executor_->DeletePod(info.id);
    }
  }

  // True if the pod stays running as the workspace's pod.
  bool RecoverPod(const PodRecord& record) {
    const std::string& id = record.workspace_id;
    auto ws = store::Transact(platform_.storage(), TxKind::kRead,
                              [&](Transaction& tx) { return store::workspaces::Get(tx, id); });
    auto pod = executor_->GetPod(record.pod_id);
    if (pod && ws) {
      auto synced = RunSync(id, **pod);
      // A pass that left pod files unstored (refused names, caps, quotas) must not discard
      // them either: the pod stays, like one whose pass failed.
      if (synced && synced->unstored == 0) {
        platform_.logger().Info("saved a workspace pod's files after a restart",
                                {{"workspace", id},
                                 {"pulled", synced->pulled},
                                 {"conflicts", static_cast<int64_t>(synced->conflicts.size())}});
        (void)executor_->DeletePod((*pod)->id());
      } else {
        platform_.logger().Warn(
            "sync of an adopted workspace pod did not complete; it keeps running",
            {{"workspace", id},
             {"error", synced ? std::to_string(synced->unstored) + " file(s) left unstored"
                              : synced.error().ToString()}});
        auto entry = EntryFor(*ws);
        std::lock_guard lock(entry->mu);
        {
          std::lock_guard map_lock(mu_);  // Admit reads pod under mu_
          entry->pod = *pod;
        }
        ++running_;
        ResetState(id, WorkspaceState::kRunning);
        return true;
      }
    } else if (pod) {
      (void)executor_->DeletePod((*pod)->id());  // its workspace was deleted meanwhile
    } else if (pod.error().code() != Error::Code::kNotFound &&
               pod.error().code() != Error::Code::kUnimplemented) {
      platform_.logger().Error("a workspace pod left by a crash could not be adopted",
                               {{"workspace", id}, {"error", pod.error().ToString()}});
      (void)executor_->DeletePod(record.pod_id);
    }
    (void)store::Transact(platform_.storage(), TxKind::kWrite,
                          [&](Transaction& tx) { return store::pods::Delete(tx, id); });
    ResetState(id, WorkspaceState::kStopped);
    return false;
  }

  // Retry-After of a refusal that another user's stop may lift soon.
  static constexpr int64_t kFullRetryAfterS = 30;

  Platform& platform_;
  std::shared_ptr<Executor> executor_;
  WorkspaceOptions options_;
  uint64_t memory_capacity_;
  RateLimiter limiter_{platform_.storage(), platform_.clock()};  // creations, execs
  ConcurrencyLimiter exec_slots_;
  sync::SyncEngine engine_;
  std::string node_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>, std::less<>> entries_;
  std::mutex reaper_mu_;
  std::condition_variable reaper_wake_;
  bool stopping_ = false;
  std::thread reaper_;
  std::atomic<uint64_t> passes_{0};
  std::atomic<uint64_t> sync_failures_{0};
  std::atomic<uint64_t> sync_skipped_{0};
  std::atomic<uint64_t> stops_refused_{0};
  std::atomic<uint64_t> bytes_to_pod_{0};
  std::atomic<uint64_t> bytes_from_pod_{0};
  std::atomic<int64_t> running_{0};
  std::mutex debounce_mu_;
  std::condition_variable debounce_wake_;
  bool debounce_stop_ = false;
  std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> pending_;
  std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> last_pass_;
  std::thread debouncer_;
};

Workspaces::Workspaces(Platform& platform, std::shared_ptr<Executor> executor,
                       WorkspaceOptions options)
    : impl_(std::make_unique<Impl>(platform, std::move(executor), std::move(options))) {}
Workspaces::~Workspaces() = default;

Result<Workspace> Workspaces::Create(std::string_view user_id, std::string_view name) {
  return impl_->Create(user_id, name);
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
Result<SyncReport> Workspaces::Sync(std::string_view user_id, std::string_view workspace_id) {
  return impl_->Sync(user_id, workspace_id);
}
Result<std::shared_ptr<Pod>> Workspaces::PodOf(std::string_view user_id,
                                               std::string_view workspace_id) {
  return impl_->Open(user_id, workspace_id);
}
Result<int> Workspaces::StopIdle() { return impl_->StopIdle(); }
StopAllReport Workspaces::StopAll(std::chrono::steady_clock::time_point deadline) {
  return impl_->StopAll(deadline);
}
void Workspaces::StartIdleReaper(std::chrono::milliseconds period) {
  impl_->StartIdleReaper(period);
}
void Workspaces::Touch(std::string_view workspace_id) { impl_->Touch(workspace_id); }
void Workspaces::SyncSoon(std::string_view workspace_id) { impl_->SyncSoon(workspace_id); }
uint64_t Workspaces::sync_passes() const { return impl_->sync_passes(); }
WorkspaceStats Workspaces::Stats() const { return impl_->Stats(); }
const WorkspaceOptions& Workspaces::options() const { return impl_->options(); }

}  // namespace codeyard
