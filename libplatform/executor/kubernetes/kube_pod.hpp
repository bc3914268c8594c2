// A pod of the `k8s:` executor as a codeyard::Pod: every call goes to the pod's own init
// (`codeyard-pod agent`, reached through one exec stream per Process, file call, session
// attachment or port stream), so exec, files, sessions, ports and Reset behave as on the
// local backend. A one-shot pod (survive_owner off) is deleted when the last holder lets go.
// Thread-safe, as Pod requires.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "codeyard/backend/executor.hpp"
#include "codeyard/backend/port_stream.hpp"

namespace codeyard::kube {

// Opens one more byte stream to the pod's agent (an exec of [pod_binary, "agent"]).
using StreamOpener = std::function<Result<std::unique_ptr<PortStream>>()>;

// Makes the Pod that speaks the agent protocol over streams from `open` (podagent's
// AgentPod). The executor takes it as a parameter so the two build apart.
using AgentPodFactory =
    std::function<Result<std::shared_ptr<Pod>>(const PodInfo& info, StreamOpener open)>;

// The factory this build has: podagent's AgentPod once it is in the library; until then a
// pod that the executor creates, lists and deletes but whose every call (Exec, files,
// sessions, ports, Reset) is kUnimplemented, naming what is missing.
[[nodiscard]] AgentPodFactory DefaultAgentPods();

class KubePod : public PodWrapper {
 public:
  // `on_release` runs once when the last holder lets go (the executor deletes a one-shot pod).
  KubePod(PodInfo info, std::shared_ptr<Pod> agent, std::function<void()> on_release);
  ~KubePod() override;

  const std::string& id() const override { return info_.id; }
  PodInfo Info() const override;

 private:
  PodInfo info_;
  std::function<void()> on_release_;
};

}  // namespace codeyard::kube
