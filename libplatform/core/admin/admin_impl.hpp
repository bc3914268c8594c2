// Private to the library: Admin's state, shared by admin.cpp and admin_ops.cpp. Immutable
// after construction but for the threads, which Start starts and the destructor stops.
#pragma once

#include <memory>

#include "codeyard/admin.hpp"
#include "core/periodic.hpp"

namespace codeyard {

// What every refused admin call returns: kNotFound, as for other people's resources.
[[nodiscard]] Error AdminNotFound();

class Admin::Impl {
 public:
  std::shared_ptr<Platform> platform;
  std::shared_ptr<Accounts> accounts;
  std::shared_ptr<Workspaces> workspaces;
  std::shared_ptr<Jobs> jobs;
  AdminOptions options;
  int64_t started_at = 0;
  PeriodicThread heartbeat;
  PeriodicThread sweep;
};

}  // namespace codeyard
