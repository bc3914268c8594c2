#include "core/workspaces/workspace_rules.hpp"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <sstream>

#include "codeyard/files.hpp"
#include "codeyard/workspaces.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace workspaces {

Result<std::string> ValidName(std::string_view name) {
  constexpr std::size_t kMaxChars = 100;
  if (name.empty()) {
    return Fail(Error::Code::kInvalidArgument, "workspace name must be 1-100 characters");
  }
  CY_TRY(std::string normal, NormalizeName("workspace name", name));
  const auto chars =
      static_cast<std::size_t>(std::count_if(normal.begin(), normal.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
      }));
  if (chars > kMaxChars) {
    return Fail(Error::Code::kInvalidArgument, "workspace name must be 1-100 characters");
  }
  return normal;
}

}  // namespace workspaces

uint64_t DefaultMemoryCapacity() {
  constexpr uint64_t kGiB = uint64_t{1} << 30;
  uint64_t total = 0;
  std::ifstream meminfo("/proc/meminfo");
  std::string line;
  while (std::getline(meminfo, line)) {
    if (!line.starts_with("MemTotal:")) continue;
    std::istringstream fields(line.substr(9));
    uint64_t kib = 0;
    fields >> kib;
    total = kib * 1024;
    break;
  }
  if (total == 0) return 4 * kGiB;  // no /proc: room for a few default pods
  const uint64_t reserve = std::max(kGiB, total / 4);
  return total > reserve + kGiB ? total - reserve : kGiB;
}

WorkspaceOptions WorkspaceOptionsFrom(const Config& config) {
  WorkspaceOptions options;
  options.idle_timeout = std::chrono::seconds(config.idle_timeout_s);
  options.pod_orphan_timeout = std::chrono::seconds(config.pod_orphan_timeout_s);
  options.max_running_per_user = static_cast<int>(config.max_running_per_user);
  options.max_running_total = static_cast<int>(config.max_running_total);
  options.memory_capacity_bytes = static_cast<uint64_t>(config.memory_capacity_bytes);
  options.max_workspaces_per_user = static_cast<int>(config.max_workspaces_per_user);
  // The local backend serves images from images.dir; others name images their own way.
  if (config.executor_uri.starts_with("local")) options.images_dir = config.EffectiveImagesDir();
  options.file_limits.max_file_bytes = config.max_file_bytes;
  options.file_limits.max_workspace_bytes = config.max_workspace_bytes;
  options.file_limits.max_workspace_entries = config.max_workspace_entries;
  options.file_limits.max_user_bytes = config.max_user_bytes;
  options.file_limits.max_user_entries = config.max_user_entries;
  // Room in the pod for build output beside the sources.
  options.pod_limits.workspace_bytes = static_cast<uint64_t>(config.max_workspace_bytes) * 2;
  options.limits = UsageLimitsFrom(config);
  options.exec_limits = ExecSpecLimitsFrom(config);
  options.replica_id = config.replica_id;
  options.lease = std::chrono::seconds(config.workspace_lease_s);
  // Unset: a third of the lease, two renewals of slack before it lapses.
  options.lease_renew =
      config.workspace_lease_renew_s > 0
          ? std::chrono::milliseconds(std::chrono::seconds(config.workspace_lease_renew_s))
          : std::max(std::chrono::milliseconds(500), options.lease / 3);
  options.usage_sample = std::chrono::seconds(config.usage_sample_interval_s);  // meter20
  return options;
}

std::chrono::milliseconds IdleReaperPeriod(const WorkspaceOptions& options) {
  using std::chrono::milliseconds;
  const milliseconds half_idle = std::chrono::duration_cast<milliseconds>(options.idle_timeout) / 2;
  const milliseconds period = std::min(half_idle, options.lease);
  return std::clamp(period, milliseconds(1000), milliseconds(60000));
}

}  // namespace codeyard
