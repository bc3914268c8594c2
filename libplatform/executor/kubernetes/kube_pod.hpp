// A pod of the `k8s:` executor as a codeyard::Pod: every call goes to the pod's own init
// (`codeyard-pod agent`, reached through one exec stream per Process, file call, session
// attachment or port stream), so exec, files, sessions, ports and Reset behave as on the
// local backend. A one-shot pod (survive_owner off) is deleted when the last holder lets go.
// Thread-safe, as Pod requires.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
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

  // After DeletePod, or the API server saying the pod is gone: Info says kTerminated and
  // every call is kFailedPrecondition.
  void MarkDeleted();

  // How long a session attachment whose stream was lost (the shell's exit never came: the
  // pod was evicted or deleted under it) waits in Wait for the executor to learn the pod is
  // gone (its pod-gone watch calls MarkDeleted), so the caller then sees kTerminated rather
  // than a shell killed in a live pod. Woken by MarkDeleted, not polled.
  static constexpr std::chrono::milliseconds kLostNotice{10000};

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

  // Set with deleted_; session attachments wait on it (kLostNotice).
  struct GoneNotice {
    std::mutex mu;
    std::condition_variable cv;
    bool gone = false;
  };
  [[nodiscard]] SessionAttachment WatchLoss(SessionAttachment attachment) const;

  const PodInfo info_;
  std::atomic<bool> deleted_{false};
  const std::shared_ptr<GoneNotice> notice_ = std::make_shared<GoneNotice>();
  std::function<void()> on_release_;
};

}  // namespace codeyard::kube
