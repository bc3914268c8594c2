#include "executor/kubernetes/kube_pod.hpp"

#include <utility>

#include "codeyard/backend/agent_pod.hpp"

namespace codeyard::kube {

KubePod::KubePod(PodInfo info, std::shared_ptr<Pod> agent, std::function<void()> on_release)
    : PodWrapper(std::move(agent)), info_(std::move(info)), on_release_(std::move(on_release)) {}

KubePod::~KubePod() {
  if (on_release_) on_release_();
}

PodInfo KubePod::Info() const { return info_; }

AgentPodFactory DefaultAgentPods(std::string pod_binary) {
  return [pod_binary](const PodInfo& info, StreamOpener open) -> Result<std::shared_ptr<Pod>> {
    agent::AgentPodOptions options;
    options.pod_binary = pod_binary;
    return agent::MakeAgentPod(info, std::move(open), options);
  };
}

}  // namespace codeyard::kube
