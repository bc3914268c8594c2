// cgroup v1: one directory per pod in each used hierarchy (memory, pids, cpu, cpuacct,
// freezer), limits in the v1 file names, and killing under the freezer.
#include <signal.h>

#include <chrono>
#include <thread>

#include "core/try.hpp"
#include "executor/local/cgroup_internal.hpp"

namespace codeyard::local::cgroup_internal {
namespace {

constexpr uint64_t kCpuPeriodUs = 100000;

Result<void> WriteLimit(std::string_view controller, const std::string& dir, std::string_view file,
                        std::string_view value) {
  if (dir.empty()) {
    return Fail(Error::Code::kFailedPrecondition,
                "cgroup " + std::string(controller) + " controller not available");
  }
  auto written = WriteText(dir + "/" + std::string(file), value);
  if (!written && written.error().code() == Error::Code::kFailedPrecondition) {
    return Fail(written.error().WithContext("cgroup " + std::string(controller)));
  }
  return written;
}

Result<void> WriteMemory(const std::string& dir, uint64_t bytes) {
  const std::string value = std::to_string(bytes);
  // memsw may never be below limit_in_bytes, so the plain limit goes first; a new cgroup
  // starts unlimited in both, so this order holds when lowering from there.
  CY_CHECK(WriteLimit("memory", dir, "memory.limit_in_bytes", value));
  if (Exists(dir + "/memory.memsw.limit_in_bytes")) {
    CY_CHECK(WriteLimit("memory", dir, "memory.memsw.limit_in_bytes", value));
  } else {
    // No swap accounting (swapaccount=0): the best left is to keep the pod's pages out of
    // swap; Checks() says that swap is not capped.
    CY_CHECK(WriteLimit("memory", dir, "memory.swappiness", "0"));
  }
  // A cgroup inherits oom_kill_disable from its parent; with it set, a pod at its limit
  // would hang in the OOM wait queue instead of losing the hog.
  if (ReadKeyed(dir + "/memory.oom_control", "oom_kill_disable").value_or(0) != 0) {
    CY_CHECK(WriteLimit("memory", dir, "memory.oom_control", "0"));
  }
  return {};
}

Result<void> WriteLimitsV1(const Dirs& dirs, const CgroupLimits& limits) {
  if (limits.memory_bytes) CY_CHECK(WriteMemory(DirOf(dirs, "memory"), *limits.memory_bytes));
  if (limits.pids) {
    CY_CHECK(WriteLimit("pids", DirOf(dirs, "pids"), "pids.max", std::to_string(*limits.pids)));
  }
  if (limits.cpus) {
    const std::string dir = DirOf(dirs, "cpu");
    // The kernel refuses quotas under 1 ms.
    const auto quota = std::max<uint64_t>(1000, static_cast<uint64_t>(*limits.cpus * kCpuPeriodUs));
    CY_CHECK(WriteLimit("cpu", dir, "cpu.cfs_period_us", std::to_string(kCpuPeriodUs)));
    CY_CHECK(WriteLimit("cpu", dir, "cpu.cfs_quota_us", std::to_string(quota)));
  }
  return {};
}

void RemoveAll(const std::vector<std::string>& dirs) {
  for (const auto& dir : dirs) (void)RemoveDir(dir);
}

bool SetFreezer(const std::string& dir, std::string_view state) {
  if (!WriteText(dir + "/freezer.state", state)) return false;
  // FREEZING lasts until every task has stopped; a task stuck in the kernel can hold it
  // there, so give up waiting after a moment and kill what we see anyway.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
  while (std::chrono::steady_clock::now() < deadline) {
    auto now = ReadText(dir + "/freezer.state");
    if (!now || now->starts_with(state)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace

Result<Dirs> CreateV1(const Dirs& bases, std::string_view pod_id, const CgroupLimits& limits) {
  Dirs dirs;
  for (const auto& [controller, base] : bases) {
    const bool new_base = !Exists(base);
    CY_CHECK(MakeDirs(base));
    if (new_base && controller == "memory" &&
        ReadNumber(base + "/memory.use_hierarchy") == uint64_t{0}) {
      // Old kernels default to flat accounting, where a pod's usage would not count
      // against the executor's own cgroup; modern ones are always hierarchical.
      (void)WriteText(base + "/memory.use_hierarchy", "1");
    }
    dirs.emplace_back(controller, base + "/" + std::string(pod_id));
  }
  std::vector<std::string> made;
  for (const auto& dir : UniqueDirs(dirs)) {
    auto created = MakeDir(dir);
    if (!created || !*created) {
      RemoveAll(made);
      if (!created) return Fail(created.error());
      return Fail(Error::Code::kAlreadyExists,
                  "pod " + std::string(pod_id) + " already has a cgroup at " + dir);
    }
    made.push_back(dir);
  }
  if (auto written = WriteLimitsV1(dirs, limits); !written) {
    RemoveAll(made);
    return Fail(written.error());
  }
  return dirs;
}

Result<CgroupUsage> UsageV1(const Dirs& dirs) {
  bool any = false;
  for (const auto& dir : UniqueDirs(dirs)) any = any || Exists(dir);
  if (!any) return Fail(Error::Code::kNotFound, "the pod's cgroups are gone");
  CgroupUsage usage;
  if (auto mem = DirOf(dirs, "memory"); !mem.empty()) {
    usage.memory_peak_bytes = ReadNumber(mem + "/memory.max_usage_in_bytes").value_or(0);
    usage.memory_current_bytes = ReadNumber(mem + "/memory.usage_in_bytes").value_or(0);
    // The oom_kill line arrived in 4.13; before that the count reads as 0.
    usage.oom_kills = ReadKeyed(mem + "/memory.oom_control", "oom_kill").value_or(0);
  }
  if (auto acct = DirOf(dirs, "cpuacct"); !acct.empty()) {
    usage.cpu_usage_ns = ReadNumber(acct + "/cpuacct.usage").value_or(0);
  }
  if (auto pids = DirOf(dirs, "pids"); !pids.empty()) {
    usage.pids_current = ReadNumber(pids + "/pids.current").value_or(0);
  }
  return usage;
}

Result<void> KillV1(const Dirs& dirs) {
  // Without the freezer a process may fork between our reading `tasks` and its SIGKILL;
  // frozen, nothing in the pod runs until we thaw it, and the kills land on the thaw.
  std::string freezer = DirOf(dirs, "freezer");
  if (!freezer.empty() && !Exists(freezer + "/freezer.state")) freezer.clear();
  const auto all = UniqueDirs(dirs);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  for (;;) {
    const bool frozen = !freezer.empty() && SetFreezer(freezer, "FROZEN");
    std::set<pid_t> tasks;  // a task shows up once per hierarchy
    for (const auto& dir : all) {
      for (pid_t pid : ReadPids(dir + "/tasks")) tasks.insert(pid);
    }
    const bool late = !tasks.empty() && std::chrono::steady_clock::now() >= deadline;
    if (!late) {
      for (pid_t pid : tasks) kill(pid, SIGKILL);
    }
    if (frozen) (void)SetFreezer(freezer, "THAWED");
    if (tasks.empty()) return {};
    if (late) {
      return Fail(Error::Code::kUnavailable, std::to_string(tasks.size()) + " tasks still in " +
                                                 all.front() + " a second after SIGKILL");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace codeyard::local::cgroup_internal
