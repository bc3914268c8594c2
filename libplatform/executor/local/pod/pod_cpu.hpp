// The pod's CPU counter (Pod::CpuMs, issue 20's metering of everything a pod runs): the CPU
// time every process the init started has used, whether it ended or still runs, read by the
// init itself without cgroups, so the local sandbox and a container (Kubernetes) count alike.
//
//   reaped:  getrusage(RUSAGE_CHILDREN) of the init: every child it waited for, with what
//            those children had waited for. Orphans count too: the init is PID 1 of a local
//            pod and a child subreaper in container mode, so they are re-parented to it and
//            reaped here.
//   live:    for every live descendant of the init (its /proc/<pid>/stat ancestry reaches
//            the init), utime + stime + cutime + cstime: its own time and its waited-for
//            children's. When it dies and the init reaps it, the same time moves into the
//            init's RUSAGE_CHILDREN: nothing is lost or counted twice.
//
// The init's own time and the agents' (which the container runtime starts, not the init)
// are the platform's, not the user's, and are left out. Not counted: a child its parent never
// waits for because the parent ignores SIGCHLD (the kernel then drops its times). A sample
// taken while a process is reaped between the two reads may read a few ticks high or low;
// the next one is exact again, and the metering keeps the highest value it saw
// (core/usage/pod_meter.hpp). Resolution: /proc's ticks (10 ms) for live processes, the
// microsecond for reaped ones. Single-threaded, like the init.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace codeyard::local::pod {

// The counter, in milliseconds, for the init whose pid (as /proc shows it) is `self`.
[[nodiscard]] int64_t PodCpuMs(pid_t self);

}  // namespace codeyard::local::pod
