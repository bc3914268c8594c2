// What the alerting rules of k8s/monitoring/ watch that the services' own statistics do not
// carry (mon20): the executor's failed pod creations and seccomp kills, counted by the
// Platform's wrapper around its executor (a replica's lease heartbeat is Workspaces::Heartbeat).
// The server exports them as codeyard_pod_create_failures_total, codeyard_seccomp_kills_total,
// (and, from Workspaces::Heartbeat, codeyard_replica_heartbeat_age_seconds and
// codeyard_replica_lease_seconds).
// Threading: every function may be called from any thread at any time (a scrape); each reads
// atomics or takes a short lock.
#pragma once

#include <cstdint>
#include <optional>

#include "codeyard/platform.hpp"

namespace codeyard {

struct ExecutorEvents {
  // Pod creations through Platform::executor() that failed (any error: the backend refused,
  // the cluster had no room, an image was missing).
  uint64_t pod_create_failures = 0;
  // Processes started through its pods (Pod::Exec) that ended on SIGSYS, the signal of the
  // sandbox's seccomp kill action (a system call of a foreign architecture, the classic way
  // around a syscall filter), counted once when Process::Wait reports it. A grandchild killed
  // under a shell that survives is not seen (its shell reaps it); a process that sends itself
  // SIGSYS is counted.
  uint64_t seccomp_kills = 0;
};

// Zero for a Platform opened without an executor.
[[nodiscard]] ExecutorEvents ExecutorEventsOf(const Platform& platform);

}  // namespace codeyard
