// CgroupManager::Detect: which cgroup version gives us limits, where pod cgroups go, and
// the plain-words host checks that explain it (for `codeyard doctor`).
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "executor/local/cgroup.hpp"
#include "executor/local/cgroup_internal.hpp"

namespace codeyard::local {
namespace ci = cgroup_internal;

namespace {

constexpr std::string_view kV1Controllers[] = {"memory", "pids", "cpu", "cpuacct", "freezer"};
constexpr std::string_view kDelegateHint =
    "enable cgroup v2 delegation: start the executor with systemd-run --user -p Delegate=yes "
    "--scope <command> (or Delegate=yes in its service unit), or run it as root";

std::pair<int, int> KernelVersion() {
  utsname u{};
  int major = 0, minor = 0;
  if (uname(&u) == 0) std::sscanf(u.release, "%d.%d", &major, &minor);
  return {major, minor};
}

bool SwapConfigured() {
  // /proc/swaps has a header line, then one line per swap area.
  auto text = ci::ReadText("/proc/swaps").value_or("");
  return std::count(text.begin(), text.end(), '\n') > 1;
}

std::string Join(const std::set<std::string, std::less<>>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out.empty() ? "none" : out;
}

bool Writable(const std::string& path) { return access(path.c_str(), W_OK) == 0; }

// Everything Detect works out, before it goes into the manager.
struct Facts {
  const ci::Hierarchy* v2 = nullptr;
  std::map<std::string, const ci::Hierarchy*, std::less<>> v1;
  std::set<std::string, std::less<>> v2_offered;  // controllers pods under the v2 base may get
  ci::V2Layout v2_layout;
  ci::Dirs v1_bases;
  int chosen = 0;  // the version picked, even when its tree turns out not to be writable
  bool memory = false, swap = false, pids = false, cpu = false;
  std::string where;       // pod cgroup bases, for the checks
  std::string unwritable;  // a directory we would have to write but cannot
};

void Choose(Facts& f, const CgroupOptions& options) {
  const std::string& override_base = options.base_override;
  const bool override_v2 =
      !override_base.empty() && f.v2 != nullptr && ci::IsUnder(override_base, f.v2->mount_point);
  if (f.v2 != nullptr) {
    if (override_v2) {
      std::string base = override_base;
      while (base.size() > 1 && base.back() == '/') base.pop_back();
      f.v2_layout = {ci::NearestExisting(base), base, false};
    } else {
      f.v2_layout = ci::DefaultV2Layout(*f.v2, options.group_name);
    }
    f.v2_offered = ci::Words(
        ci::ReadText(ci::NearestExisting(f.v2_layout.base) + "/cgroup.controllers").value_or(""));
  }
  // Prefer v2 when it has the memory controller; a hybrid host's v2 tree usually does not.
  if (!override_base.empty()) {
    f.chosen = override_v2 ? 2 : (f.v1.empty() ? 0 : 1);
  } else if (f.v2 != nullptr && f.v2_offered.contains("memory")) {
    f.chosen = 2;
  } else if (f.v1.contains("memory")) {
    f.chosen = 1;
  } else {
    f.chosen = f.v2 != nullptr ? 2 : (f.v1.empty() ? 0 : 1);
  }
}

void ProbeV2(Facts& f) {
  const ci::V2Layout& layout = f.v2_layout;
  f.memory = f.v2_offered.contains("memory");
  f.pids = f.v2_offered.contains("pids");
  f.cpu = f.v2_offered.contains("cpu");
  // memory.swap.max shows only where memory is enabled, never in the root cgroup; with no
  // such cgroup to look at, only the kernel command line can tell.
  const std::string probe = ci::Exists(layout.base + "/memory.max") ? layout.base : layout.top;
  f.swap = f.memory && (ci::Exists(probe + "/memory.max")
                            ? ci::Exists(probe + "/memory.swap.max")
                            : ci::ReadText("/proc/cmdline").value_or("").find("swapaccount=0") ==
                                  std::string::npos);
  f.where = layout.base;
  if (!Writable(layout.top) || (layout.move_self && !Writable(layout.top + "/cgroup.procs")) ||
      !Writable(layout.top + "/cgroup.subtree_control")) {
    f.unwritable = layout.top;
  } else if (ci::Exists(layout.base) && !Writable(layout.base)) {
    f.unwritable = layout.base;
  }
}

void ProbeV1(Facts& f, const CgroupOptions& options) {
  for (const auto& [controller, h] : f.v1) {
    std::string base = options.base_override.empty() ? h->own_dir + "/" + options.group_name
                                                     : h->mount_point + "/" + options.base_override;
    while (base.size() > 1 && base.back() == '/') base.pop_back();
    if (std::string nearest = ci::NearestExisting(base); !Writable(nearest)) {
      f.unwritable = nearest;
    }
    f.where += (f.where.empty() ? "" : ", ") + base;
    f.v1_bases.emplace_back(controller, base);
  }
  f.memory = f.v1.contains("memory");
  f.swap = f.memory && ci::Exists(f.v1.at("memory")->own_dir + "/memory.memsw.limit_in_bytes");
  f.pids = f.v1.contains("pids");
  f.cpu = f.v1.contains("cpu") && ci::Exists(f.v1.at("cpu")->own_dir + "/cpu.cfs_quota_us");
}

// Why a controller is missing and what to do about it.
std::string Missing(const Facts& f, std::string_view controller, std::string_view v1_fix) {
  if (!f.unwritable.empty()) return "cannot create cgroups (see cgroup access)";
  const std::string c(controller);
  if (f.chosen != 2) return "no cgroup v1 " + c + " hierarchy is mounted: " + std::string(v1_fix);
  const std::string nearest = ci::NearestExisting(f.v2_layout.base);
  std::string fix;
  if (auto v1 = f.v1.find(controller); v1 != f.v1.end()) {
    fix = "it is bound to the v1 hierarchy at " + v1->second->mount_point +
          "; boot with systemd.unified_cgroup_hierarchy=1 to move it to v2";
  } else if (f.v2_layout.move_self || geteuid() != 0) {
    fix = kDelegateHint;
  } else if (nearest == f.v2->mount_point) {
    fix = "boot with cgroup_enable=" + c;
  } else {
    fix = "enable it for " + nearest + ": echo +" + c + " > " +
          nearest.substr(0, nearest.rfind('/')) + "/cgroup.subtree_control";
  }
  return "the cgroup v2 tree offers no " + c + " controller at " + nearest +
         " (it offers: " + Join(f.v2_offered) + "); " + fix;
}

std::vector<HostCheck> Explain(const Facts& f) {
  std::vector<HostCheck> checks;
  const auto add = [&checks](std::string name, bool ok, bool required, std::string detail) {
    checks.push_back(HostCheck{std::move(name), ok, required, std::move(detail)});
  };
  if (f.chosen == 0) {
    add("cgroup version", false, true,
        "no cgroup hierarchy is mounted: mount cgroup2 on /sys/fs/cgroup "
        "(mount -t cgroup2 none /sys/fs/cgroup)");
    return checks;
  }
  if (f.chosen == 2) {
    add("cgroup version", true, false,
        "cgroup v2 at " + f.v2->mount_point + "; pod cgroups go under " + f.where +
            (f.v2_layout.move_self
                 ? "; the executor first moves itself into " + f.v2_layout.top +
                       "/supervisor, since v2 lets only leaf cgroups hold processes"
                 : ""));
  } else {
    add("cgroup version", true, false,
        "cgroup v1; pod cgroups go under " + f.where +
            (f.v2 != nullptr
                 ? " (the v2 tree at " + f.v2->mount_point +
                       " has no memory controller; it offers: " + Join(f.v2_offered) + ")"
                 : ""));
  }
  if (!f.unwritable.empty()) {
    add("cgroup access", false, true,
        f.unwritable + " is not writable by uid " + std::to_string(geteuid()) + ": " +
            (f.chosen == 2 && geteuid() != 0
                 ? std::string(kDelegateHint)
                 : "run the executor as root with a writable cgroup mount (containers: "
                   "--cgroupns=private and a read-write /sys/fs/cgroup)"));
  } else {
    add("cgroup access", true, true, "the executor can create pod cgroups under " + f.where);
  }
  const bool usable = f.unwritable.empty();
  const bool memory = usable && f.memory, swap = memory && f.swap;
  add("memory limit", memory, true,
      memory ? (f.chosen == 2 ? "memory.max caps each pod's RAM"
                              : "memory.limit_in_bytes caps each pod's RAM")
             : Missing(f, "memory", "boot with cgroup_enable=memory"));
  std::string swap_detail;
  if (swap) {
    swap_detail = f.chosen == 2 ? "memory.swap.max is 0 for every pod"
                                : "memory.memsw.limit_in_bytes caps RAM + swap at the memory limit";
  } else if (!memory) {
    swap_detail = "needs the memory controller";
  } else {
    swap_detail =
        std::string(f.chosen == 2 ? "memory.swap.max" : "memory.memsw.*") +
        " is missing (the kernel runs without swap accounting), so swap cannot be capped" +
        (f.chosen == 1 ? "; pods get memory.swappiness=0" : "") +
        "; boot with swapaccount=1 or turn swap off";
  }
  const bool no_swap = !SwapConfigured();
  if (no_swap) swap_detail += " (no swap is configured on this host)";
  add("swap limit", swap || (memory && no_swap), false, swap_detail);
  const bool pids = usable && f.pids, cpu = usable && f.cpu;
  add("pids limit", pids, true,
      pids
          ? "pids.max caps each pod's processes and threads"
          : Missing(f, "pids", "mount -t cgroup -o pids cgroup /sys/fs/cgroup/pids (kernel 4.3+)"));
  std::string cpu_detail = cpu ? (f.chosen == 2 ? "cpu.max gives each pod a CFS quota"
                                                : "cpu.cfs_quota_us gives each pod a CFS quota")
                               : Missing(f, "cpu",
                                         "mount -t cgroup -o cpu,cpuacct cgroup "
                                         "/sys/fs/cgroup/cpu,cpuacct (CONFIG_CFS_BANDWIDTH)");
  if (f.chosen == 1 && !f.v1.contains("cpuacct")) {
    cpu_detail += "; no cpuacct hierarchy, so pod CPU usage reads as 0";
  }
  add("cpu limit", cpu, false, cpu_detail);
  if (f.chosen == 2) {
    const auto [major, minor] = KernelVersion();
    const bool has_kill = major > 5 || (major == 5 && minor >= 14);
    const bool has_freeze = major > 5 || (major == 5 && minor >= 2);
    add("freezer/kill", has_kill || has_freeze, false,
        has_kill     ? "cgroup.kill ends every process of a pod in one step"
        : has_freeze ? "cgroup.freeze holds a pod still while its processes are killed one by "
                       "one (cgroup.kill needs kernel 5.14)"
                     : "kernel older than 5.2: processes are killed one by one, which a fork "
                       "bomb can outrun; upgrade the kernel");
  } else {
    const bool freezer = f.v1.contains("freezer");
    add("freezer/kill", freezer, false,
        freezer ? "the v1 freezer holds a pod still while its processes are killed, so forks "
                  "cannot escape"
                : "no freezer hierarchy: processes are killed one by one, which a fork bomb "
                  "can outrun; mount -t cgroup -o freezer cgroup /sys/fs/cgroup/freezer");
  }
  return checks;
}

}  // namespace

CgroupManager CgroupManager::Detect(const CgroupOptions& options) {
  CgroupManager m;
  if (auto valid = ci::ValidateName("cgroup group_name", options.group_name); !valid) {
    m.checks_.push_back(HostCheck{"cgroup version", false, true, valid.error().message()});
    return m;
  }
  const auto hierarchies = ci::FindHierarchies(ci::ReadText("/proc/self/mountinfo").value_or(""),
                                               ci::ReadText("/proc/self/cgroup").value_or(""));
  Facts f;
  for (const auto& h : hierarchies) {
    if (h.v2 && f.v2 == nullptr) f.v2 = &h;
    if (h.v2) continue;
    for (std::string_view c : kV1Controllers) {
      if (std::ranges::find(h.controllers, c) != h.controllers.end()) f.v1.emplace(c, &h);
    }
  }
  Choose(f, options);
  if (f.chosen == 2) ProbeV2(f);
  if (f.chosen == 1) ProbeV1(f, options);
  m.checks_ = Explain(f);
  // A tree we cannot write is as good as none: the caller then sees no usable cgroups.
  if (!f.unwritable.empty()) return m;
  m.version_ = f.chosen;
  m.memory_ = f.memory;
  m.swap_ = f.swap;
  m.pids_ = f.pids;
  m.cpu_ = f.cpu;
  m.v2_base_ = f.v2_layout.base;
  m.v2_top_ = f.v2_layout.top;
  m.v2_move_self_ = f.v2_layout.move_self;
  m.v1_bases_ = std::move(f.v1_bases);
  return m;
}

}  // namespace codeyard::local
