// Pod cgroups: creating, opening, listing, and the Cgroup operations, dispatched to the v1
// and v2 halves (cgroup_v1.cpp, cgroup_v2.cpp). Detection is in cgroup_detect.cpp.
#include "executor/local/cgroup.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/try.hpp"
#include "executor/local/cgroup_internal.hpp"

namespace codeyard::local {
namespace ci = cgroup_internal;

namespace {

Result<void> ValidateLimits(const CgroupLimits& limits) {
  if (limits.memory_bytes && *limits.memory_bytes == 0) {
    return Fail(Error::Code::kInvalidArgument, "a memory limit of 0 bytes leaves no room to run");
  }
  if (limits.pids && *limits.pids == 0) {
    return Fail(Error::Code::kInvalidArgument, "a pids limit of 0 leaves no room to run");
  }
  if (limits.cpus && (!std::isfinite(*limits.cpus) || *limits.cpus <= 0 || *limits.cpus > 1e6)) {
    return Fail(Error::Code::kInvalidArgument,
                "cpu limit " + std::to_string(*limits.cpus) + " is not a positive core count");
  }
  return {};
}

std::string DetailOf(const std::vector<HostCheck>& checks, std::string_view name) {
  for (const auto& check : checks) {
    if (check.name == name) return check.detail;
  }
  return "not detected";
}

std::string FirstProblem(const std::vector<HostCheck>& checks) {
  for (const auto& check : checks) {
    if (check.required && !check.ok) return check.name + ": " + check.detail;
  }
  return DetailOf(checks, "cgroup version");
}

// What the v2 base hands down to pods; a requested limit needs its controller there.
Result<void> CheckV2Controllers(const std::string& base, const CgroupLimits& limits) {
  const auto enabled = ci::Words(ci::ReadText(base + "/cgroup.subtree_control").value_or(""));
  const std::pair<bool, std::string_view> wanted[] = {{limits.memory_bytes.has_value(), "memory"},
                                                      {limits.pids.has_value(), "pids"},
                                                      {limits.cpus.has_value(), "cpu"}};
  for (const auto& [requested, controller] : wanted) {
    if (!requested || enabled.contains(controller)) continue;
    return Fail(Error::Code::kFailedPrecondition,
                "cgroup " + std::string(controller) + " controller not available: " + base +
                    "/cgroup.subtree_control does not enable it for pods");
  }
  return {};
}

}  // namespace

std::vector<HostCheck> CgroupManager::Checks() const { return checks_; }

Result<Cgroup> CgroupManager::Create(std::string_view pod_id, const CgroupLimits& limits) const {
  CY_CHECK(ci::ValidateName("pod id", pod_id));
  CY_CHECK(ValidateLimits(limits));
  if (version_ == 0) {
    return Fail(Error::Code::kFailedPrecondition,
                "no usable cgroup hierarchy: " + FirstProblem(checks_));
  }
  const std::tuple<bool, bool, std::string_view, std::string_view> wanted[] = {
      {limits.memory_bytes.has_value(), memory_, "memory", "memory limit"},
      {limits.pids.has_value(), pids_, "pids", "pids limit"},
      {limits.cpus.has_value(), cpu_, "cpu", "cpu limit"}};
  for (const auto& [requested, can, controller, check] : wanted) {
    if (!requested || can) continue;
    return Fail(Error::Code::kFailedPrecondition,
                "cgroup " + std::string(controller) +
                    " controller not available: " + DetailOf(checks_, check));
  }
  Cgroup cgroup;
  cgroup.version_ = version_;
  if (version_ == 1) {
    CY_TRY(cgroup.dirs_, ci::CreateV1(v1_bases_, pod_id, limits));
    return cgroup;
  }
  CY_CHECK(ci::EnsureV2Base({v2_top_, v2_base_, v2_move_self_}));
  CY_CHECK(CheckV2Controllers(v2_base_, limits));
  const std::string dir = v2_base_ + "/" + std::string(pod_id);
  CY_TRY(const bool created, ci::MakeDir(dir));
  if (!created) {
    return Fail(Error::Code::kAlreadyExists,
                "pod " + std::string(pod_id) + " already has a cgroup at " + dir);
  }
  if (auto written = ci::WriteLimitsV2(dir, limits); !written) {
    (void)ci::RemoveDir(dir);
    return Fail(written.error());
  }
  cgroup.dirs_ = {{"v2", dir}};
  return cgroup;
}

Result<Cgroup> CgroupManager::Open(std::string_view pod_id) const {
  CY_CHECK(ci::ValidateName("pod id", pod_id));
  Cgroup cgroup;
  cgroup.version_ = version_;
  if (version_ == 2) {
    const std::string dir = v2_base_ + "/" + std::string(pod_id);
    if (ci::Exists(dir)) cgroup.dirs_ = {{"v2", dir}};
  } else {
    for (const auto& [controller, base] : v1_bases_) {
      const std::string dir = base + "/" + std::string(pod_id);
      if (ci::Exists(dir)) cgroup.dirs_.emplace_back(controller, dir);
    }
  }
  if (cgroup.dirs_.empty()) {
    return Fail(Error::Code::kNotFound, "pod " + std::string(pod_id) + " has no cgroup");
  }
  return cgroup;
}

std::vector<std::string> CgroupManager::ListPodIds() const {
  std::set<std::string> ids;
  std::vector<std::string> bases;
  if (version_ == 2) bases.push_back(v2_base_);
  if (version_ == 1) bases = ci::UniqueDirs(v1_bases_);
  for (const auto& base : bases) {
    for (auto& name : ci::SubdirNames(base)) ids.insert(std::move(name));
  }
  return {ids.begin(), ids.end()};
}

std::vector<std::string> Cgroup::ProcsFiles() const {
  std::vector<std::string> files;
  for (const auto& dir : ci::UniqueDirs(dirs_)) files.push_back(dir + "/cgroup.procs");
  return files;
}

Result<CgroupUsage> Cgroup::Usage() const {
  if (dirs_.empty()) return Fail(Error::Code::kNotFound, "an empty cgroup handle");
  return version_ == 2 ? ci::UsageV2(dirs_.front().second) : ci::UsageV1(dirs_);
}

Result<void> Cgroup::KillAll() const {
  if (dirs_.empty()) return {};
  return version_ == 2 ? ci::KillV2(dirs_.front().second) : ci::KillV1(dirs_);
}

Result<void> Cgroup::Remove() const {
  // Every directory is tried even when one fails, so a retry has less left to do.
  Result<void> result;
  auto dirs = ci::UniqueDirs(dirs_);
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
    auto removed = ci::RemoveDir(*it);
    if (!removed && result) result = std::move(removed);
  }
  return result;
}

}  // namespace codeyard::local
