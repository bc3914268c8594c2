// The library services the API routes call, opened once at startup from the Config and
// shared by every worker thread: the Platform (storage), the executor that runs workspace
// pods, Accounts, Files and Workspaces (with its idle reaper running). Every service is
// thread-safe, so handlers use them concurrently without locks of their own. Destruction
// stops the reaper and every pod before storage goes away (members are destroyed in reverse).
#pragma once

#include <memory>
#include <string>

#include "codeyard/accounts.hpp"
#include "codeyard/backend/executor.hpp"
#include "codeyard/config.hpp"
#include "codeyard/error.hpp"
#include "codeyard/files.hpp"
#include "codeyard/log.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/workspaces.hpp"

namespace codeyard::server {

struct Services {
  std::unique_ptr<Platform> platform;
  std::shared_ptr<Executor> executor;
  std::unique_ptr<Accounts> accounts;
  std::unique_ptr<Files> files;
  std::unique_ptr<Workspaces> workspaces;
  std::string web_dir;  // config.web_dir as given: the browser UI's files (see api_static.cpp)
};

// Opens storage (config.EffectiveStorageUri()) and the executor (config.executor_uri; a bare
// "local:" gets state_dir=<data_dir>/pods) and builds the services over them. `secret` is the
// access-token key from ResolveSecret. Errors carry the failing part in their context.
[[nodiscard]] Result<std::unique_ptr<Services>> OpenServices(const Config& config,
                                                             std::string secret,
                                                             const std::shared_ptr<Logger>& logger);

}  // namespace codeyard::server
