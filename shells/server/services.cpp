#include "services.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <future>
#include <memory>
#include <thread>
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
  options.min_free_bytes = config.storage_min_free_bytes;
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
  services->executor = std::make_shared<CountingExecutor>(std::move(*executor));

  AccountsOptions accounts_options;
  accounts_options.secret = std::move(secret);
  accounts_options.limits = UsageLimitsFrom(config);
  services->accounts = std::make_unique<Accounts>(*services->platform, accounts_options);
  const WorkspaceOptions workspace_options = WorkspaceOptionsFrom(config);
  services->files = std::make_unique<Files>(*services->platform, workspace_options.file_limits);
  services->workspaces =
      std::make_unique<Workspaces>(*services->platform, services->executor, workspace_options);
  services->workspaces->StartIdleReaper(IdleReaperPeriod(workspace_options));

  RunnerOptions runner_options;
  runner_options.pool_size = static_cast<size_t>(config.pool_size);
  runner_options.logger = logger;
  runner_options.max_concurrent = static_cast<int>(config.run_max_concurrent);
  runner_options.max_concurrent_per_user = static_cast<int>(config.run_max_concurrent_per_user);
  runner_options.exec_limits = ExecSpecLimitsFrom(config);
  auto runner = Runner::Create(services->executor, runner_options);
  if (!runner) return Fail(runner.error().WithContext("cannot start the runner"));
  services->runner = std::move(*runner);
  services->terminals = std::make_unique<Terminals>(*services->accounts, *services->workspaces,
                                                    TerminalOptionsFrom(config), logger);
  services->web_dir = config.web_dir;

  services->events = std::make_unique<Events>(*services->platform, EventsOptionsFrom(config));
  if (auto started = services->events->Start(); !started) {
    return Fail(started.error().WithContext("cannot start the events service"));
  }
  Events* events = services->events.get();
  services->metrics.AddGauge("codeyard_events_subscribers",
                             "Open /api/v1/events subscriptions on this server.",
                             [events] { return static_cast<double>(events->subscribers()); });
  services->metrics.AddCounter("codeyard_events_delivered_total",
                               "Events queued to subscribers of this server.",
                               [events] { return static_cast<double>(events->delivered()); });
  return services;
}

bool HandOffWorkspacesForShutdown(Services& services, std::chrono::seconds timeout,
                                  std::chrono::seconds grace, Logger& logger) {
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  const auto deadline = started + timeout;
  Workspaces& workspaces = *services.workspaces;
  const int held = static_cast<int>(workspaces.Stats().running);
  // A detached thread and a promise rather than std::async, whose future would wait for a
  // stuck sync in its destructor.
  auto promise = std::make_shared<std::promise<int>>();
  std::future<int> done = promise->get_future();
  std::thread([&workspaces, deadline, promise] {
    promise->set_value(workspaces.HandOff(deadline));
  }).detach();
  if (done.wait_until(deadline + grace) != std::future_status::ready) {
    logger.Error("workspaces still syncing after the shutdown deadline; exiting without them",
                 {{"timeout_s", static_cast<int64_t>(timeout.count())}});
    return false;
  }
  const int handed = done.get();
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  logger.Info("workspaces handed off", {{"handed_off", handed},
                                        {"left_to_expire", std::max(0, held - handed)},
                                        {"duration_ms", std::round(ms)}});
  return true;
}

}  // namespace codeyard::server
