// The whole agent chain without Kubernetes: a local sandbox pod (the container a runtime
// would make) whose long-running exec is `<build>/bin/codeyard-pod container` (build/bin is
// bound read-only into the pod through the local executor's ro_bind), and AgentPods whose
// opener runs `[codeyard-pod, "agent"]` with that pod's Exec (stdin open) seen as a
// PortStream, as the Kubernetes backend's opener does over the exec API.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "codeyard/backend/agent_pod.hpp"
#include "codeyard/backend/executor.hpp"
#include "executor/pod_fixture.hpp"

namespace codeyard::testing {

// A container pod: the local pod and its running container init.
struct ContainerPod {
  std::shared_ptr<Pod> local;     // the sandbox, as a container runtime made it
  std::unique_ptr<Process> init;  // `codeyard-pod container`
  std::shared_ptr<Pod> agent;     // the AgentPod over it
  std::string init_log;           // what the init printed so far (its "started" line)
};

// The local executor's URI with the codeyard-pod directory bound in; `state_dir` its state.
std::string AgentLocalUri(const std::string& state_dir);
// Where the test build's codeyard-pod is.
std::string PodBinary();

// Starts the container init in `local` and waits (deadline 20 s) for its "started" line.
ContainerPod StartContainer(std::shared_ptr<Pod> local, PodInfo info);

// Runs [codeyard-pod, "agent"] in `local` with stdin open.
agent::StreamOpener OpenerFor(std::shared_ptr<Pod> local);

// An executor whose pods are local pods running the container init, handed out as AgentPods
// (the conformance suite's "agent" row). Pods, their listing and deletion are the local
// executor's; GetPod starts no second init but reaches the running one through a new agent.
std::shared_ptr<Executor> MakeAgentExecutor(std::shared_ptr<Executor> local);

// A local executor with codeyard-pod bound in, on a private state directory (removed after),
// whose pods become container pods.
class AgentWorld {
 public:
  AgentWorld();
  ~AgentWorld();
  AgentWorld(const AgentWorld&) = delete;
  AgentWorld& operator=(const AgentWorld&) = delete;

  // A new local pod running the container init (FAILs the test when it cannot start).
  ContainerPod NewContainer(PodSpec spec = PodFixture::DefaultSpec());

 private:
  std::filesystem::path state_dir_;
  std::shared_ptr<Executor> executor_;
};

}  // namespace codeyard::testing
