// cgroup limits and accounting for local pods, on cgroup v2 and v1 alike (detected at run
// time: a pure v2 host, a v1 host, or a hybrid where v1 controllers sit beside an empty v2
// tree, as on this project's CI). Each pod gets one cgroup per hierarchy, named after the
// pod, under a base cgroup of the executor's own. The executor writes limits, the pod's shim
// joins the cgroup before making namespaces, and the executor reads usage (peak memory,
// OOM kills, CPU) after each exec and kills what is left when the pod goes. Thread-safe:
// all state is in the file system.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/backend/executor.hpp"
#include "codeyard/error.hpp"

namespace codeyard::local {

struct CgroupLimits {
  std::optional<uint64_t> memory_bytes;  // memory + swap capped at this
  std::optional<double> cpus;            // CFS quota, in cores
  std::optional<uint32_t> pids;
};

struct CgroupUsage {
  uint64_t memory_peak_bytes = 0;  // high-water mark of the pod (v2 memory.peak, v1 max_usage)
  uint64_t memory_current_bytes = 0;
  uint64_t oom_kills = 0;  // processes the kernel OOM-killed in this pod so far
  uint64_t cpu_usage_ns = 0;
  uint64_t pids_current = 0;
};

struct CgroupOptions {
  // Name of the directory holding all pod cgroups, under the executor's own cgroup (v1: in
  // each controller's hierarchy; v2: see cgroup_v2.cpp for how the subtree is delegated).
  std::string group_name = "codeyard";
  // Overrides where pod cgroups go: a v2 directory, or for v1 the path relative to each
  // controller's mount point. Empty: detected.
  std::string base_override;
};

class Cgroup;

class CgroupManager {
 public:
  // Reads /proc/self/cgroup and /proc/self/mountinfo; never fails: what is missing shows up
  // in Checks() and the Can*() answers.
  static CgroupManager Detect(const CgroupOptions& options = {});

  [[nodiscard]] int version() const { return version_; }  // 2, 1, or 0 when none is usable
  [[nodiscard]] bool CanLimitMemory() const { return memory_; }
  [[nodiscard]] bool CanLimitSwap() const { return swap_; }
  [[nodiscard]] bool CanLimitPids() const { return pids_; }
  [[nodiscard]] bool CanLimitCpu() const { return cpu_; }

  // One line per controller and per problem, in plain words, for `codeyard doctor`.
  [[nodiscard]] std::vector<HostCheck> Checks() const;

  // Creates the pod's cgroups and writes the limits. kFailedPrecondition when a requested
  // limit cannot be enforced here (the message says which and why); kPermissionDenied when
  // the cgroup tree is not writable; kAlreadyExists for a pod id already present.
  [[nodiscard]] Result<Cgroup> Create(std::string_view pod_id, const CgroupLimits& limits) const;

  // Opens the cgroups of an existing pod (for usage and removal); kNotFound if none.
  [[nodiscard]] Result<Cgroup> Open(std::string_view pod_id) const;

  // Pod ids that have a cgroup under the base (for sweeping orphans at start-up).
  [[nodiscard]] std::vector<std::string> ListPodIds() const;

 private:
  friend class Cgroup;
  int version_ = 0;
  bool memory_ = false, swap_ = false, pids_ = false, cpu_ = false;
  std::string v2_base_;  // absolute directory holding pod cgroups (v2)
  // v1: controller name ("memory", "pids", "cpu", "cpuacct", ...) -> absolute base directory
  std::vector<std::pair<std::string, std::string>> v1_bases_;
  std::string v2_top_;             // v2: first directory whose subtree_control is ours to write
  bool v2_move_self_ = false;      // v2: delegated subtree, so we step into <top>/supervisor
  std::vector<HostCheck> checks_;  // worked out by Detect, returned by Checks()
};

class Cgroup {
 public:
  // Files the pod's shim writes its pid into (one per hierarchy).
  [[nodiscard]] std::vector<std::string> ProcsFiles() const;

  [[nodiscard]] Result<CgroupUsage> Usage() const;

  // SIGKILLs every process in the pod's cgroups (v2: cgroup.kill; v1: freeze, kill each task,
  // thaw) and waits until they are gone, up to a second.
  [[nodiscard]] Result<void> KillAll() const;

  // Removes the cgroup directories (retrying while the kernel still counts exiting tasks).
  [[nodiscard]] Result<void> Remove() const;

 private:
  friend class CgroupManager;
  int version_ = 0;
  std::vector<std::pair<std::string, std::string>> dirs_;  // controller (or "v2") -> directory
};

}  // namespace codeyard::local
