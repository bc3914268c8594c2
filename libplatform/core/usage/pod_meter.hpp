// Metering of everything a workspace's pod runs (issue 20, meter20; docs/usage.md): terminal
// shells, language servers, previews, commands and what they leave running, all counted by
// the pod's own CPU counter (Pod::CpuMs), which the replica holding the workspace's lease
// samples periodically, when a command or Run step ends, and before the pod stops. Each
// sample adds the counter's growth since the highest sample recorded for the pod (store
// pod_cpu) to the owner's day under the workspace's organization, in one write transaction,
// so a replica's restart or a sample from two places neither loses nor repeats any. Safe from
// any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "codeyard/backend/executor.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/records.hpp"

namespace codeyard::usage {

// Whose a pod's CPU time is: the workspace's owner, under the workspace's organization.
struct PodCharge {
  std::string workspace_id;
  std::string org_id;
  std::string user_id;
};
[[nodiscard]] PodCharge ChargeOf(const Workspace& ws);

// Inside a write transaction at `now`: records `counter_ms`, a sample of pod `pod_id`'s
// counter, adding its growth past the highest recorded to the charge's day; returns the growth.
[[nodiscard]] Result<int64_t> RecordPodCpu(Transaction& tx, int64_t now, std::string_view pod_id,
                                           const PodCharge& charge, int64_t counter_ms);

// One sample of `pod` in a write transaction of its own: the milliseconds it added to the charge's
// usage (0 when the counter did not grow). kUnimplemented: the pod has no counter (the caller then
// meters each process from its ExitStatus); the pod's errors otherwise (stopped, gone), or the
// storage's. `pod_unanswered`, when given, tells whether the pod itself did not answer in time
// (kDeadlineExceeded from Pod::CpuMs, not from storage): a hung pod (Workspaces::SampleUsage).
[[nodiscard]] Result<int64_t> SamplePod(Platform& platform, Pod& pod, const PodCharge& charge,
                                        bool* pod_unanswered = nullptr);

// Whether the charge's organization or member CPU-seconds-per-day quota is used up now:
// the refusal a new piece of work would get (kResourceExhausted naming quota, limit and
// usage), or nothing.
[[nodiscard]] Result<void> CheckCpuQuota(Platform& platform, const PodCharge& charge);

}  // namespace codeyard::usage
