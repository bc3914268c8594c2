// `codeyard-pod container`: the pod's init when a container runtime (Kubernetes) already made
// the sandbox: namespaces, cgroups, root file system and the non-root pod user are the
// runtime's, so this init does no namespace, cgroup or mount work. It runs the same loop as a
// local pod's init (init_loop.hpp: execs, the named terminal sessions, reset, orphans reaped)
// in container mode, taking holders on an abstract unix socket (kAgentSocket) that `codeyard-pod
// agent` (agent.hpp) connects to. It may be PID 1 or not (under a test's or the fake API
// server's local pod it is a child): PR_SET_CHILD_SUBREAPER makes the orphans of what it
// starts its own to reap either way. SIGTERM ends the sessions and every process of the pod,
// and the init exits 0. A line per start and stop goes to stdout, the pod's log.
#pragma once

namespace codeyard::local::pod {

// Runs the container init until SIGTERM; the exit code of the program.
int RunContainer();

}  // namespace codeyard::local::pod
