// Workspaces: metering of everything a workspace's pod runs (meter20; docs/usage.md,
// core/usage/pod_meter.hpp). The replica holding a workspace's lease samples its pod's CPU
// counter every WorkspaceOptions::usage_sample (and Start's meter when a command ends, and
// StopPod before the pod goes), and stops a workspace whose sample used up its owner's
// CPU-seconds-per-day quota, so a loop in a terminal cannot run on past it.
#include <boost/json.hpp>

#include "codeyard/audit.hpp"
#include "core/store/audit.hpp"
#include "core/store/pod_cpu.hpp"
#include "core/store/transact.hpp"
#include "core/store/workspaces.hpp"
#include "core/try.hpp"
#include "core/usage/pod_meter.hpp"
#include "core/usage/record.hpp"
#include "core/workspaces/workspaces_impl.hpp"

namespace codeyard {
namespace {

// pod_cpu rows not sampled for this long belong to pods long gone (a held pod is sampled
// every usage_sample, at most a day apart by the config's bound).
constexpr int64_t kPodCpuKeepMs = int64_t{2} * 86'400'000;

// Samples in a row a pod may leave unanswered before it is taken as hung: with the default
// interval of 30 s, a pod silent for about 35 s to a minute (each sample waits 5 s for its
// answer). One alone is a busy moment, not a hang.
constexpr int kHungPodSamples = 2;

}  // namespace

Result<int64_t> Workspaces::Impl::Meter(const Workspace& ws, Pod& pod, bool* pod_unanswered) {
  auto added = usage::SamplePod(platform_, pod, usage::ChargeOf(ws), pod_unanswered);
  if (!added && added.error().code() != Error::Code::kUnimplemented) {
    platform_.logger().Warn(
        "usage: cannot sample a workspace pod's CPU",
        {{"workspace", ws.id}, {"pod", pod.id()}, {"error", added.error().ToString()}});
  }
  return added;
}

void Workspaces::Impl::MeterById(std::string_view id, Pod& pod) {
  auto ws = store::Transact(platform_.storage(), TxKind::kRead,
                            [&](Transaction& tx) { return store::workspaces::Get(tx, id); });
  if (ws) (void)Meter(*ws, pod);
}

Result<void> Workspaces::Impl::CheckCpuQuota(const Workspace& ws) {
  return usage::CheckCpuQuota(platform_, usage::ChargeOf(ws));
}

Result<void> Workspaces::Impl::CheckCpuQuota(std::string_view id) {
  CY_TRY(const Workspace ws,
         store::Transact(platform_.storage(), TxKind::kRead,
                         [&](Transaction& tx) { return store::workspaces::Get(tx, id); }));
  return CheckCpuQuota(ws);
}

int Workspaces::Impl::SampleUsage() {
  std::vector<std::string> held;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, entry] : entries_) {
      if (entry->pod && entry->generation > 0) held.push_back(id);
    }
  }
  int sampled = 0;
  for (const std::string& id : held) {
    auto entry = FindEntry(id);
    if (!entry) continue;
    std::optional<Workspace> over;
    std::string hung;  // the pod, when it left kHungPodSamples samples unanswered
    Error refusal(Error::Code::kInternal, "");
    {
      // One lifecycle step of this workspace at a time on this replica (StopPod holds it too).
      std::lock_guard lock(entry->mu);
      std::shared_ptr<Pod> pod;
      {
        std::lock_guard map_lock(mu_);
        if (entry->generation > 0) pod = entry->pod;
      }
      if (!pod) continue;
      auto ws = store::Transact(platform_.storage(), TxKind::kRead,
                                [&](Transaction& tx) { return store::workspaces::Get(tx, id); });
      if (!ws) continue;
      // Only the pod's own silence counts, never the storage's (a statement timeout is
      // kDeadlineExceeded too).
      bool unanswered = false;
      auto added = Meter(*ws, *pod, &unanswered);
      {
        std::lock_guard map_lock(mu_);
        if (!unanswered) {
          entry->unanswered_samples = 0;
        } else if (++entry->unanswered_samples >= kHungPodSamples) {
          entry->unanswered_samples = 0;
          hung = pod->id();
        }
      }
      if (added) ++sampled;
      // Only a pod that burned CPU since the last sample is stopped: an idle one over the
      // quota costs nothing, and new work in it is refused anyway.
      if (added && *added > 0) {
        auto quota = CheckCpuQuota(*ws);
        if (!quota && quota.error().code() == Error::Code::kResourceExhausted) {
          over = std::move(*ws);
          refusal = quota.error();
        }
      }
    }
    // A terminal alone on a stopped pod waits for it without end (its shell may just be
    // quiet): the sampler is what notices a pod that no longer answers (issue 21).
    if (!hung.empty()) {
      ReplaceHungPod(id, hung,
                     "workspaces: a pod left " + std::to_string(kHungPodSamples) +
                         " usage samples in a row unanswered; deleting it, the next call "
                         "starts a new one from storage");
    }
    if (over) QuotaStop(*over, refusal);
  }
  return sampled;
}

void Workspaces::Impl::ReplaceHungPod(std::string_view id, const std::string& pod_id,
                                      std::string_view why) {
  platform_.logger().Warn(why, {{"workspace", std::string(id)}, {"pod", pod_id}});
  if (auto deleted = executor_->DeletePod(pod_id); !deleted) {
    platform_.logger().Error("workspaces: cannot delete a hung pod",
                             {{"pod", pod_id}, {"error", deleted.error().ToString()}});
  }
  ++hung_pods_replaced_;
}

void Workspaces::Impl::QuotaStop(const Workspace& ws, const Error& refusal) {
  auto stopped = StopPod(ws.id, /*take_live=*/false);
  if (!stopped) {
    // Its final sync failed (files the pod holds that storage cannot take): the pod keeps
    // running and the next sample that finds it burning tries again.
    platform_.logger().Warn("usage: a workspace over its CPU quota could not be stopped",
                            {{"workspace", ws.id}, {"error", stopped.error().ToString()}});
    return;
  }
  // StopPod leaves a workspace whose live lease another replica took meanwhile to that
  // replica (whose own samples stop it): only a stop made here is audited.
  auto now = store::Transact(platform_.storage(), TxKind::kRead,
                             [&](Transaction& tx) { return store::workspaces::Get(tx, ws.id); });
  if (!now || now->state != WorkspaceState::kStopped) return;
  platform_.logger().Warn(
      "usage: workspace stopped, its owner's CPU quota is used up",
      {{"workspace", ws.id}, {"owner", ws.owner_id}, {"quota", refusal.limit()}});
  boost::json::object detail;
  detail["quota"] = refusal.limit();
  detail["message"] = refusal.message();
  detail["org_id"] = usage::OrgOf(ws);
  auto audited =
      store::Transact(platform_.storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
        CY_TRY(const int64_t at,
               store::audit::Record(tx, platform_.clock().NowMillis(), std::nullopt,
                                    audit_action::kWorkspaceQuotaStop, ws.id,
                                    boost::json::serialize(detail)));
        (void)at;
        return {};
      });
  if (!audited) {
    platform_.logger().Error("usage: cannot audit a quota stop",
                             {{"workspace", ws.id}, {"error", audited.error().ToString()}});
  }
}

void Workspaces::Impl::MeterLoop() {
  std::unique_lock wait_lock(reaper_mu_);
  while (!reaper_wake_.wait_for(wait_lock, options_.usage_sample, [&] { return stopping_; })) {
    wait_lock.unlock();
    (void)SampleUsage();
    const int64_t before = platform_.clock().NowMillis() - kPodCpuKeepMs;
    if (auto swept =
            store::Transact(platform_.storage(), TxKind::kWrite,
                            [&](Transaction& tx) { return store::pod_cpu::Sweep(tx, before); });
        !swept) {
      platform_.logger().Warn("usage: pod_cpu sweep failed", {{"error", swept.error().ToString()}});
    }
    wait_lock.lock();
  }
}

}  // namespace codeyard
