#include "server_metrics.hpp"

#include <sys/statvfs.h>

#include <cmath>
#include <string>

#include "codeyard/health_stats.hpp"

namespace codeyard::server {

std::function<void(const RequestDone&)> InstallServerMetrics(
    Services& services, double start_unix_seconds,
    std::function<void(std::string_view)>* on_connection_refused) {
  Metrics& m = services.metrics;
  Family<Counter>& requests =
      m.AddCounter("codeyard_http_requests_total",
                   "HTTP requests answered, by method, route pattern and status.",
                   {"method", "route", "status"});
  Family<Histogram>& durations = m.AddHistogram(
      "codeyard_http_request_duration_seconds",
      "Time from the request line to the last byte of the answer, by method and route pattern.",
      {"method", "route"});
  Family<Counter>& refusals = m.AddCounter(
      "codeyard_limit_refusals_total",
      "Requests refused by a quota, cap or rate limit, by the limit's configuration key.",
      {"limit"});
  if (on_connection_refused != nullptr) {
    *on_connection_refused = [&refusals](std::string_view limit) { refusals.With({limit}).Inc(); };
  }

  m.AddGauge("codeyard_process_start_time_seconds", "Start time of the process, in Unix seconds.",
             [start_unix_seconds] { return start_unix_seconds; });
  m.AddGauge("codeyard_workspaces_running", "Workspaces whose pod this server runs.",
             [&services] { return static_cast<double>(services.workspaces->Stats().running); });
  m.AddGauge("codeyard_pods_running",
             "Pods this server started and has not deleted: workspace pods, warm-pool pods and "
             "one-shot compile and run pods.",
             [&services] { return static_cast<double>(services.platform->live_pods()); });
  m.AddGauge("codeyard_pool_size", "Pods ready in the warm pool for one-shot runs.",
             [&services] { return static_cast<double>(services.runner->pool_stats().ready); });
  m.AddCounter("codeyard_pool_hits_total", "One-shot runs served by a ready warm-pool pod.",
               [&services] { return static_cast<double>(services.runner->pool_stats().hits); });
  m.AddCounter("codeyard_pool_misses_total",
               "One-shot runs with the default limits that found the warm pool empty.",
               [&services] { return static_cast<double>(services.runner->pool_stats().misses); });
  // SQLite's read cache (zero elsewhere): hits are statements answered without SQLite.
  const auto cache = [&services](int64_t ReadCacheStats::*field) {
    const auto stats = services.platform->storage().CacheStats();
    return stats ? static_cast<double>((*stats).*field) : 0.0;
  };
  m.AddCounter("codeyard_storage_read_cache_hits_total",
               "Read statements answered from the storage's read cache (SQLite).",
               [cache] { return cache(&ReadCacheStats::hits); });
  m.AddCounter("codeyard_storage_read_cache_misses_total",
               "Read statements the storage's read cache could not answer (SQLite).",
               [cache] { return cache(&ReadCacheStats::misses); });
  m.AddGauge("codeyard_storage_read_cache_bytes", "Bytes held by the storage's read cache.",
             [cache] { return cache(&ReadCacheStats::bytes); });
  m.AddCounter("codeyard_sync_passes_total", "Two-way workspace sync passes.", [&services] {
    return static_cast<double>(services.workspaces->Stats().sync_passes);
  });
  m.AddCounter(
      "codeyard_sync_failures_total", "Workspace sync passes that ended in an error.",
      [&services] { return static_cast<double>(services.workspaces->Stats().sync_failures); });
  m.AddCounter("codeyard_sync_unstored_total",
               "Pod files a sync pass left unstored (refused name, size cap, quota).", [&services] {
                 return static_cast<double>(services.workspaces->Stats().sync_skipped);
               });
  m.AddCounter(
      "codeyard_workspace_stops_refused_total",
      "Workspace stops (API, idle, shutdown) that kept the pod: final sync incomplete.",
      [&services] { return static_cast<double>(services.workspaces->Stats().stops_refused); });
  m.AddCounter(
      "codeyard_workspace_hung_pods_replaced_total",
      "Workspace pods deleted for not ending an exec 10 s past its time limit.",
      [&services] { return static_cast<double>(services.workspaces->Stats().hung_pods_replaced); });
  const char* const sync_help = "File content copied between storage and workspace pods.";
  m.AddCounter(
      "codeyard_sync_bytes_total", sync_help,
      [&services] { return static_cast<double>(services.workspaces->Stats().bytes_to_pod); },
      {{"direction", "to_pod"}});
  m.AddCounter(
      "codeyard_sync_bytes_total", sync_help,
      [&services] { return static_cast<double>(services.workspaces->Stats().bytes_from_pod); },
      {{"direction", "from_pod"}});

  return [&requests, &durations, &refusals](const RequestDone& done) {
    const std::string status = std::to_string(done.status);
    requests.With({done.method, done.route, status}).Inc();
    durations.With({done.method, done.route}).Observe(done.seconds);
    if (!done.limit.empty()) refusals.With({done.limit}).Inc();
  };
}

void InstallTerminalMetrics(Services& services, const Terminals& terminals) {
  Metrics& m = services.metrics;
  m.AddGauge("codeyard_terminal_connections", "Terminal WebSocket connections attached to a shell.",
             [&terminals] { return static_cast<double>(terminals.viewers()); });
  m.AddGauge("codeyard_terminal_shells",
             "Workspace shells this server is attached to for terminals.",
             [&terminals] { return static_cast<double>(terminals.shells()); });
  m.AddCounter("codeyard_terminal_output_bytes_total", "Bytes of terminal output read from shells.",
               [&terminals] { return static_cast<double>(terminals.output_bytes()); });
  const char* const refused_help =
      "Terminal connections refused by a viewer cap, by the limit's configuration key.";
  m.AddCounter("codeyard_terminal_refusals_total", refused_help,
               [&terminals] { return static_cast<double>(terminals.refused_per_terminal()); },
               {{"limit", "terminal.max_viewers_per_terminal"}});
  m.AddCounter("codeyard_terminal_refusals_total", refused_help,
               [&terminals] { return static_cast<double>(terminals.refused_per_user()); },
               {{"limit", "terminal.max_viewers_per_user"}});
  m.AddCounter("codeyard_terminal_reauth_closes_total",
               "Terminal viewers closed because their access token was revoked or expired.",
               [&terminals] { return static_cast<double>(terminals.reauth_closed()); });
}

void InstallHealthMetrics(Services& services, const std::string& data_dir) {
  Metrics& m = services.metrics;
  Platform* platform = services.platform.get();
  m.AddGauge("codeyard_storage_up",
             "1 when storage answers a trivial query and has room to write (as /api/v1/ready "
             "checks), 0 otherwise; checked at each scrape.",
             [platform] { return platform->Ping() ? 1.0 : 0.0; });
  const auto space = [data_dir](bool free) {
    struct statvfs fs {};
    if (::statvfs(data_dir.c_str(), &fs) != 0) return std::nan("");
    const auto blocks = free ? fs.f_bavail : fs.f_blocks;
    return static_cast<double>(blocks) * static_cast<double>(fs.f_frsize);
  };
  m.AddGauge("codeyard_data_dir_free_bytes",
             "Bytes an unprivileged writer may still use on the file system of data_dir.",
             [space] { return space(true); });
  m.AddGauge("codeyard_data_dir_size_bytes", "Size in bytes of the file system of data_dir.",
             [space] { return space(false); });
  Workspaces* workspaces = services.workspaces.get();
  m.AddGauge("codeyard_replica_heartbeat_age_seconds",
             "Seconds since this replica last renewed every workspace lease it holds.",
             [workspaces] { return static_cast<double>(workspaces->Heartbeat().age_ms) / 1e3; });
  m.AddGauge("codeyard_replica_lease_seconds",
             "How long a workspace lease lasts unrenewed (workspace.lease_s).",
             [workspaces] { return static_cast<double>(workspaces->Heartbeat().lease_ms) / 1e3; });
  m.AddCounter("codeyard_pod_create_failures_total",
               "Pod creations this server asked of the executor that failed.", [platform] {
                 return static_cast<double>(ExecutorEventsOf(*platform).pod_create_failures);
               });
  m.AddCounter(
      "codeyard_seccomp_kills_total",
      "Processes in pods this server started that the sandbox's seccomp filter killed "
      "(SIGSYS).",
      [platform] { return static_cast<double>(ExecutorEventsOf(*platform).seccomp_kills); });
}

}  // namespace codeyard::server
