#include "core/usage/pod_meter.hpp"

#include "core/orgs/org_rules.hpp"
#include "core/store/pod_cpu.hpp"
#include "core/store/transact.hpp"
#include "core/store/usage.hpp"
#include "core/try.hpp"
#include "core/usage/record.hpp"

namespace codeyard::usage {

PodCharge ChargeOf(const Workspace& ws) { return PodCharge{ws.id, OrgOf(ws), ws.owner_id}; }

Result<int64_t> RecordPodCpu(Transaction& tx, int64_t now, std::string_view pod_id,
                             const PodCharge& charge, int64_t counter_ms) {
  CY_TRY(const int64_t added,
         store::pod_cpu::Advance(tx, pod_id, charge.workspace_id, counter_ms, now));
  if (added == 0) return int64_t{0};
  store::usage::Delta d;
  d.cpu_ms = added;
  CY_CHECK(store::usage::Add(tx, DayOf(now), charge.org_id, charge.user_id, d));
  return added;
}

Result<int64_t> SamplePod(Platform& platform, Pod& pod, const PodCharge& charge,
                          bool* pod_unanswered) {
  auto sampled = pod.CpuMs();
  if (pod_unanswered != nullptr) {
    *pod_unanswered = !sampled && sampled.error().code() == Error::Code::kDeadlineExceeded;
  }
  CY_TRY(const int64_t counter, std::move(sampled));
  return store::Transact(platform.storage(), TxKind::kWrite, [&](Transaction& tx) {
    return RecordPodCpu(tx, platform.clock().NowMillis(), pod.id(), charge, counter);
  });
}

Result<void> CheckCpuQuota(Platform& platform, const PodCharge& charge) {
  return store::Transact(platform.storage(), TxKind::kRead, [&](Transaction& tx) {
    return orgs::CheckCpuSecondsPerDay(tx, charge.org_id, charge.user_id,
                                       platform.clock().NowMillis());
  });
}

}  // namespace codeyard::usage
