#include "services.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <future>
#include <memory>
#include <thread>
#include <utility>

namespace codeyard::server {

Result<std::unique_ptr<Services>> OpenServices(const Config& config, std::string secret,
                                               const std::shared_ptr<Logger>& logger) {
  Options options = OptionsFrom(config);
  options.logger = logger;
  ServiceOptions service_options = ServiceOptionsFrom(config);
  service_options.accounts.secret = std::move(secret);
  auto opened = codeyard::Services::Open(options, std::move(service_options));
  if (!opened) return Fail(opened.error());
  const codeyard::Services& graph = **opened;

  auto services = std::make_unique<Services>();
  services->platform = graph.shared_platform();
  services->accounts = graph.shared_accounts();
  services->files = graph.shared_files();
  services->workspaces = graph.shared_workspaces();
  services->runner = graph.shared_runner();
  services->events = graph.shared_events();
  services->terminals = graph.shared_terminals();
  services->reviews = graph.shared_reviews();
  services->web_dir = config.web_dir;

  Events* events = services->events.get();
  services->metrics.AddGauge("codeyard_events_subscribers",
                             "Open /api/v1/events subscriptions on this server.",
                             [events] { return static_cast<double>(events->subscribers()); });
  services->metrics.AddCounter("codeyard_events_delivered_total",
                               "Events queued to subscribers of this server.",
                               [events] { return static_cast<double>(events->delivered()); });
  services->metrics.AddCounter(
      "codeyard_events_horizon_fallbacks_total",
      "Events this server sent before PostgreSQL's commit horizon passed them, after "
      "events.horizon_wait_ms (a long transaction elsewhere on the database server).",
      [events] { return static_cast<double>(events->horizon_fallbacks()); });
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
