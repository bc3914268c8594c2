// The orphan lease of `k8s:` workspace pods (PodSpec::orphan_timeout): the local backend's
// init ends a pod with no holder by itself; a Kubernetes pod has no such clock that can be
// pushed back (activeDeadlineSeconds only ever shrinks on a running pod: a hard limit, right
// for one-shot pods, wrong for a workspace that lives as long as it is used). So the pod
// carries a held-until annotation; every executor holding the pod renews it, and every
// executor's sweep deletes codeyard's pods whose held-until has passed. A replica that dies
// stops renewing, and any replica still running deletes its pods after their orphan_timeout.
#include <algorithm>
#include <boost/json.hpp>

#include "executor/kubernetes/kube_pod.hpp"
#include "executor/kubernetes/kubernetes_executor.hpp"

namespace codeyard::kube {
namespace {

namespace json = boost::json;

constexpr CallOptions kLeaseCall{std::chrono::milliseconds(5000)};
// A pod is renewed at least three times within its orphan_timeout, so one lost PATCH (or a
// slow API server) does not cost it; never more often than this.
constexpr std::chrono::milliseconds kShortestInterval{100};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string NameOf(const json::object& pod) {
  const json::value* metadata = pod.if_contains("metadata");
  const json::value* name =
      metadata && metadata->is_object() ? metadata->get_object().if_contains("name") : nullptr;
  return name && name->is_string() ? std::string(name->get_string()) : std::string();
}

const json::value* Field(const json::object& object, std::string_view outer,
                         std::string_view inner) {
  const json::value* o = object.if_contains(outer);
  return o && o->is_object() ? o->get_object().if_contains(inner) : nullptr;
}

// Labelled with a job (BuildPodManifest: every pod that is not a workspace's).
bool IsOneShot(const json::object& pod) {
  const json::value* labels = Field(pod, "metadata", "labels");
  return labels && labels->is_object() && labels->get_object().contains(kJobLabel) &&
         !labels->get_object().contains(kWorkspaceLabel);
}

bool IsEnded(const json::object& pod) {
  const json::value* phase = Field(pod, "status", "phase");
  return phase && phase->is_string() &&
         (phase->get_string() == "Succeeded" || phase->get_string() == "Failed");
}

}  // namespace

std::vector<std::pair<std::string, std::chrono::milliseconds>> KubernetesExecutor::Leased() {
  std::vector<std::weak_ptr<KubePod>> held;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, weak] : held_) held.push_back(weak);
  }
  // Locked outside mu_: the last reference may go here, and a one-shot pod's release deletes
  // it through DeleteByName, which takes mu_.
  std::vector<std::pair<std::string, std::chrono::milliseconds>> leased;
  for (const auto& weak : held) {
    const auto pod = weak.lock();
    if (!pod) continue;
    const PodInfo info = pod->Info();
    if (const auto lease = OrphanLease(info.spec, options_)) leased.emplace_back(info.id, *lease);
  }
  return leased;
}

std::chrono::milliseconds KubernetesExecutor::LeaseInterval() {
  std::chrono::milliseconds interval = options_.orphan_renew;
  for (const auto& [name, timeout] : Leased()) interval = std::min(interval, timeout / 3);
  return std::max(interval, kShortestInterval);
}

void KubernetesExecutor::LeaseLoop() {
  std::unique_lock lock(lease_mu_);
  while (!closing_) {
    lock.unlock();
    const auto interval = LeaseInterval();
    lock.lock();
    if (lease_cv_.wait_for(lock, interval, [&] { return closing_; })) return;
    lock.unlock();
    RenewAndSweep();
    lock.lock();
  }
}

void KubernetesExecutor::RenewAndSweep() {
  for (const auto& [name, timeout] : Leased()) {
    const json::value patch{
        {"metadata",
         json::object{{"annotations", json::object{{kHeldUntilAnnotation, HeldUntil(timeout)}}}}}};
    // A failed renewal is retried on the next pass, well within the timeout.
    (void)client_->Patch(Pods(name), patch, kLeaseCall);
  }
  (void)SweepOrphans();
}

Result<int> KubernetesExecutor::SweepOrphans() {
  auto list = client_->Get(
      Pods(),
      {{"labelSelector", std::string(kManagedByLabel) + "=" + std::string(kManagedByValue)}},
      kLeaseCall);
  if (!list) return Fail(list.error().WithContext("k8s executor: listing pods to sweep"));
  const json::value* items = list->is_object() ? list->get_object().if_contains("items") : nullptr;
  if (!items || !items->is_array()) return 0;
  const int64_t now = NowMs();
  int deleted = 0;
  for (const json::value& item : items->get_array()) {
    if (!item.is_object()) continue;
    const json::object& pod = item.get_object();
    if (Field(pod, "metadata", "deletionTimestamp") != nullptr) continue;  // already going
    const auto until = HeldUntilOf(pod);
    const bool expired = until && *until < now;
    // A one-shot pod whose init ended has done its work, whoever created it.
    const bool ended = IsOneShot(pod) && IsEnded(pod);
    if (!expired && !ended) continue;
    const std::string name = NameOf(pod);
    if (name.empty()) continue;
    bool held = false;
    {
      std::lock_guard lock(mu_);
      auto it = held_.find(name);
      held = it != held_.end() && !it->second.expired();
    }
    if (held) continue;
    auto gone = DeleteByName(name, /*wait=*/false);
    if (gone || gone.error().code() == Error::Code::kNotFound) ++deleted;
  }
  return deleted;
}

}  // namespace codeyard::kube
