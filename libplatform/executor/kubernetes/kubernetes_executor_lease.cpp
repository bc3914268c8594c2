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
    if (info.spec.survive_owner && info.spec.orphan_timeout.count() > 0) {
      leased.emplace_back(info.id, info.spec.orphan_timeout);
    }
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
  auto list = client_->Get(
      Pods(),
      {{"labelSelector", std::string(kManagedByLabel) + "=" + std::string(kManagedByValue)}},
      kLeaseCall);
  if (!list || !list->is_object()) return;
  const json::value* items = list->get_object().if_contains("items");
  if (!items || !items->is_array()) return;
  const int64_t now = NowMs();
  for (const json::value& item : items->get_array()) {
    if (!item.is_object()) continue;
    const auto until = HeldUntilOf(item.get_object());
    if (!until || *until >= now) continue;
    const std::string name = NameOf(item.get_object());
    if (name.empty()) continue;
    bool held = false;
    {
      std::lock_guard lock(mu_);
      auto it = held_.find(name);
      held = it != held_.end() && !it->second.expired();
    }
    if (!held) (void)DeleteByName(name, /*wait=*/false);
  }
}

}  // namespace codeyard::kube
