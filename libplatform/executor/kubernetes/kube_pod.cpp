#include "executor/kubernetes/kube_pod.hpp"

#include <utility>

namespace codeyard::kube {

KubePod::KubePod(PodInfo info, std::shared_ptr<Pod> agent, std::function<void()> on_release)
    : PodWrapper(std::move(agent)), info_(std::move(info)), on_release_(std::move(on_release)) {}

KubePod::~KubePod() {
  if (on_release_) on_release_();
}

PodInfo KubePod::Info() const { return info_; }

AgentPodFactory DefaultAgentPods() { return {}; }

}  // namespace codeyard::kube
