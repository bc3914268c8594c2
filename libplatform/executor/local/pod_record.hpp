// The on-disk record of a local pod: `<state_dir>/<pod id>/pod.json`, written when the pod
// starts and removed with it. It is how pods are listed by label and reached across
// processes (GetPod), and how what a dead pod left is recognised by the sweep: its init
// (identified by pid and start time, so a reused pid does not count) is gone, or it was a
// one-shot pod and its owner process is.
#pragma once

#include <sys/types.h>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/backend/executor.hpp"
#include "codeyard/error.hpp"

namespace codeyard::local {

struct PodRecord {
  PodInfo info;
  pid_t owner_pid = 0;
  uint64_t owner_start = 0;  // start time of the owner in clock ticks since boot
  pid_t shim_pid = 0;
  pid_t init_pid = 0;
  uint64_t init_start = 0;  // start time of the init, so a reused pid is never signalled
  uint32_t host_uid = 0;
};

// Writes the record atomically (temp file + rename) into `dir`.
Result<void> WritePodRecord(const std::string& dir, const PodRecord& record);
Result<PodRecord> ReadPodRecord(const std::string& dir);

// Every readable record under `state_dir` (unreadable ones are returned by id only, with
// owner_pid 0, so a sweep can still remove them).
std::vector<PodRecord> ListPodRecords(const std::string& state_dir);

// Start time of a process (field 22 of /proc/<pid>/stat), 0 if it does not exist.
uint64_t ProcessStartTime(pid_t pid);

// True if `pid` runs and started at `start` (so it is the same process).
bool ProcessAlive(pid_t pid, uint64_t start);

// Removes a directory tree without following symlinks; a missing path is fine.
Result<void> RemoveTree(const std::string& path);

}  // namespace codeyard::local
