// A pod of the `k8s:` executor as a codeyard::Pod: every call goes to the pod's own init
// (`codeyard-pod agent`, reached through one exec stream per Process, file call, session
// attachment or port stream), so exec, files, sessions, ports and Reset behave as on the
// local backend. A one-shot pod (survive_owner off) is deleted when the last holder lets go.
// Thread-safe, as Pod requires.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "codeyard/backend/executor.hpp"
#include "codeyard/backend/port_stream.hpp"

namespace codeyard::kube {

// Opens one more byte stream into the pod: an exec of argv ([pod_binary, "agent"]) in its
// container, stdin and stdout.
using StreamOpener =
    std::function<Result<std::unique_ptr<PortStream>>(std::vector<std::string> argv)>;

// Makes the Pod that speaks the agent protocol over streams from `open`. The executor takes
// it as a parameter so a test or an embedder can put another in.
using AgentPodFactory =
    std::function<Result<std::shared_ptr<Pod>>(const PodInfo& info, StreamOpener open)>;

// The library's: agent::MakeAgentPod (codeyard/backend/agent_pod.hpp) with `pod_binary`.
[[nodiscard]] AgentPodFactory DefaultAgentPods(std::string pod_binary);

class KubePod : public PodWrapper {
 public:
  // `on_release` runs once when the last holder lets go (the executor deletes a one-shot pod).
  KubePod(PodInfo info, std::shared_ptr<Pod> agent, std::function<void()> on_release);
  ~KubePod() override;

  const std::string& id() const override { return info_.id; }
  PodInfo Info() const override;

  // After DeletePod: Info says kTerminated and every call is kFailedPrecondition.
  void MarkDeleted();

  Result<std::unique_ptr<Process>> Exec(const ExecSpec& spec) override;
  Result<void> PutFiles(std::span<const FileData> files) override;
  Result<std::vector<FileData>> GetFiles(std::span<const std::string> paths) override;
  Result<void> DeleteFiles(std::span<const std::string> paths) override;
  Result<std::vector<FileEntry>> ListFiles(const ListFilesOptions& options) override;
  Result<SessionAttachment> OpenSession(std::string_view name, const ExecSpec& spec) override;
  Result<SessionAttachment> JoinSession(std::string_view name) override;
  Result<std::unique_ptr<PortStream>> ConnectPort(uint16_t port) override;
  Result<void> Reset() override;

 private:
  [[nodiscard]] Result<void> CheckLive() const;

  const PodInfo info_;
  std::atomic<bool> deleted_{false};
  std::function<void()> on_release_;
};

}  // namespace codeyard::kube
