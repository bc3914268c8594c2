#include "executor/kubernetes/kube_pod.hpp"

#include <utility>

#include "codeyard/backend/agent_pod.hpp"
#include "codeyard/backend/process_wrapper.hpp"
#include "core/try.hpp"
#include "executor/agent/agent_process.hpp"

namespace codeyard::kube {
namespace {

// A session attachment's Process that, when its stream was lost, waits in Wait (up to
// KubePod::kLostNotice) for the pod-gone notice: an eviction kills the pod's processes before
// the API server reports the pod Failed, and the watch brings that a moment later.
class LossWatch : public ProcessWrapper {
 public:
  template <typename Notice>
  LossWatch(std::unique_ptr<Process> inner, std::shared_ptr<Notice> notice)
      : ProcessWrapper(std::move(inner)), await_([notice](std::chrono::milliseconds within) {
          std::unique_lock lock(notice->mu);
          notice->cv.wait_for(lock, within, [&] { return notice->gone; });
        }) {}

  Result<ExitStatus> Wait() override {
    auto status = ProcessWrapper::Wait();
    const auto* agent = dynamic_cast<const agent::AgentProcess*>(&target());
    if (status && agent != nullptr && agent->lost()) await_(KubePod::kLostNotice);
    return status;
  }

 private:
  std::function<void(std::chrono::milliseconds)> await_;
};

}  // namespace

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

void KubePod::MarkDeleted() {
  deleted_.store(true);
  {
    std::lock_guard lock(notice_->mu);
    notice_->gone = true;
  }
  notice_->cv.notify_all();
}

SessionAttachment KubePod::WatchLoss(SessionAttachment attachment) const {
  if (attachment.process) {
    attachment.process = std::make_unique<LossWatch>(std::move(attachment.process), notice_);
  }
  return attachment;
}

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
  CY_TRY(SessionAttachment attachment, PodWrapper::OpenSession(name, spec));
  return WatchLoss(std::move(attachment));
}

Result<SessionAttachment> KubePod::JoinSession(std::string_view name) {
  CY_CHECK(CheckLive());
  CY_TRY(SessionAttachment attachment, PodWrapper::JoinSession(name));
  return WatchLoss(std::move(attachment));
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
  return [pod_binary = std::move(pod_binary)](const PodInfo& info,
                                              StreamOpener open) -> Result<std::shared_ptr<Pod>> {
    agent::AgentPodOptions options;
    options.pod_binary = pod_binary;
    return agent::MakeAgentPod(info, std::move(open), options);
  };
}

}  // namespace codeyard::kube
