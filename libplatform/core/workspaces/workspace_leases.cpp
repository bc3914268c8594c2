// Workspaces: pods on leases (docs/workspaces.md, "Leases"). The pods row is the truth about
// which pod serves a workspace; this replica claims it to start, adopt, sync or stop a pod,
// renews what it holds, and resolves any other replica's pod through Executor::GetPod.
#include <cmath>
#include <future>
#include <set>
#include <thread>

#include "core/events/emit.hpp"
#include "core/store/pods.hpp"
#include "core/store/transact.hpp"
#include "core/store/workspaces.hpp"
#include "core/try.hpp"
#include "core/workspaces/fenced_storage.hpp"
#include "core/workspaces/workspaces_impl.hpp"

namespace codeyard {

namespace pods = store::pods;

void Workspaces::Impl::Cache(Entry& entry, std::shared_ptr<Pod> pod, int64_t generation) {
  std::lock_guard lock(mu_);
  const bool held_before = entry.pod && entry.generation > 0;
  entry.pod = std::move(pod);
  entry.generation = entry.pod ? generation : 0;
  const bool held_now = entry.pod && entry.generation > 0;
  if (held_now && !held_before) ++running_;
  if (!held_now && held_before) --running_;
}

Result<pods::Claimed> Workspaces::Impl::Claim(std::string_view id, std::string_view owner_id,
                                              bool take_live, bool check_limits) {
  // The request holds views: the scheme (a string made by the call) must outlive it.
  const std::string scheme = executor_->scheme();
  pods::ClaimRequest rq;
  rq.workspace_id = id;
  rq.owner_id = owner_id;
  rq.replica = replica_;
  rq.executor = scheme;
  rq.now = platform_.clock().NowMillis();
  rq.lease_ms = options_.lease.count();
  rq.max_running_per_user = options_.max_running_per_user;
  rq.max_running_total = options_.max_running_total;
  rq.pod_memory_bytes = options_.pod_limits.memory_bytes.value_or(0);
  rq.memory_capacity_bytes = memory_capacity_;
  rq.take_live = take_live;
  rq.check_limits = check_limits;
  return store::Transact(platform_.storage(), TxKind::kWrite,
                         [&](Transaction& tx) { return pods::Claim(tx, rq); });
}

Result<void> Workspaces::Impl::Transition(std::string_view id, int64_t generation,
                                          WorkspaceState to) {
  return store::Transact(platform_.storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
    CY_CHECK(pods::Fence(tx, id, replica_, generation));
    CY_TRY(const Workspace ws, store::workspaces::Get(tx, id));
    if (ws.state == to) return {};
    CY_TRY(const bool moved,
           store::workspaces::TransitionState(tx, id, ws.state, to, platform_.clock().NowMillis()));
    // Only a write that skipped the fence could move it meanwhile: run again.
    if (!moved) return Fail(Error::Code::kAborted, "workspace changed state meanwhile");
    return {};
  });
}

Result<void> Workspaces::Impl::ReleaseLease(std::string_view id, int64_t generation) {
  return store::Transact(platform_.storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
    const int64_t now = platform_.clock().NowMillis();
    CY_CHECK(pods::Release(tx, id, replica_, generation, now));
    CY_TRY(const Workspace ws, store::workspaces::Get(tx, id));
    if (ws.state == WorkspaceState::kStopped) return {};
    CY_TRY(const bool moved,
           store::workspaces::TransitionState(tx, id, ws.state, WorkspaceState::kStopped, now));
    if (!moved) return Fail(Error::Code::kAborted, "workspace changed state meanwhile");
    return {};
  });
}

Result<std::shared_ptr<Pod>> Workspaces::Impl::Open(std::string_view user_id, std::string_view id) {
  CY_TRY(const Workspace ws, Get(user_id, id));
  auto entry = EntryFor(ws.id, ws.owner_id);
  std::lock_guard lock(entry->mu);
  return AcquireLocked(ws, *entry, Need::kServe);
}

Result<std::shared_ptr<Pod>> Workspaces::Impl::RunningPod(std::string_view id) {
  auto not_running = [&] {
    return Fail(Error::Code::kFailedPrecondition,
                "workspaces: workspace " + std::string(id) + " is not running");
  };
  auto lease = store::Transact(platform_.storage(), TxKind::kRead,
                               [&](Transaction& tx) { return pods::Get(tx, id); });
  if (!lease) {
    if (lease.error().code() == Error::Code::kNotFound) return not_running();
    return Fail(lease.error());
  }
  // An expired lease's pod may still run, but nobody serves it: it is on its way out.
  if (lease->state != pods::kRunning || lease->pod_id.empty() ||
      lease->lease_until <= platform_.clock().NowMillis()) {
    return not_running();
  }
  // This replica's cached pod when it is the one (no second hold on it), else the executor's.
  std::shared_ptr<Pod> pod;
  if (auto entry = FindEntry(id)) {
    std::lock_guard lock(mu_);
    if (entry->pod && entry->pod->id() == lease->pod_id) pod = entry->pod;
  }
  if (!pod) {
    auto got = executor_->GetPod(lease->pod_id);
    if (!got) return not_running();
    pod = std::move(*got);
  }
  if (pod->Info().phase != PodPhase::kRunning) return not_running();
  return pod;
}

Result<std::shared_ptr<Pod>> Workspaces::Impl::AcquireLocked(const Workspace& ws, Entry& entry,
                                                             Need need) {
  const bool activity = need != Need::kRescue;
  std::shared_ptr<Pod> cached;
  int64_t generation = 0;
  {
    std::lock_guard lock(mu_);
    cached = entry.pod;
    generation = entry.generation;
  }
  if (cached) {
    if (cached->Info().phase == PodPhase::kRunning) {
      if (generation > 0 || need == Need::kServe) {
        if (activity) Touch(ws.id);
        return cached;
      }
    } else {
      // The pod died under us (killed from outside, OOM of its init): storage still has every
      // synced file, so whoever holds the lease starts over from it.
      platform_.logger().Warn("workspace pod died; starting a new one", {{"workspace", ws.id}});
      if (generation > 0) (void)executor_->DeletePod(cached->id());
      Cache(entry, nullptr, 0);
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  bool take_live = need == Need::kHold;
  while (true) {
    CY_TRY(const pods::Claimed claimed,
           Claim(ws.id, ws.owner_id, take_live, /*check_limits=*/true));
    const PodRecord& lease = claimed.lease;
    switch (claimed.outcome) {
      case pods::ClaimOutcome::kHeld: {
        // Another replica holds it and serves its pod: any replica may use that pod.
        if (!lease.pod_id.empty() && lease.state == pods::kRunning) {
          auto pod = executor_->GetPod(lease.pod_id);
          if (pod && (*pod)->Info().phase == PodPhase::kRunning) {
            Cache(entry, *pod, 0);
            if (activity) Touch(ws.id);
            return *pod;
          }
          // Its holder's pod is gone: take the lease over and start a new one.
          take_live = true;
          continue;
        }
        // It is starting the pod now: wait for it, as a second open on its replica would.
        if (std::chrono::steady_clock::now() >= deadline) {
          return Fail(Error::Code::kDeadlineExceeded,
                      "workspaces: the pod started by replica \"" + lease.replica +
                          "\" was not ready within " +
                          std::to_string(options_.start_timeout.count()) + " ms");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      case pods::ClaimOutcome::kNew:
        return StartNew(ws, entry, lease);
      case pods::ClaimOutcome::kOwn:
      case pods::ClaimOutcome::kTakenOver:
        if (!lease.pod_id.empty()) {
          if (cached && cached->id() == lease.pod_id &&
              cached->Info().phase == PodPhase::kRunning) {
            Cache(entry, cached, lease.generation);
            return cached;
          }
          auto pod = executor_->GetPod(lease.pod_id);
          if (pod && (*pod)->Info().phase == PodPhase::kRunning)
            return Adopt(ws, entry, lease, *pod, activity);
          // Gone with its replica, dead, or out of this executor's reach: what storage holds
          // is the workspace. A pod left running is deleted (its replica's lease is over).
          (void)executor_->DeletePod(lease.pod_id);
          platform_.logger().Warn("a workspace's pod is gone; starting a new one from storage",
                                  {{"workspace", ws.id}, {"pod", lease.pod_id}});
        }
        return StartNew(ws, entry, lease);
    }
  }
}

// A pod another replica started (it died, or handed the lease over): one sync pass stores
// what was written in it since that replica's last pass, then it is this replica's pod.
Result<std::shared_ptr<Pod>> Workspaces::Impl::Adopt(const Workspace& ws, Entry& entry,
                                                     const PodRecord& lease,
                                                     std::shared_ptr<Pod> pod, bool activity) {
  Cache(entry, pod, lease.generation);
  CY_CHECK(Transition(ws.id, lease.generation, WorkspaceState::kRunning));
  auto synced = RunSync(ws.id, *pod, lease.generation);
  if (!synced) {
    // The pod keeps its files; the next pass (exec, terminal, stop) tries again.
    platform_.logger().Warn("sync of an adopted workspace pod failed",
                            {{"workspace", ws.id}, {"error", synced.error().ToString()}});
    if (pods::IsStaleLease(synced.error())) return Fail(synced.error());
  } else {
    platform_.logger().Info("adopted a workspace pod", {{"workspace", ws.id},
                                                        {"pod", pod->id()},
                                                        {"from_replica", lease.replica},
                                                        {"pulled", synced->pulled}});
  }
  if (activity) Touch(ws.id);
  return pod;
}

Result<std::shared_ptr<Pod>> Workspaces::Impl::StartNew(const Workspace& ws, Entry& entry,
                                                        const PodRecord& lease) {
  const int64_t generation = lease.generation;
  auto give_up = [&](const Error& error, const std::shared_ptr<Pod>& pod) -> Error {
    if (pod) (void)executor_->DeletePod(pod->id());
    if (auto released = ReleaseLease(ws.id, generation); !released) {
      platform_.logger().Warn("could not release a workspace lease after a failed start",
                              {{"workspace", ws.id}, {"error", released.error().ToString()}});
    }
    Cache(entry, nullptr, 0);
    return error;
  };
  if (auto moved = Transition(ws.id, generation, WorkspaceState::kStarting); !moved) {
    return Fail(give_up(moved.error(), nullptr));
  }
  auto pod = StartPod(ws);
  if (!pod) return Fail(give_up(pod.error(), nullptr));
  workspaces::FencedStorage fenced(platform_.storage(), ws.id, replica_, generation);
  sync::SyncEngine engine(fenced, platform_.clock(), platform_.logger(), options_.file_limits);
  auto seeded = engine.Seed(ws.id, **pod);
  if (!seeded) {
    return Fail(give_up(seeded.error().WithContext("writing files into the pod"), *pod));
  }
  Count(*seeded);
  auto recorded =
      store::Transact(platform_.storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
        const int64_t now = platform_.clock().NowMillis();
        CY_CHECK(pods::SetPod(tx, ws.id, replica_, generation, (*pod)->id(), now));
        CY_TRY(const bool moved,
               store::workspaces::TransitionState(tx, ws.id, WorkspaceState::kStarting,
                                                  WorkspaceState::kRunning, now));
        if (!moved) return Fail(Error::Code::kAborted, "workspace changed state while starting");
        return store::workspaces::Touch(tx, ws.id, now);
      });
  if (!recorded) return Fail(give_up(recorded.error(), *pod));
  Cache(entry, *pod, generation);
  return *pod;
}

// Creates the pod, giving up after start_timeout (a pod that arrives later is deleted).
Result<std::shared_ptr<Pod>> Workspaces::Impl::StartPod(const Workspace& ws) {
  PodSpec spec;
  spec.labels["codeyard.dev/workspace"] = ws.id;
  spec.labels["codeyard.dev/purpose"] = "workspace";
  spec.limits = options_.pod_limits;
  spec.network = options_.pod_network;
  spec.survive_owner = true;  // the pod belongs to its lease, not to this process
  spec.image = ws.image;
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
    return Fail(Error::Code::kDeadlineExceeded, "the workspace's pod was not ready within " +
                                                    std::to_string(options_.start_timeout.count()) +
                                                    " ms");
  }
  return future.get();
}

Result<void> Workspaces::Impl::Stop(std::string_view user_id, std::string_view id) {
  CY_TRY(const Workspace ws, Get(user_id, id));
  EntryFor(ws.id, ws.owner_id);
  return StopPod(ws.id, /*take_live=*/true);
}

// `sync_result`, when given, receives the final sync's outcome if one ran. A final sync that
// fails or leaves pod files unstored keeps the pod (and the lease, now this replica's): the
// call fails and nothing is deleted. With take_live false, a workspace whose live lease
// another replica holds is left alone (that replica stops its own).
Result<void> Workspaces::Impl::StopPod(std::string_view id, bool take_live,
                                       std::optional<Result<SyncReport>>* sync_result) {
  auto entry = FindEntry(id);
  if (!entry) return {};
  std::lock_guard lock(entry->mu);
  std::string owner;
  std::shared_ptr<Pod> cached;
  {
    std::lock_guard map_lock(mu_);
    owner = entry->owner_id;
    cached = entry->pod;
  }
  CY_TRY(const auto current,
         store::Transact(platform_.storage(), TxKind::kRead,
                         [&](Transaction& tx) -> Result<std::optional<PodRecord>> {
                           auto got = pods::Get(tx, id);
                           if (!got && got.error().code() == Error::Code::kNotFound) {
                             return std::optional<PodRecord>();
                           }
                           if (!got) return Fail(got.error());
                           return std::optional<PodRecord>(*got);
                         }));
  if (!current || current->state == pods::kReleased) {
    Cache(*entry, nullptr, 0);
    return {};
  }
  CY_TRY(const pods::Claimed claimed, Claim(id, owner, take_live, /*check_limits=*/false));
  if (claimed.outcome == pods::ClaimOutcome::kHeld) return {};
  const PodRecord& lease = claimed.lease;
  std::shared_ptr<Pod> pod;
  if (!lease.pod_id.empty()) {
    if (cached && cached->id() == lease.pod_id) {
      pod = cached;
    } else if (auto got = executor_->GetPod(lease.pod_id); got) {
      pod = *got;
    }
  }
  if (pod && pod->Info().phase == PodPhase::kRunning) {
    Cache(*entry, pod, lease.generation);
    auto synced = RunSync(id, *pod, lease.generation);
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
  CY_CHECK(Transition(id, lease.generation, WorkspaceState::kStopping));
  if (!lease.pod_id.empty()) (void)executor_->DeletePod(lease.pod_id);
  Cache(*entry, nullptr, 0);
  return ReleaseLease(id, lease.generation);
}

Result<void> Workspaces::Impl::Delete(std::string_view user_id, std::string_view id) {
  CY_TRY(const Workspace ws, Get(user_id, id));
  auto entry = EntryFor(ws.id, ws.owner_id);
  std::lock_guard lock(entry->mu);
  auto current = store::Transact(platform_.storage(), TxKind::kRead,
                                 [&](Transaction& tx) { return pods::Get(tx, ws.id); });
  if (current && current->state != pods::kReleased) {
    // Taking the lease first fences out a holder's sync passes; the pod then goes with it.
    CY_TRY(const pods::Claimed claimed,
           Claim(ws.id, ws.owner_id, /*take_live=*/true, /*check_limits=*/false));
    if (!claimed.lease.pod_id.empty()) (void)executor_->DeletePod(claimed.lease.pod_id);
  } else if (!current && current.error().code() != Error::Code::kNotFound) {
    return Fail(current.error());
  }
  Cache(*entry, nullptr, 0);
  // What the backend keeps beyond a pod (the k8s: home volume) goes before the row, so a
  // failure leaves the workspace to delete again rather than a volume nobody names.
  CY_CHECK(executor_->DeleteVolumes({{"codeyard.dev/workspace", ws.id}}));
  const auto deleted =
      store::Transact(platform_.storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
        // Before the row goes: the event copies the owner from it, and so reaches the owner
        // although nobody may read the workspace any more.
        CY_CHECK(events::WorkspaceDeleted(tx, ws.id, ws.name));
        return store::workspaces::Delete(tx, id);
      });
  CY_CHECK(deleted);
  std::lock_guard map_lock(mu_);
  entries_.erase(std::string(id));
  return {};
}

Result<int> Workspaces::Impl::StopIdle() {
  const int64_t now = platform_.clock().NowMillis();
  CY_TRY(auto running, store::Transact(platform_.storage(), TxKind::kRead, [&](Transaction& tx) {
           return store::workspaces::ListByState(tx, WorkspaceState::kRunning);
         }));
  int stopped = 0;
  for (const auto& ws : running) {
    const bool idle = now - ws.last_active_at > options_.idle_timeout.count();
    auto lease = store::Transact(platform_.storage(), TxKind::kRead,
                                 [&](Transaction& tx) { return pods::Get(tx, ws.id); });
    if (!idle) {
      // A running pod whose lease expired (its replica died, or handed it off) has no holder:
      // take it over now, so what was written in it since the last pass is stored at once and
      // the pod is not left to end by its orphan timeout before anyone opens the workspace.
      // (Its own expired lease is its heartbeat's to renew.)
      if (lease && lease->state == pods::kRunning && !lease->pod_id.empty() &&
          lease->lease_until <= now && lease->replica != replica_) {
        auto entry = EntryFor(ws.id, ws.owner_id);
        std::lock_guard lock(entry->mu);
        if (auto adopted = AcquireLocked(ws, *entry, Need::kRescue); !adopted) {
          platform_.logger().Warn("could not take over a workspace whose lease expired",
                                  {{"workspace", ws.id}, {"error", adopted.error().ToString()}});
        }
      }
      continue;
    }
    // A live lease of another replica: that replica reaps it. Ours, or expired (its replica
    // died): this one does.
    if (lease && lease->state != pods::kReleased && lease->replica != replica_ &&
        lease->lease_until > now) {
      continue;
    }
    EntryFor(ws.id, ws.owner_id);
    // A pod whose final sync did not complete stays (StopPod logged and counted it); the
    // next sweep tries again.
    if (StopPod(ws.id, /*take_live=*/false)) ++stopped;
  }
  // Expired leases of workspaces that are not running: a replica died while starting or
  // stopping the pod. They would count against the limits forever; end them.
  CY_TRY(const auto held, store::Transact(platform_.storage(), TxKind::kRead,
                                          [&](Transaction& tx) { return pods::ListHeld(tx); }));
  for (const PodRecord& lease : held) {
    if (lease.lease_until > now) continue;
    auto ws = store::Transact(platform_.storage(), TxKind::kRead, [&](Transaction& tx) {
      return store::workspaces::Get(tx, lease.workspace_id);
    });
    if (!ws || ws->state == WorkspaceState::kRunning) continue;
    EntryFor(ws->id, ws->owner_id);
    if (auto ended = StopPod(ws->id, /*take_live=*/false); !ended) {
      platform_.logger().Warn("could not end an abandoned workspace lease",
                              {{"workspace", ws->id}, {"error", ended.error().ToString()}});
    }
  }
  SweepOrphans();
  return stopped;
}

// Workspace pods no lease names (a crash between CreatePod and SetPod, a workspace deleted
// meanwhile) would otherwise run forever. A pod younger than one lease may be one whose
// start is still under way on some replica, so it is left for a later sweep.
void Workspaces::Impl::SweepOrphans() {
  auto listed = executor_->ListPods({{"codeyard.dev/purpose", "workspace"}});
  if (!listed) return;
  auto held = store::Transact(platform_.storage(), TxKind::kRead,
                              [&](Transaction& tx) { return pods::ListHeld(tx); });
  if (!held) return;
  std::set<std::string, std::less<>> named;
  for (const auto& lease : *held) named.insert(lease.pod_id);
  const int64_t wall_now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  for (const auto& info : *listed) {
    if (named.contains(info.id)) continue;
    if (wall_now - info.created_unix_ms < options_.lease.count()) continue;
    platform_.logger().Info("removing a workspace pod no lease names", {{"pod", info.id}});
    (void)executor_->DeletePod(info.id);
  }
}

int Workspaces::Impl::RenewLeases() {
  std::vector<std::pair<std::string, int64_t>> held;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, entry] : entries_) {
      if (entry->generation > 0) held.emplace_back(id, entry->generation);
    }
  }
  const int64_t started_ms = platform_.clock().NowMillis();
  bool failed = false;
  int renewed = 0;
  for (const auto& [id, generation] : held) {
    auto r = store::Transact(platform_.storage(), TxKind::kWrite, [&](Transaction& tx) {
      return pods::Renew(tx, id, replica_, generation, platform_.clock().NowMillis(),
                         options_.lease.count());
    });
    if (r) {
      ++renewed;
      continue;
    }
    if (pods::IsStaleLease(r.error())) {
      // Another replica holds it now; its pod stays cached here for serving terminals.
      std::lock_guard lock(mu_);
      const auto it = entries_.find(id);
      if (it != entries_.end() && it->second->generation == generation) {
        if (it->second->pod) --running_;
        it->second->generation = 0;
      }
      continue;
    }
    failed = true;
    platform_.logger().Warn("lease renewal failed",
                            {{"workspace", id}, {"error", r.error().ToString()}});
  }
  if (!failed) last_renewal_ms_ = started_ms;
  return renewed;
}

int Workspaces::Impl::HandOff(std::chrono::steady_clock::time_point deadline) {
  std::vector<std::string> ids;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, entry] : entries_) {
      if (entry->pod && entry->generation > 0) ids.push_back(id);
    }
  }
  int handed = 0;
  for (const auto& id : ids) {
    if (std::chrono::steady_clock::now() >= deadline) break;
    auto entry = FindEntry(id);
    if (!entry) continue;
    std::lock_guard lock(entry->mu);
    std::shared_ptr<Pod> pod;
    int64_t generation = 0;
    {
      std::lock_guard map_lock(mu_);
      pod = entry->pod;
      generation = entry->generation;
    }
    if (!pod || generation == 0) continue;
    if (auto synced = RunSync(id, *pod, generation); !synced || synced->unstored > 0) {
      platform_.logger().Warn(
          "lease left to expire: the hand-off sync did not complete",
          {{"workspace", id},
           {"error", synced ? std::to_string(synced->unstored) + " file(s) left unstored"
                            : synced.error().ToString()}});
      continue;
    }
    // A renewal that ends now: the lease is expired for every claimer from this moment.
    auto ended = store::Transact(platform_.storage(), TxKind::kWrite, [&](Transaction& tx) {
      return pods::Renew(tx, id, replica_, generation, platform_.clock().NowMillis(), 0);
    });
    Cache(*entry, nullptr, 0);
    if (ended) {
      ++handed;
      platform_.logger().Info("workspace synced and handed off",
                              {{"workspace", id}, {"pod", pod->id()}});
    }
  }
  return handed;
}

StopAllReport Workspaces::Impl::StopAll(std::chrono::steady_clock::time_point deadline) {
  std::vector<std::string> ids;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, entry] : entries_) {
      if (entry->pod && entry->generation > 0) ids.push_back(id);
    }
  }
  StopAllReport report;
  for (const auto& id : ids) {
    const auto started = std::chrono::steady_clock::now();
    if (started >= deadline) {
      // No time for a final sync: the pod keeps what was written since the last one, and the
      // replica that takes the lease over after it expires stores it.
      ++report.unsynced;
      ++stops_refused_;
      platform_.logger().Warn(
          "workspace left running at shutdown: the deadline passed before its final sync",
          {{"workspace", id}});
      continue;
    }
    std::optional<Result<SyncReport>> synced;
    if (auto stopped = StopPod(id, /*take_live=*/false, &synced); !stopped) {
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

}  // namespace codeyard
