// cgroup v2: preparing the base (delegation), limits in the v2 file names, usage, and
// killing with cgroup.kill or, before 5.14, under cgroup.freeze.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "core/try.hpp"
#include "executor/local/cgroup_internal.hpp"

namespace codeyard::local::cgroup_internal {
namespace {

constexpr uint64_t kCpuPeriodUs = 100000;

Result<void> EnableControllers(const std::string& dir,
                               std::span<const std::string_view> controllers) {
  const auto offered = Words(ReadText(dir + "/cgroup.controllers").value_or(""));
  const auto enabled = Words(ReadText(dir + "/cgroup.subtree_control").value_or(""));
  std::string add;
  for (std::string_view c : controllers) {
    if (!offered.contains(c) || enabled.contains(c)) continue;
    if (!add.empty()) add += ' ';
    add += "+" + std::string(c);
  }
  if (add.empty()) return {};
  auto written = WriteText(dir + "/cgroup.subtree_control", add);
  if (!written) return Fail(written.error().WithContext("enabling " + add + " for pod cgroups"));
  return {};
}

Result<void> WriteLimit(std::string_view controller, const std::string& dir, std::string_view file,
                        std::string_view value) {
  auto written = WriteText(dir + "/" + std::string(file), value);
  if (!written && written.error().code() == Error::Code::kFailedPrecondition) {
    return Fail(written.error().WithContext("cgroup " + std::string(controller)));
  }
  return written;
}

bool Populated(const std::string& dir) {
  return ReadKeyed(dir + "/cgroup.events", "populated").value_or(0) != 0;
}

void Freeze(const std::string& dir, bool frozen) {
  if (!WriteText(dir + "/cgroup.freeze", frozen ? "1" : "0")) return;
  if (!frozen) return;
  // Freezing completes when every task has stopped; a task stuck in the kernel can delay
  // that, so stop waiting after a moment and kill what is there.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
  while (std::chrono::steady_clock::now() < deadline &&
         ReadKeyed(dir + "/cgroup.events", "frozen").value_or(1) == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace

V2Layout DefaultV2Layout(const Hierarchy& v2, std::string_view group_name) {
  constexpr std::string_view kSupervisor = "/supervisor";
  std::string own = v2.own_dir;
  // A second Detect in a process that already stepped into its supervisor leaf.
  if (own.ends_with(kSupervisor)) own.resize(own.size() - kSupervisor.size());
  V2Layout layout;
  layout.top = own;
  layout.base = own + "/" + std::string(group_name);
  // Only the real root may hold processes and hand out controllers at once; a cgroup
  // namespace's root (a container) is an ordinary cgroup and has cgroup.type.
  layout.move_self = own != v2.mount_point || Exists(own + "/cgroup.type");
  return layout;
}

Result<void> PrepareV2Base(const V2Layout& layout, std::span<const std::string_view> controllers) {
  if (!IsUnder(layout.base, layout.top)) {
    return Fail(Error::Code::kInvalidArgument, layout.base + " is not below " + layout.top);
  }
  if (layout.move_self) {
    // v2's "no internal processes" rule: a cgroup that hands controllers to its children
    // may hold no processes itself, so we step into a leaf of our own first. Writing the
    // pid to cgroup.procs moves every thread of the process.
    const std::string supervisor = layout.top + "/supervisor";
    CY_CHECK(MakeDir(supervisor));
    auto moved = WriteText(supervisor + "/cgroup.procs", std::to_string(getpid()));
    if (!moved) return Fail(moved.error().WithContext("moving the executor into " + supervisor));
  }
  std::string dir = layout.top;
  CY_CHECK(EnableControllers(dir, controllers));
  std::string_view rest = std::string_view(layout.base).substr(layout.top.size());
  while (!rest.empty()) {
    const size_t start = rest.find_first_not_of('/');
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const size_t end = std::min(rest.find('/'), rest.size());
    dir += "/" + std::string(rest.substr(0, end));
    rest.remove_prefix(end);
    CY_CHECK(MakeDir(dir));
    CY_CHECK(EnableControllers(dir, controllers));
  }
  return {};
}

Result<void> EnsureV2Base(const V2Layout& layout) {
  // The only process-wide state of the cgroup code: moving ourselves and enabling
  // controllers must happen once, before the first pod, whichever thread creates it.
  static std::mutex mutex;
  static auto* prepared = new std::set<std::string, std::less<>>();
  std::lock_guard lock(mutex);
  if (prepared->contains(layout.base)) return {};
  CY_CHECK(PrepareV2Base(layout, kV2Controllers));
  prepared->insert(layout.base);
  return {};
}

Result<void> WriteLimitsV2(const std::string& dir, const CgroupLimits& limits) {
  if (limits.memory_bytes) {
    CY_CHECK(WriteLimit("memory", dir, "memory.max", std::to_string(*limits.memory_bytes)));
    // Absent without swap accounting; Checks() reports that swap is not capped then.
    if (Exists(dir + "/memory.swap.max"))
      CY_CHECK(WriteLimit("memory", dir, "memory.swap.max", "0"));
    // memory.oom.group stays 0: the OOM killer should take the hog, not the pod's init
    // with every other process in it.
  }
  if (limits.pids) {
    CY_CHECK(WriteLimit("pids", dir, "pids.max", std::to_string(*limits.pids)));
  }
  if (limits.cpus) {
    // The kernel refuses quotas under 1 ms.
    const auto quota = std::max<uint64_t>(1000, static_cast<uint64_t>(*limits.cpus * kCpuPeriodUs));
    CY_CHECK(WriteLimit("cpu", dir, "cpu.max",
                        std::to_string(quota) + " " + std::to_string(kCpuPeriodUs)));
  }
  return {};
}

Result<CgroupUsage> UsageV2(const std::string& dir) {
  if (!Exists(dir)) return Fail(Error::Code::kNotFound, dir + " is gone");
  CgroupUsage usage;
  usage.memory_current_bytes = ReadNumber(dir + "/memory.current").value_or(0);
  // memory.peak arrived in 5.19; before it the current value is the best we have.
  usage.memory_peak_bytes = ReadNumber(dir + "/memory.peak").value_or(usage.memory_current_bytes);
  usage.oom_kills = ReadKeyed(dir + "/memory.events", "oom_kill").value_or(0);
  // cpu.stat is a core file, there even without the cpu controller.
  usage.cpu_usage_ns = ReadKeyed(dir + "/cpu.stat", "usage_usec").value_or(0) * 1000;
  usage.pids_current = ReadNumber(dir + "/pids.current").value_or(0);
  return usage;
}

Result<void> KillV2(const std::string& dir, bool use_kill_file) {
  const bool kill_file = use_kill_file && Exists(dir + "/cgroup.kill");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  for (;;) {
    if (!Populated(dir)) return {};
    if (std::chrono::steady_clock::now() >= deadline) {
      return Fail(Error::Code::kUnavailable, dir + " still has processes a second after SIGKILL");
    }
    if (kill_file) {
      // One write kills the whole subtree, forks in flight included (kernel 5.14+).
      CY_CHECK(WriteText(dir + "/cgroup.kill", "1"));
    } else {
      // Frozen tasks cannot fork, and in v2 a SIGKILL still ends them while frozen.
      Freeze(dir, true);
      for (pid_t pid : ReadPids(dir + "/cgroup.procs")) kill(pid, SIGKILL);
      Freeze(dir, false);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace codeyard::local::cgroup_internal
