#include "executor/kubernetes/kube_pod.hpp"

#include <utility>

namespace codeyard::kube {

KubePod::KubePod(PodInfo info, std::shared_ptr<Pod> agent, std::function<void()> on_release)
    : PodWrapper(std::move(agent)), info_(std::move(info)), on_release_(std::move(on_release)) {}

KubePod::~KubePod() {
  if (on_release_) on_release_();
}

PodInfo KubePod::Info() const { return info_; }

namespace {

// Stands in for the agent until podagent's AgentPod is merged (see DefaultAgentPods).
class UnreachablePod : public Pod {
 public:
  explicit UnreachablePod(PodInfo info) : info_(std::move(info)) {}
  const std::string& id() const override { return info_.id; }
  PodInfo Info() const override { return info_; }
  Result<std::unique_ptr<Process>> Exec(const ExecSpec&) override { return Missing(); }
  Result<void> PutFiles(std::span<const FileData>) override { return Missing(); }
  Result<std::vector<FileData>> GetFiles(std::span<const std::string>) override {
    return Missing();
  }
  Result<void> DeleteFiles(std::span<const std::string>) override { return Missing(); }
  Result<std::vector<FileEntry>> ListFiles(const ListFilesOptions&) override { return Missing(); }

 private:
  std::unexpected<Error> Missing() const {
    return Fail(Error::Code::kUnimplemented,
                "k8s executor: pod " + info_.id +
                    " runs, but this build has no agent client to reach it (AgentPod)");
  }
  PodInfo info_;
};

}  // namespace

AgentPodFactory DefaultAgentPods() {
  return [](const PodInfo& info, StreamOpener) -> Result<std::shared_ptr<Pod>> {
    return std::make_shared<UnreachablePod>(info);
  };
}

}  // namespace codeyard::kube
