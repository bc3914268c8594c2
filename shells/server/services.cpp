#include "services.hpp"

#include <chrono>
#include <utility>

#include "codeyard/backend/registry.hpp"

namespace codeyard::server {
namespace {

// Pods keep state on disk; a server without an explicit place keeps it beside its data.
std::string ExecutorUri(const Config& config) {
  if (config.executor_uri == "local:" || config.executor_uri == "local") {
    return "local:?state_dir=" + config.data_dir + "/pods";
  }
  return config.executor_uri;
}

}  // namespace

Result<std::unique_ptr<Services>> OpenServices(const Config& config, std::string secret,
                                               const std::shared_ptr<Logger>& logger) {
  auto services = std::make_unique<Services>();
  const std::string storage_uri = config.EffectiveStorageUri();
  Options options;
  options.storage_uri = storage_uri;
  options.logger = logger;
  auto platform = Platform::Open(options);
  if (!platform) {
    return Fail(platform.error().WithContext("cannot open storage " + RedactUri(storage_uri)));
  }
  services->platform = std::move(*platform);

  const std::string executor_uri = ExecutorUri(config);
  BackendContext context{logger, nullptr};
  auto executor = BackendRegistry::WithBuiltins().OpenExecutor(executor_uri, context);
  if (!executor) {
    return Fail(executor.error().WithContext("cannot open executor " + RedactUri(executor_uri)));
  }
  services->executor = std::move(*executor);

  AccountsOptions accounts_options;
  accounts_options.secret = std::move(secret);
  services->accounts = std::make_unique<Accounts>(*services->platform, accounts_options);
  const WorkspaceOptions workspace_options = WorkspaceOptionsFrom(config);
  services->files = std::make_unique<Files>(*services->platform, workspace_options.file_limits);
  services->workspaces =
      std::make_unique<Workspaces>(*services->platform, services->executor, workspace_options);
  services->workspaces->StartIdleReaper(std::chrono::seconds(60));
  services->web_dir = config.web_dir;
  return services;
}

}  // namespace codeyard::server
