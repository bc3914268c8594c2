#include "services.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace codeyard::server {

namespace {

// The queue's numbers: the library counts, the server exports. The histograms are fed by the
// Jobs observer, called on a worker thread after each job this process finished.
void AddJobMetrics(Services& services) {
  Jobs* jobs = services.jobs.get();
  Metrics& m = services.metrics;
  m.AddGauge("codeyard_jobs_queue_depth", "Jobs queued in storage, on every replica.", [jobs] {
    const auto depth = jobs->Depth();
    return depth ? static_cast<double>(*depth) : -1.0;
  });
  m.AddCounter("codeyard_jobs_retries_total",
               "Claims by this server of a job whose earlier lease had expired.",
               [jobs] { return static_cast<double>(jobs->Counters().retries); });
  m.AddCounter("codeyard_jobs_lost_total",
               "Results this server dropped because the job had been claimed again.",
               [jobs] { return static_cast<double>(jobs->Counters().lost); });
  static constexpr double kJobBuckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                           1,     2.5,  5,     10,   30,  60,   300};
  Family<Histogram>& waits =
      m.AddHistogram("codeyard_jobs_queue_wait_seconds",
                     "Seconds from a job's submission to its first claim, for jobs this server "
                     "finished.",
                     {}, kJobBuckets);
  Family<Histogram>& runs =
      m.AddHistogram("codeyard_jobs_run_seconds",
                     "Seconds the finishing attempt of a job ran on this server.", {}, kJobBuckets);
  Family<Counter>& finished = m.AddCounter("codeyard_jobs_finished_total",
                                           "Jobs this server finished, by verdict.", {"verdict"});
  jobs->SetObserver([&waits, &runs, &finished](const JobTiming& t) {
    waits.With({}).Observe(t.wait_s);
    runs.With({}).Observe(t.run_s);
    finished.With({t.verdict}).Inc();
  });
}

// usage20: per-organization usage (codeyard/usage.hpp), never a label per user; the library
// bounds the organizations (usage.metrics_max_orgs, the rest under org="_other"). The five
// families of one scrape share one read: the totals are kept for a second.
void AddUsageMetrics(Services& services) {
  struct Snapshot {
    std::mutex mu;
    std::chrono::steady_clock::time_point at;
    std::vector<UsageRow> rows;
    bool ok = false;
  };
  auto snapshot = std::make_shared<Snapshot>();
  Usage* usage = services.usage.get();
  const auto series = [snapshot, usage](int64_t UsageRow::*field, double scale) {
    return [snapshot, usage, field, scale] {
      const std::lock_guard lock(snapshot->mu);
      const auto now = std::chrono::steady_clock::now();
      if (!snapshot->ok || now - snapshot->at > std::chrono::seconds(1)) {
        auto rows = usage->OrgTotals();
        snapshot->ok = rows.has_value();
        snapshot->rows = rows ? std::move(*rows) : std::vector<UsageRow>();
        snapshot->at = now;
      }
      Metrics::SeriesList out;
      out.reserve(snapshot->rows.size());
      for (const UsageRow& row : snapshot->rows) {
        out.emplace_back(std::vector<std::string>{row.org_id},
                         static_cast<double>(row.*field) * scale);
      }
      return out;
    };
  };
  Metrics& m = services.metrics;
  m.AddCounterSeries("codeyard_org_cpu_seconds_total",
                     "CPU seconds the executor accounted to processes of the organization.",
                     {"org"}, series(&UsageRow::cpu_ms, 0.001));
  m.AddCounterSeries("codeyard_org_wall_seconds_total",
                     "Wall seconds of processes of the organization, summed.", {"org"},
                     series(&UsageRow::wall_ms, 0.001));
  m.AddCounterSeries("codeyard_org_jobs_total", "Jobs of the organization finished.", {"org"},
                     series(&UsageRow::jobs, 1));
  m.AddCounterSeries("codeyard_org_runs_total",
                     "Commands and interactive runs in the organization's workspaces finished.",
                     {"org"}, series(&UsageRow::runs, 1));
  m.AddGaugeSeries("codeyard_org_stored_bytes", "Bytes the organization's workspaces store.",
                   {"org"}, series(&UsageRow::stored_bytes, 1));
}

}  // namespace

Result<std::unique_ptr<Services>> OpenServices(const Config& config, std::string secret,
                                               const std::shared_ptr<Logger>& logger) {
  Options options = OptionsFrom(config);
  options.logger = logger;
  ServiceOptions service_options = ServiceOptionsFrom(config);
  // The port relay signs its preview tickets with a key derived from this secret too.
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
  services->jobs = graph.shared_jobs();
  services->problems = graph.shared_problems();
  services->package_caps = PackageCapsFrom(config);
  services->submissions = graph.shared_submissions();
  services->settings = graph.shared_settings();
  services->orgs = graph.shared_orgs();  // organizations (org20)
  services->search = graph.shared_file_search();
  services->web_dir = config.web_dir;
  services->archives = graph.shared_archives();
  services->downloads = graph.shared_downloads();
  services->run_sessions = graph.shared_run_sessions();
  services->relay = graph.shared_port_relay();
  services->language_servers = graph.shared_language_servers();
  services->terminal_max_per_workspace = static_cast<int>(config.terminal_max_per_workspace);
  services->admin = graph.shared_admin();  // admin20

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
  AddJobMetrics(*services);
  services->usage = graph.shared_usage();  // usage20
  AddUsageMetrics(*services);
  // org20: replicas by heartbeat state, a count per state (never a label per replica).
  services->metrics.AddGaugeSeries(
      "codeyard_replicas",
      "Replicas in the replicas table: live (a heartbeat within three intervals) or stale "
      "(older; pruned after replicas.prune_after_s).",
      // A pointer, as every metric's callback: one owning Admin (which holds Jobs) kept it and
      // the job workers alive inside ~Metrics, which had freed the histograms they feed
      // (ASan: heap-use-after-free at shutdown, asan: server pytest test_jobs.py).
      {"state"}, [admin = services->admin.get()]() {
        Metrics::SeriesList out;
        auto counts = admin->CountReplicas();
        if (!counts) return out;  // storage down: no sample rather than a wrong one
        out.emplace_back(std::vector<std::string>{"live"}, static_cast<double>(counts->live));
        out.emplace_back(std::vector<std::string>{"stale"}, static_cast<double>(counts->stale));
        return out;
      });
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
