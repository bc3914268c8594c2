#include "codeyard/services.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace codeyard {

ServiceOptions ServiceOptionsFrom(const Config& config) {
  ServiceOptions options;
  options.accounts.limits = UsageLimitsFrom(config);
  options.accounts.password_cost = {static_cast<unsigned long long>(config.password_ops),
                                    static_cast<std::size_t>(config.password_memory_kib) * 1024};
  options.workspaces = WorkspaceOptionsFrom(config);
  options.runner.pool_size = static_cast<size_t>(config.pool_size);
  options.runner.pool_reuse_runs = static_cast<size_t>(config.pool_reuse_runs);
  // Runs go through the job queue, whose workers (jobs.workers) bound them and whose admission
  // refuses past its depth and per-user limits: the Runner's own caps stay off.
  options.runner.max_concurrent = 0;
  options.runner.max_concurrent_per_user = 0;
  options.runner.exec_limits = ExecSpecLimitsFrom(config);
  options.terminals = TerminalOptionsFrom(config);
  options.events = EventsOptionsFrom(config);
  options.reviews = ReviewsOptionsFrom(config);
  options.jobs = JobsOptionsFrom(config);
  options.search = SearchLimitsFrom(config);
  options.downloads.ttl_s = config.download_ttl_s;
  options.run_sessions = RunSessionOptionsFrom(config);
  options.relay.preview_ttl = std::chrono::seconds(config.relay_preview_ttl_s);
  options.relay.max_response_bytes = static_cast<uint64_t>(config.relay_max_response_bytes);
  options.relay.timeout = std::chrono::seconds(config.relay_timeout_s);
  options.usage = UsageOptionsFrom(config);  // usage20
  options.admin = AdminOptionsFrom(config);  // admin20
  return options;
}

Result<std::shared_ptr<Services>> Services::Open(const Options& options,
                                                 ServiceOptions service_options) {
  if (!options.executor && options.executor_uri.empty()) {
    return Fail(Error::Code::kInvalidArgument,
                "services: the options name no executor (executor_uri or executor)");
  }
  auto platform = Platform::Open(options);
  if (!platform) return Fail(platform.error());
  return Open(std::move(*platform), std::move(service_options));
}

Result<std::shared_ptr<Services>> Services::Open(const Config& config,
                                                 std::shared_ptr<Logger> logger) {
  auto secret = ResolveSecret(config);
  if (!secret) return Fail(secret.error());
  Options options = OptionsFrom(config);
  options.logger = std::move(logger);
  ServiceOptions service_options = ServiceOptionsFrom(config);
  service_options.accounts.secret = std::move(*secret);
  return Open(options, std::move(service_options));
}

Result<std::shared_ptr<Services>> Services::Open(std::shared_ptr<Platform> platform,
                                                 ServiceOptions service_options) {
  if (!platform || !platform->executor()) {
    return Fail(Error::Code::kInvalidArgument, "services: the platform has no executor");
  }
  std::shared_ptr<Services> s(new Services());
  s->platform_ = std::move(platform);
  const std::shared_ptr<Executor>& executor = s->platform_->executor();
  const std::shared_ptr<Logger>& logger = s->platform_->shared_logger();
  ServiceOptions& o = service_options;

  o.relay.secret = o.accounts.secret;
  s->accounts_ = std::make_shared<Accounts>(s->platform_, std::move(o.accounts));
  s->orgs_ = std::make_shared<Orgs>(s->platform_);  // organizations (org20)
  s->files_ = std::make_shared<Files>(s->platform_, o.workspaces.file_limits);
  const bool background = o.start_background;
  const auto reaper_period = IdleReaperPeriod(o.workspaces);
  s->workspaces_ = std::make_shared<Workspaces>(s->platform_, executor, std::move(o.workspaces));
  if (background) s->workspaces_->StartIdleReaper(reaper_period);

  if (!o.runner.logger) o.runner.logger = logger;
  auto runner = Runner::Create(executor, std::move(o.runner));
  if (!runner) return Fail(runner.error().WithContext("cannot start the runner"));
  s->runner_ = std::move(*runner);

  s->events_ = std::make_shared<Events>(s->platform_, std::move(o.events));
  if (background) {
    if (auto started = s->events_->Start(); !started) {
      return Fail(started.error().WithContext("cannot start the events service"));
    }
  }
  s->terminals_ =
      std::make_shared<Terminals>(s->accounts_, s->workspaces_, std::move(o.terminals), logger);
  s->reviews_ = std::make_shared<Reviews>(s->platform_, o.reviews);
  if (o.jobs.replica_id.empty()) o.jobs.replica_id = s->workspaces_->replica_id();
  const std::string images_dir = o.jobs.images_dir;  // problems name images as jobs do
  s->jobs_ = std::make_shared<Jobs>(s->platform_, s->runner_, std::move(o.jobs));
  s->problems_ = std::make_shared<Problems>(s->platform_, images_dir);
  if (auto registered = Submissions::RegisterGradeKind(*s->jobs_, s->problems_, s->runner_);
      !registered) {
    return Fail(registered.error().WithContext("cannot register the grade jobs"));
  }
  s->submissions_ = std::make_shared<Submissions>(s->platform_, s->jobs_, s->problems_);
  s->settings_ = std::make_shared<Settings>(s->platform_);
  s->file_search_ = std::make_shared<FileSearch>(s->platform_, o.search);
  s->archives_ = std::make_shared<Archives>(s->platform_, s->files_);
  s->downloads_ = std::make_shared<Downloads>(s->platform_, s->files_, o.downloads);
  s->run_sessions_ =
      std::make_shared<RunSessions>(s->accounts_, s->workspaces_, o.run_sessions, logger);
  s->port_relay_ = std::make_shared<PortRelay>(s->platform_, s->workspaces_, std::move(o.relay));
  s->language_servers_ = std::make_shared<LanguageServers>(s->workspaces_);
  s->usage_ = std::make_shared<Usage>(s->platform_, o.usage);  // usage20
  // Further kinds are registered on jobs() before its workers start: a caller that adds kinds
  // opens with start_background off and calls jobs().Start() itself.
  if (background) s->jobs_->Start();
  // admin20: administration, its heartbeat and the audit retention sweep.
  s->admin_ = std::make_shared<Admin>(s->platform_, s->accounts_, s->workspaces_, s->jobs_,
                                      std::move(o.admin));
  if (background) s->admin_->Start();
  // org20: a login ended on any replica (logout, disable, forced logout): this replica's
  // terminals and interactive runs re-check their logins now; the periodic check stays.
  s->events_->Observe([terminals = std::weak_ptr<Terminals>(s->terminals_),
                       runs = std::weak_ptr<RunSessions>(s->run_sessions_)](const Event& e) {
    if (e.type != kEventLoginsEnded) return;
    if (auto t = terminals.lock()) t->RecheckLogins();
    if (auto r = runs.lock()) r->RecheckLogins();
  });
  // Shared shells (issue 15): the reviews policy decides who besides the owner may watch.
  s->terminals_->SetWatchPolicy(
      [reviews = s->reviews_](std::string_view user_id, std::string_view workspace_id) {
        return reviews->AuthorizeTerminalWatch(user_id, workspace_id);
      });
  // The preview follows the same switch: sharing the workspace with its reviewer shares both.
  s->port_relay_->SetSharePolicy(
      [reviews = s->reviews_](std::string_view user_id, std::string_view workspace_id) {
        return reviews->AuthorizeTerminalWatch(user_id, workspace_id);
      });
  return s;
}

Services::~Services() = default;

}  // namespace codeyard
