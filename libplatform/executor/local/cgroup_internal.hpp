// The pieces behind cgroup.hpp, shared by its v1 and v2 halves and open to tests: file
// helpers that turn errno into Error codes, the mountinfo and /proc/self/cgroup parsers, and
// the per-version operations on a pod's directories. Everything here is stateless except
// EnsureV2Base, which does the process-wide v2 delegation once under a mutex.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codeyard/error.hpp"
#include "executor/local/cgroup.hpp"

namespace codeyard::local::cgroup_internal {

// controller ("memory", "cpu", ..., or "v2") -> directory, as in Cgroup::dirs_.
using Dirs = std::vector<std::pair<std::string, std::string>>;

// --- files (cgroup_fs.cpp) ---
[[nodiscard]] std::optional<std::string> ReadText(const std::string& path);
// A number file; "max" reads as UINT64_MAX.
[[nodiscard]] std::optional<uint64_t> ReadNumber(const std::string& path);
// The value of a "key value" line (memory.events, cpu.stat, memory.oom_control, ...).
[[nodiscard]] std::optional<uint64_t> ReadKeyed(const std::string& path, std::string_view key);
[[nodiscard]] std::vector<pid_t> ReadPids(const std::string& path);
[[nodiscard]] std::set<std::string, std::less<>> Words(std::string_view text);
// open(O_WRONLY) + one write; errno becomes kPermissionDenied (EACCES, EPERM, EROFS),
// kFailedPrecondition (ENOENT: controller not available; EBUSY), kInvalidArgument (EINVAL).
[[nodiscard]] Result<void> WriteText(const std::string& path, std::string_view value);
// True when it made the directory, false when it was already there.
[[nodiscard]] Result<bool> MakeDir(const std::string& path);
[[nodiscard]] Result<void> MakeDirs(const std::string& path);
// rmdir, retrying EBUSY for about a second; a missing directory is fine.
[[nodiscard]] Result<void> RemoveDir(const std::string& path);
[[nodiscard]] std::vector<std::string> SubdirNames(const std::string& path);
[[nodiscard]] bool Exists(const std::string& path);
// The path itself or its closest ancestor that exists.
[[nodiscard]] std::string NearestExisting(std::string path);
// Whether `path` is `dir` or below it, compared component-wise.
[[nodiscard]] bool IsUnder(std::string_view path, std::string_view dir);
// A single path component: not empty, no '/', not "." or "..".
[[nodiscard]] Result<void> ValidateName(std::string_view what, std::string_view name);
// Directories of `dirs` without repeats (co-mounted controllers share one), in order.
[[nodiscard]] std::vector<std::string> UniqueDirs(const Dirs& dirs);
// The directory of `controller` in `dirs`, or "".
[[nodiscard]] std::string DirOf(const Dirs& dirs, std::string_view controller);

// --- where hierarchies are (cgroup_fs.cpp) ---
struct Hierarchy {
  bool v2 = false;
  std::vector<std::string> controllers;  // v1: as listed in /proc/self/cgroup
  std::string mount_point;
  std::string own_dir;  // absolute directory of this process's cgroup in the hierarchy
};
// Pairs each line of /proc/self/cgroup with a mount from /proc/self/mountinfo whose root
// contains our path; hierarchies that are not mounted here are left out.
[[nodiscard]] std::vector<Hierarchy> FindHierarchies(std::string_view mountinfo,
                                                     std::string_view proc_cgroup);

// --- v1 (cgroup_v1.cpp) ---
// Makes `<base>/<pod_id>` in each hierarchy (and the bases when missing) and writes the
// limits; on failure removes what it made.
[[nodiscard]] Result<Dirs> CreateV1(const Dirs& bases, std::string_view pod_id,
                                    const CgroupLimits& limits);
[[nodiscard]] Result<CgroupUsage> UsageV1(const Dirs& dirs);
[[nodiscard]] Result<void> KillV1(const Dirs& dirs);

// --- v2 (cgroup_v2.cpp) ---
struct V2Layout {
  std::string top;         // first directory whose subtree_control we may write
  std::string base;        // holds the pod cgroups; at or below top
  bool move_self = false;  // move this process into <top>/supervisor first
};
// Where pods go without base_override: `<own>/<group_name>`, stepping aside into
// `<own>/supervisor` unless our own cgroup is the real root (the only one without
// cgroup.type). An own cgroup that already is `.../supervisor` counts as its parent.
[[nodiscard]] V2Layout DefaultV2Layout(const Hierarchy& v2, std::string_view group_name);
inline constexpr std::string_view kV2Controllers[] = {"memory", "pids", "cpu"};
// Moves this process out of the way if asked, makes the directories from top down to base
// and enables `controllers` (those on offer) in each one's cgroup.subtree_control.
[[nodiscard]] Result<void> PrepareV2Base(const V2Layout& layout,
                                         std::span<const std::string_view> controllers);
// PrepareV2Base with kV2Controllers, once per base per process.
[[nodiscard]] Result<void> EnsureV2Base(const V2Layout& layout);
[[nodiscard]] Result<void> WriteLimitsV2(const std::string& dir, const CgroupLimits& limits);
[[nodiscard]] Result<CgroupUsage> UsageV2(const std::string& dir);
// use_kill_file=false forces the freeze-and-kill path even where cgroup.kill exists.
[[nodiscard]] Result<void> KillV2(const std::string& dir, bool use_kill_file = true);

}  // namespace codeyard::local::cgroup_internal
