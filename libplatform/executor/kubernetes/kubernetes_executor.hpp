// The `k8s:` executor: one Kubernetes Pod per codeyard pod (and, for a workspace, a home
// PersistentVolumeClaim that outlives its pods), created from kube_manifest's objects,
// waited for with a watch (kube_readiness decides), and reached only through the exec API
// (kube_pod). Every replica sees the same pods: GetPod and ListPods read the API server,
// and the PodSpec comes back from the pod's annotation. Nothing blocks forever: each call
// has a deadline. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "codeyard/backend/executor.hpp"
#include "codeyard/backend/registry.hpp"
#include "executor/kubernetes/kube_http.hpp"
#include "executor/kubernetes/kube_manifest.hpp"
#include "executor/kubernetes/kube_pod.hpp"
#include "executor/kubernetes/kube_watch_gone.hpp"

namespace codeyard::kube {

class KubePod;

// The registry factory for "k8s".
Result<std::shared_ptr<Executor>> OpenKubernetesExecutor(std::string_view uri,
                                                         const BackendContext& context);

class KubernetesExecutor : public Executor,
                           public std::enable_shared_from_this<KubernetesExecutor> {
 public:
  static std::shared_ptr<KubernetesExecutor> Make(KubeExecutorOptions options,
                                                  std::shared_ptr<Client> client,
                                                  AgentPodFactory agent_pods);
  // Deletes the one-shot pods it created that are still held; survive_owner pods run on.
  ~KubernetesExecutor() override;

  Result<std::shared_ptr<Pod>> CreatePod(const PodSpec& spec) override;
  Result<std::shared_ptr<Pod>> GetPod(std::string_view id) override;
  Result<std::vector<PodInfo>> ListPods(const LabelSelector& selector) override;
  Result<void> DeletePod(std::string_view id) override;
  Result<void> DeleteVolumes(const LabelSelector& selector) override;
  Result<std::vector<HostCheck>> Doctor() override;
  // "" (the URI's `image=`) or a name the URI maps with `image.<name>=REF`.
  Result<void> CheckImage(std::string_view image) override;
  // The labels of codeyard's PersistentVolumeClaims (the workspaces' home volumes).
  Result<std::vector<Labels>> ListVolumes(const LabelSelector& selector) override;
  // Deletes codeyard's pods whose held-until passed and nobody here holds, and one-shot
  // pods that ended (Succeeded or Failed) and nobody here holds; how many.
  Result<int> SweepOrphans() override;
  std::string scheme() const override { return "k8s"; }

  [[nodiscard]] const KubeExecutorOptions& options() const { return options_; }

  // One pass of the orphan lease (the lease thread runs it every orphan_renew): renews the
  // held-until of every pod this object holds, then deletes codeyard's pods whose held-until
  // has passed. Public for tests that want a pass now.
  void RenewAndSweep();

 private:
  KubernetesExecutor(KubeExecutorOptions options, std::shared_ptr<Client> client,
                     AgentPodFactory agent_pods);

  Resource Pods(std::string name = {}) const;
  Resource Claims(std::string name = {}) const;
  Result<void> EnsureHomeClaim(const std::string& workspace_id);
  // Pod `name` read for a watch to follow it: the pod (none once it is gone) and the
  // resourceVersion to watch from, which is the list's (the server's current one), never the
  // pod's own: a pod unchanged for longer than the server keeps events (etcd's compaction, a
  // restart) has an older one, and a watch from it is refused with 410 every time.
  struct PodForWatch {
    std::optional<boost::json::object> pod;
    std::string resource_version;
  };
  Result<PodForWatch> ListPodByName(const std::string& name, CallOptions options);
  // Watches `name` from `created` until it is ready; the ready object.
  Result<boost::json::object> WaitReady(const std::string& name, boost::json::object created);
  Result<std::shared_ptr<Pod>> Wrap(const PodInfo& info, bool owned_oneshot);
  // Deletes the pod; with `wait`, returns once the API server has forgotten it (its grace
  // period), so a list after DeletePod no longer shows it.
  Result<void> DeleteByName(const std::string& name, bool wait);
  // The lease thread (kubernetes_executor_lease.cpp): RenewAndSweep until the destructor.
  void LeaseLoop();
  // How long the lease thread waits between passes: orphan_renew, or less for a held pod
  // with a short orphan_timeout.
  std::chrono::milliseconds LeaseInterval();
  // The pods this object holds that have an orphan lease: name and orphan_timeout.
  std::vector<std::pair<std::string, std::chrono::milliseconds>> Leased();
  // The API server says pod `name` is gone (evicted, deleted, failed): the KubePod handed
  // out says so too, and GetPod reads the server again.
  void MarkGone(const std::string& name);

  const KubeExecutorOptions options_;
  const std::shared_ptr<Client> client_;
  const AgentPodFactory agent_pods_;

  std::mutex mu_;
  // Pods handed out by this object, so GetPod returns the same one; one-shot pods it
  // created are deleted when their KubePod goes.
  std::map<std::string, std::weak_ptr<KubePod>, std::less<>> held_;
  std::map<std::string, bool, std::less<>> created_;  // name -> one-shot

  std::mutex lease_mu_;
  std::condition_variable lease_cv_;
  bool closing_ = false;
  std::thread lease_thread_;
  // Started with the first pod handed out; last, so it stops before the rest goes.
  std::unique_ptr<PodGoneWatcher> gone_;
};

}  // namespace codeyard::kube
