#include "executor/kubernetes/kube_pod.hpp"

#include <utility>

#include "codeyard/backend/agent_pod.hpp"
#include "core/try.hpp"

namespace codeyard::kube {

KubePod::KubePod(PodInfo info, std::shared_ptr<Pod> agent, std::function<void()> on_release)
    : PodWrapper(std::move(agent)), info_(std::move(info)), on_release_(std::move(on_release)) {}

KubePod::~KubePod() {
  if (on_release_) on_release_();
}

PodInfo KubePod::Info() const {
  PodInfo info = info_;
  if (deleted_.load()) {
    info.phase = PodPhase::kTerminated;
    info.message = "deleted";
  }
  return info;
}

void KubePod::MarkDeleted() { deleted_.store(true); }

Result<void> KubePod::CheckLive() const {
  if (!deleted_.load()) return {};
  return Fail(Error::Code::kFailedPrecondition, "k8s executor: pod " + info_.id + " was deleted");
}

Result<std::unique_ptr<Process>> KubePod::Exec(const ExecSpec& spec) {
  CY_CHECK(CheckLive());
  return PodWrapper::Exec(spec);
}

Result<void> KubePod::PutFiles(std::span<const FileData> files) {
  CY_CHECK(CheckLive());
  return PodWrapper::PutFiles(files);
}

Result<std::vector<FileData>> KubePod::GetFiles(std::span<const std::string> paths) {
  CY_CHECK(CheckLive());
  return PodWrapper::GetFiles(paths);
}

Result<void> KubePod::DeleteFiles(std::span<const std::string> paths) {
  CY_CHECK(CheckLive());
  return PodWrapper::DeleteFiles(paths);
}

Result<std::vector<FileEntry>> KubePod::ListFiles(const ListFilesOptions& options) {
  CY_CHECK(CheckLive());
  return PodWrapper::ListFiles(options);
}

Result<SessionAttachment> KubePod::OpenSession(std::string_view name, const ExecSpec& spec) {
  CY_CHECK(CheckLive());
  return PodWrapper::OpenSession(name, spec);
}

Result<SessionAttachment> KubePod::JoinSession(std::string_view name) {
  CY_CHECK(CheckLive());
  return PodWrapper::JoinSession(name);
}

Result<std::unique_ptr<PortStream>> KubePod::ConnectPort(uint16_t port) {
  CY_CHECK(CheckLive());
  return PodWrapper::ConnectPort(port);
}

Result<void> KubePod::Reset() {
  CY_CHECK(CheckLive());
  return PodWrapper::Reset();
}

AgentPodFactory DefaultAgentPods(std::string pod_binary) {
  return [pod_binary](const PodInfo& info, StreamOpener open) -> Result<std::shared_ptr<Pod>> {
    agent::AgentPodOptions options;
    options.pod_binary = pod_binary;
    return agent::MakeAgentPod(info, std::move(open), options);
  };
}

}  // namespace codeyard::kube
