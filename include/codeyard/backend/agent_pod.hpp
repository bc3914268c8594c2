// A Pod reached only through a byte stream into it: the library runs `codeyard-pod agent`
// in the pod (through an exec API: Kubernetes' pods/exec with stdin and stdout) and speaks
// the agent's frame protocol over that stream. The pod's container runs `codeyard-pod
// container` as its init, which holds the pod's processes, terminal sessions and reset. An
// embedder writing a backend for another orchestrator reuses this class: it supplies the
// pod's PodInfo and an opener that starts argv in the pod and returns the stream (CloseWrite
// ends the program's stdin). Each Process, session attachment, port connection and reset opens
// its own stream; file calls share a few streams kept open per pod (one call at a time on
// each), so a file call costs no exec. Every wait has a deadline.
// Thread-safe like any Pod (every method from any thread; a Process driven by one thread at a
// time, Interrupt from any). A Process keeps one reader thread on its stream.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "codeyard/backend/executor.hpp"
#include "codeyard/backend/port_stream.hpp"

namespace codeyard::agent {

// Starts `argv` in the pod with stdin and stdout as the returned stream (stderr is the
// backend's to log or drop).
using StreamOpener =
    std::function<Result<std::unique_ptr<PortStream>>(std::vector<std::string> argv)>;

struct AgentPodOptions {
  // Where the pod's image installs codeyard-pod (the `k8s:` URI's pod_binary).
  std::string pod_binary = "/usr/local/bin/codeyard-pod";
  // The longest a file call or a reset, a Process's start or a session's attach may take.
  std::chrono::milliseconds call_timeout = std::chrono::seconds(60);
  // What Info() returns now (the backend's current view: its phase once the pod is deleted);
  // unset, Info() returns the PodInfo the pod was made with.
  std::function<PodInfo()> info;
};

// A Pod over `opener`; `info` is what Info() returns (the backend's view of the pod).
[[nodiscard]] std::shared_ptr<Pod> MakeAgentPod(PodInfo info, StreamOpener opener,
                                                AgentPodOptions options = {});

// A Process started with stdin open seen as the stream an opener returns: its stdout in, its
// stdin out (stderr dropped); CloseWrite closes its stdin. For an opener over another Pod's
// Exec (the tests run the agent in a local pod this way, as does `codeyard-bench agent`).
[[nodiscard]] std::unique_ptr<PortStream> MakeProcessStream(std::unique_ptr<Process> process);

}  // namespace codeyard::agent
