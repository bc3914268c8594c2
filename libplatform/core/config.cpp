#include "codeyard/config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <functional>
#include <sstream>

#include <boost/json.hpp>

extern char** environ;  // NOLINT: POSIX

namespace codeyard {
namespace {

namespace json = boost::json;

using Setter = std::function<Result<void>(Config&, std::string_view)>;

struct KeySpec {
  std::string_view name;
  std::string_view description;
  std::string_view default_value;
  Setter set;
};

Error Invalid(std::string why) { return Error(Error::Code::kInvalidArgument, std::move(why)); }

Result<int64_t> ParseInt(std::string_view text, int64_t min, int64_t max) {
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Fail(Invalid("expected an integer, got \"" + std::string(text) + "\""));
  }
  if (value < min || value > max) {
    return Fail(Invalid("expected an integer from " + std::to_string(min) + " to " +
                        std::to_string(max) + ", got " + std::string(text)));
  }
  return value;
}

Result<bool> ParseBool(std::string_view text) {
  if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "0" || text == "no" || text == "off") return false;
  return Fail(Invalid("expected true or false, got \"" + std::string(text) + "\""));
}

Result<void> SetListen(Config& c, std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Fail(Invalid("expected host:port, got \"" + std::string(text) + "\""));
  }
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);  // [::1]:8080
  }
  auto port = ParseInt(text.substr(colon + 1), 1, 65535);
  if (!port) return Fail(port.error().WithContext("port"));
  c.listen_host = std::string(host);
  c.listen_port = static_cast<int>(*port);
  return {};
}

// A setter for an integer key stored in `field`, accepting [min, max].
Setter IntSetter(int64_t Config::*field, int64_t min, int64_t max) {
  return [field, min, max](Config& c, std::string_view v) -> Result<void> {
    auto n = ParseInt(v, min, max);
    if (!n) return Fail(n.error());
    c.*field = *n;
    return {};
  };
}

// One web origin as browsers send it in the Origin header: "http" or "https", "://", a host
// (a name, an IPv4 address or a bracketed IPv6 address) and an optional port; no path, query,
// user info or trailing slash. Returned in lower case, which is how browsers serialize it.
Result<std::string> ParseOrigin(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Fail(Invalid("origin \"" + std::string(text) + "\" " + std::string(why) +
                        " (expected scheme://host[:port], e.g. https://ide.example.com)"));
  };
  std::string lower(text);
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  std::string_view rest(lower);
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    return bad("must start with http:// or https://");
  }
  std::string_view host = rest;
  std::string_view port;
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return bad("has an unclosed [");
    host = rest.substr(0, close + 1);
    const std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("has text after the host");
      port = after.substr(1);
      if (port.empty()) return bad("has an empty port");
    }
  } else if (const auto colon = rest.find(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (port.empty()) return bad("has an empty port");
  }
  if (host.empty()) return bad("has no host");
  for (const char ch : host) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                    ch == '.' || ch == '[' || ch == ']' || ch == ':';
    if (!ok) return bad("has a path, user info or a character not allowed in a host");
  }
  if (!port.empty()) {
    auto n = ParseInt(port, 1, 65535);
    if (!n) return bad("has an invalid port");
  }
  return lower;
}

Result<void> SetCorsOrigins(Config& c, std::string_view text) {
  std::vector<std::string> origins;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = text.find(',', start);
    const std::size_t end = comma == std::string_view::npos ? text.size() : comma;
    std::string_view item = text.substr(start, end - start);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item == "*") {
      return Fail(Invalid("\"*\" is not allowed: list each origin that may call the API"));
    }
    if (!item.empty()) {
      auto origin = ParseOrigin(item);
      if (!origin) return Fail(origin.error());
      if (std::find(origins.begin(), origins.end(), *origin) == origins.end()) {
        origins.push_back(std::move(*origin));
      }
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  c.cors_origins = std::move(origins);
  return {};
}

const std::vector<KeySpec>& Specs() {
  static const std::vector<KeySpec> specs = {
      {"server.listen", "address the server listens on, host:port", "127.0.0.1:8080", SetListen},
      {"server.max_body_bytes", "largest request body the server accepts", "16777216",
       [](Config& c, std::string_view v) -> Result<void> {
         auto n = ParseInt(v, 1024, int64_t{1} << 30);
         if (!n) return Fail(n.error());
         c.max_body_bytes = *n;
         return {};
       }},
      {"server.cors_origins",
       "origins (scheme://host[:port], comma-separated) whose pages may call the API", "",
       SetCorsOrigins},
      {"server.idle_timeout_s",
       "seconds a connection may sit idle between requests or take to send its headers", "30",
       IntSetter(&Config::http_idle_timeout_s, 1, 3600)},
      {"server.request_timeout_s",
       "seconds a client has to send a request body, and may stall taking a response", "60",
       IntSetter(&Config::request_timeout_s, 1, 3600)},
      {"server.hsts_max_age_s",
       "Strict-Transport-Security max-age on every response (0 = header off; only behind TLS)", "0",
       IntSetter(&Config::hsts_max_age_s, 0, int64_t{2} * 365 * 24 * 3600)},
      {"server.drain_timeout_s", "seconds a stopping server waits for requests in flight", "10",
       IntSetter(&Config::drain_timeout_s, 0, 3600)},
      {"server.shutdown_sync_timeout_s",
       "seconds a stopping server spends syncing running workspaces before it exits", "20",
       IntSetter(&Config::shutdown_sync_timeout_s, 1, 3600)},
      {"server.worker_threads", "threads running quick request handlers (storage reads and writes)",
       "16", IntSetter(&Config::worker_threads, 1, 1024)},
      {"server.max_long_requests",
       "requests doing long work (exec, runs, workspace start and stop, terminal attach) at once; "
       "more get 503",
       "64", IntSetter(&Config::max_long_requests, 1, 4096)},
      {"server.max_inflight_body_bytes",
       "request body bytes the server buffers at once, over all requests; past it new bodies get "
       "503",
       "268435456", IntSetter(&Config::max_inflight_body_bytes, 1 << 20, int64_t{1} << 40)},
      {"server.max_connections", "open client connections (HTTP and terminals); more are refused",
       "10000", IntSetter(&Config::max_connections, 16, 1000000)},
      {"server.max_connections_per_ip", "open client connections from one IP address", "256",
       IntSetter(&Config::max_connections_per_ip, 1, 1000000)},
      {"server.header_timeout_s",
       "seconds a new connection may take to send its first request's line and headers", "10",
       IntSetter(&Config::header_timeout_s, 1, 3600)},
      // The file-read goal of issue 13 (docs/benchmarks.md).
      {"server.inline_reads",
       "with SQLite storage on a file, serve file reads and tree pages on the server's event "
       "thread instead of handing them to a worker",
       "true",
       [](Config& c, std::string_view v) -> Result<void> {
         auto b = ParseBool(v);
         if (!b) return Fail(b.error());
         c.inline_reads = *b;
         return {};
       }},
      // exec.* and terminal.*: issue 13 items 11 and 16 (docs/security/edges.md).
      {"exec.max_args", "argv elements one command may be given", "4096",
       IntSetter(&Config::exec_max_args, 1, 1 << 20)},
      {"exec.max_arg_bytes", "bytes of one argv element or NAME=value environment entry", "131072",
       IntSetter(&Config::exec_max_arg_bytes, 16, int64_t{128} << 10)},
      {"exec.max_env", "environment entries one command may be given", "256",
       IntSetter(&Config::exec_max_env, 0, 1 << 16)},
      {"exec.max_total_bytes", "bytes of one command's argv and environment together", "1048576",
       IntSetter(&Config::exec_max_total_bytes, 1024, int64_t{2} << 20)},
      {"terminal.max_viewers_per_terminal", "connections watching one workspace's terminal", "16",
       IntSetter(&Config::terminal_max_viewers_per_terminal, 1, 10000)},
      {"terminal.max_viewers_per_user", "terminal connections of one user, over all workspaces",
       "32", IntSetter(&Config::terminal_max_viewers_per_user, 1, 100000)},
      {"terminal.viewer_queue_bytes",
       "terminal output queued for one viewer before it is dropped and resynced", "1048576",
       IntSetter(&Config::terminal_viewer_queue_bytes, 65536, int64_t{64} << 20)},
      {"terminal.reauth_interval_s",
       "seconds between re-checks of the access token of every open terminal", "5",
       IntSetter(&Config::terminal_reauth_interval_s, 1, 3600)},
      // run_session.*: issue 17, the IDE's interactive Run (docs/web.md, "Run").
      {"run_session.cpu_time_limit_s", "CPU seconds of one interactive run (the IDE's Run)", "10",
       IntSetter(&Config::run_session_cpu_time_limit_s, 1, 3600)},
      {"run_session.wall_time_limit_s",
       "seconds one interactive run may last, waiting for input included", "600",
       IntSetter(&Config::run_session_wall_time_limit_s, 1, 86400)},
      {"run_session.output_limit_bytes",
       "output of one interactive run; past it the program is killed", "67108864",
       IntSetter(&Config::run_session_output_limit_bytes, 65536, int64_t{1} << 34)},
      // run.*: issue 17, a Run surviving a dropped WebSocket (docs/web.md, "Run").
      {"run.reconnect_grace_s",
       "seconds a run whose WebSocket dropped waits for the IDE to reconnect before it is stopped",
       "30", IntSetter(&Config::run_reconnect_grace_s, 0, 3600)},
      {"terminal.max_per_workspace",
       "terminals (shells, each a pod session) one workspace may have at once; the pod holds 8 "
       "sessions in all",
       "4", IntSetter(&Config::terminal_max_per_workspace, 1, 6)},
      // events.*: issue 14, changes pushed (docs/api.md, "Events").
      {"events.poll_interval_ms",
       "milliseconds between two reads of new events by one process (the latency of an event "
       "made on another replica)",
       "250", IntSetter(&Config::events_poll_interval_ms, 10, 60000)},
      {"events.queue_limit",
       "events queued for one /api/v1/events connection before it is closed as too slow", "1000",
       IntSetter(&Config::events_queue_limit, 10, 1000000)},
      {"events.retention_s",
       "seconds events are kept; a client away longer cannot resume with after= and reloads",
       "86400", IntSetter(&Config::events_retention_s, 60, int64_t{366} * 86400)},
      {"events.horizon_wait_ms",
       "milliseconds a committed event waits for PostgreSQL's server-wide commit horizon before "
       "it is delivered without it (a long transaction anywhere on the server holds it back)",
       "2000", IntSetter(&Config::events_horizon_wait_ms, 0, 600000)},
      // reviews.*: issue 15, code review (docs/reviews.md).
      {"reviews.auto_assign",
       "assign each new review at once to the eligible reviewer with the fewest open reviews",
       "false",
       [](Config& c, std::string_view v) -> Result<void> {
         auto b = ParseBool(v);
         if (!b) return Fail(b.error());
         c.reviews_auto_assign = *b;
         return {};
       }},
      // jobs.* and limits.jobs_*: issue 16, the durable job queue (docs/jobs.md).
      {"jobs.workers", "job worker threads in this server process (0: this process runs none)",
       "2", IntSetter(&Config::jobs_workers, 0, 256)},
      {"jobs.lease_s",
       "seconds a claimed job's lease lasts without a heartbeat (a dead worker's job waits this "
       "long before another worker takes it)",
       "10", IntSetter(&Config::jobs_lease_s, 1, 3600)},
      {"jobs.max_attempts", "claims of one job before it is finished as internal_error", "3",
       IntSetter(&Config::jobs_max_attempts, 1, 100)},
      {"jobs.poll_ms",
       "milliseconds between storage reads of idle workers and of waiting GET /jobs/{id}?wait",
       "100", IntSetter(&Config::jobs_poll_ms, 10, 60000)},
      {"jobs.max_queue_depth", "queued jobs past which new jobs are refused with 503", "1000",
       IntSetter(&Config::jobs_max_queue_depth, 1, 10000000)},
      {"limits.jobs_per_minute", "jobs (and /run calls) one user may submit per minute (0 = off)",
       "60", IntSetter(&Config::limits_jobs_per_minute, 0, 1000000)},
      {"limits.jobs_per_day", "jobs (and /run calls) one user may submit per day (0 = off)",
       "2000", IntSetter(&Config::limits_jobs_per_day, 0, 100000000)},
      {"jobs.max_time_limit_s", "largest time_limit_s (CPU seconds) a job may ask", "10",
       IntSetter(&Config::jobs_max_time_limit_s, 1, 3600)},
      {"jobs.max_memory_limit_mb", "largest memory_limit_mb a job may ask", "1024",
       IntSetter(&Config::jobs_max_memory_limit_mb, 8, 1 << 20)},
      {"jobs.max_output_limit_kb", "largest output_limit_kb a job may ask", "4096",
       IntSetter(&Config::jobs_max_output_limit_kb, 1, 1 << 20)},
      {"jobs.callback_hosts",
       "hosts (host or host:port, comma-separated) a job's callback_url may name; empty: none",
       "",
       [](Config& c, std::string_view v) -> Result<void> {
         std::vector<std::string> hosts;
         while (!v.empty()) {
           const std::size_t comma = v.find(',');
           std::string_view host = v.substr(0, comma);
           while (!host.empty() && host.front() == ' ') host.remove_prefix(1);
           while (!host.empty() && host.back() == ' ') host.remove_suffix(1);
           for (const char ch : host) {
             const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' ||
                             ch == '-' || ch == ':' || ch == '[' || ch == ']';
             if (!ok) {
               return Fail(Invalid("expected lower-case host or host:port names, got \"" +
                                   std::string(host) + "\""));
             }
           }
           if (!host.empty()) hosts.emplace_back(host);
           if (comma == std::string_view::npos) break;
           v.remove_prefix(comma + 1);
         }
         c.jobs_callback_hosts = std::move(hosts);
         return {};
       }},
      {"jobs.callback_attempts", "deliveries of a job's callback tried before it is given up",
       "8", IntSetter(&Config::jobs_callback_attempts, 1, 100)},
      // problems.*: issue 16, caps on problem packages read by import (docs/problems.md).
      {"problems.max_package_bytes", "bytes of all files of one problem package, uncompressed",
       "536870912", IntSetter(&Config::problems_max_package_bytes, 1024, int64_t{16} << 30)},
      {"problems.max_package_file_bytes", "bytes of one file of a problem package, uncompressed",
       "134217728", IntSetter(&Config::problems_max_package_file_bytes, 1024, int64_t{16} << 30)},
      {"problems.max_package_files", "files in one problem package", "20000",
       IntSetter(&Config::problems_max_package_files, 1, 10000000)},
      {"problems.max_package_depth", "folders below a problem package's root", "12",
       IntSetter(&Config::problems_max_package_depth, 2, 256)},
      {"problems.max_zip_ratio",
       "times a zipped problem package's entry (over 1 MiB) may expand; more is a zip bomb",
       "500", IntSetter(&Config::problems_max_zip_ratio, 2, 1000000)},
      // relay.*: issue 17, the preview of what a workspace serves (codeyard/port_relay.hpp).
      {"relay.preview_ttl_s", "seconds a preview ticket (the cookie of a preview tab) is valid",
       "3600", IntSetter(&Config::relay_preview_ttl_s, 60, 86400)},
      {"relay.max_response_bytes", "largest answer of a workspace's program relayed to a preview",
       "67108864", IntSetter(&Config::relay_max_response_bytes, 1024, int64_t{1} << 30)},
      {"relay.timeout_s", "seconds a previewed program may stay silent before a 502", "30",
       IntSetter(&Config::relay_timeout_s, 1, 3600)},
      // ports.*: issue 17, uploads through the preview (streamed, never held whole).
      {"ports.max_request_body_bytes",
       "largest request body sent to a workspace's program through its preview (413 past it)",
       "268435456", IntSetter(&Config::ports_max_request_body_bytes, 1024, int64_t{1} << 40)},
      // search.*: issue 17, search across a workspace's files (codeyard/search.hpp).
      {"search.max_query_bytes", "bytes of one search query", "256",
       IntSetter(&Config::search_max_query_bytes, 1, 4096)},
      {"search.max_results", "matching lines one search returns, then it stops (truncated)",
       "1000", IntSetter(&Config::search_max_results, 1, 100000)},
      {"search.max_scan_bytes", "file bytes one search reads from storage, then it stops",
       "67108864", IntSetter(&Config::search_max_scan_bytes, 1024, int64_t{1} << 34)},
      {"search.max_file_bytes", "files larger than this are skipped by search", "1048576",
       IntSetter(&Config::search_max_file_bytes, 1, int64_t{1} << 32)},
      {"search.max_line_bytes", "bytes of a line a regular expression is matched against",
       "4096", IntSetter(&Config::search_max_line_bytes, 16, int64_t{1} << 20)},
      {"server.web_dir", "directory of the built browser UI (empty: ../web beside the binary)", "",
       [](Config& c, std::string_view v) -> Result<void> {
         c.web_dir = std::string(v);
         return {};
       }},
      {"data_dir", "directory for the SQLite database, secrets and workspaces", "./data",
       [](Config& c, std::string_view v) -> Result<void> {
         if (v.empty()) return Fail(Invalid("must not be empty"));
         c.data_dir = std::string(v);
         return {};
       }},
      {"storage.uri", "storage backend URI (sqlite://..., postgres://...)",
       "sqlite://<data_dir>/codeyard.db",
       [](Config& c, std::string_view v) -> Result<void> {
         if (v.find(':') == std::string_view::npos) {
           return Fail(
               Invalid("expected a URI such as sqlite:///var/lib/codeyard/db or "
                       "postgres://user@host/db, got \"" +
                       std::string(v) + "\""));
         }
         c.storage_uri = std::string(v);
         return {};
       }},
      {"executor.uri", "executor backend URI (local:, local:?state_dir=/run/codeyard/pods)",
       "local:",
       [](Config& c, std::string_view v) -> Result<void> {
         if (v.find(':') == std::string_view::npos) {
           return Fail(Invalid("expected a URI such as local: or local:?allow_unlimited=1, got \"" +
                               std::string(v) + "\""));
         }
         c.executor_uri = std::string(v);
         return {};
       }},
      {"executor.pool_size", "pods kept ready for one-shot runs (0 turns the pool off)", "2",
       [](Config& c, std::string_view v) -> Result<void> {
         auto n = ParseInt(v, 0, 256);
         if (!n) return Fail(n.error());
         c.pool_size = *n;
         return {};
       }},
      // reuse (issue 16): pool pods reset between runs (docs/sandbox.md, "Reusing a pod").
      {"executor.pool_reuse_runs",
       "one-shot runs a warm-pool pod serves, reset between them, before it is deleted (1: a "
       "fresh pod per run)",
       "100", IntSetter(&Config::pool_reuse_runs, 1, 100000)},
      {"workspace.idle_timeout_s", "seconds without activity before a workspace pod is stopped",
       "900",
       [](Config& c, std::string_view v) -> Result<void> {
         auto n = ParseInt(v, 10, int64_t{7} * 24 * 3600);
         if (!n) return Fail(n.error());
         c.idle_timeout_s = *n;
         return {};
       }},
      {"workspace.max_running_per_user", "running workspace pods per user", "3",
       [](Config& c, std::string_view v) -> Result<void> {
         auto n = ParseInt(v, 1, 1000);
         if (!n) return Fail(n.error());
         c.max_running_per_user = *n;
         return {};
       }},
      {"workspace.max_running_total", "running workspace pods on this server", "32",
       [](Config& c, std::string_view v) -> Result<void> {
         auto n = ParseInt(v, 1, 100000);
         if (!n) return Fail(n.error());
         c.max_running_total = *n;
         return {};
       }},
      {"files.max_file_bytes", "largest file a workspace may hold", "10485760",
       [](Config& c, std::string_view v) -> Result<void> {
         auto n = ParseInt(v, 1, int64_t{1} << 32);
         if (!n) return Fail(n.error());
         c.max_file_bytes = *n;
         return {};
       }},
      {"files.max_workspace_bytes", "total size of one workspace's files", "104857600",
       [](Config& c, std::string_view v) -> Result<void> {
         auto n = ParseInt(v, 1, int64_t{1} << 40);
         if (!n) return Fail(n.error());
         c.max_workspace_bytes = *n;
         return {};
       }},
      // Rate limits and caps (docs/security/accounts.md).
      {"auth.login_failures_per_account",
       "failed logins per account within auth.login_failure_window_s before each attempt waits "
       "(0 = off)",
       "5", IntSetter(&Config::login_failures_per_account, 0, 1000000)},
      {"auth.login_failures_per_address",
       "failed logins per client address within auth.login_failure_window_s before each "
       "attempt waits (0 = off)",
       "100", IntSetter(&Config::login_failures_per_address, 0, 1000000)},
      {"auth.login_failure_window_s",
       "seconds a failed login is remembered (each failure restarts it); the longest wait", "900",
       IntSetter(&Config::login_failure_window_s, 1, int64_t{7} * 24 * 3600)},
      {"auth.login_backoff_s",
       "seconds of the first wait once a login budget is spent; doubled for each further failure",
       "30", IntSetter(&Config::login_backoff_s, 1, int64_t{24} * 3600)},
      {"auth.registrations_per_address",
       "accounts one client address may register per auth.registration_window_s (0 = off)", "30",
       IntSetter(&Config::registrations_per_address, 0, 1000000)},
      {"auth.registration_window_s", "seconds of the registration window", "3600",
       IntSetter(&Config::registration_window_s, 1, int64_t{7} * 24 * 3600)},
      {"workspace.creates_per_minute", "workspaces one user may create per minute (0 = off)", "60",
       IntSetter(&Config::workspace_creates_per_minute, 0, 1000000)},
      {"exec.per_minute", "execs one user may start per minute (0 = off)", "120",
       IntSetter(&Config::execs_per_minute, 0, 1000000)},
      {"exec.max_concurrent_per_user", "execs of one user running at once (0 = no cap)", "4",
       IntSetter(&Config::exec_max_concurrent_per_user, 0, 10000)},
      {"exec.max_concurrent_per_workspace", "execs in one workspace running at once (0 = no cap)",
       "2", IntSetter(&Config::exec_max_concurrent_per_workspace, 0, 10000)},
      {"storage.min_free_bytes",
       "free bytes the data directory needs for /api/v1/ready to answer ready (0 = no check)",
       "16777216", IntSetter(&Config::storage_min_free_bytes, 0, int64_t{1} << 50)},
      // Workspace quotas and admission (the files area of issue 13).
      {"files.max_workspace_entries",
       "files and folders one workspace may hold (the pod's listing returns 200000)", "10000",
       IntSetter(&Config::max_workspace_entries, 1, 150000)},
      {"files.max_user_bytes", "total size of the files of all of one user's workspaces",
       "1073741824", IntSetter(&Config::max_user_bytes, 1, int64_t{1} << 44)},
      {"files.max_user_entries", "files and folders over all of one user's workspaces", "50000",
       IntSetter(&Config::max_user_entries, 1, int64_t{1} << 32)},
      {"workspace.max_per_user", "workspaces one user may own", "100",
       IntSetter(&Config::max_workspaces_per_user, 1, 1000000)},
      {"workspace.memory_capacity_bytes",
       "memory the running workspace pods' limits may reserve in total (0 = MemTotal minus a "
       "quarter, at least 1 GiB)",
       "0", IntSetter(&Config::memory_capacity_bytes, 0, int64_t{1} << 50)},
      // Replicas and pod leases (issue 14).
      {"server.replica_id",
       "this replica's name in the pods table (on Kubernetes the pod name); empty: "
       "<hostname>-<pid>-<random>, distinct for every process",
       "",
       [](Config& c, std::string_view v) -> Result<void> {
         for (const char ch : v) {
           const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                           (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_';
           if (!ok) {
             return Fail(
                 Invalid("config: server.replica_id: expected letters, digits, '-', "
                         "'.' or '_', got \"" +
                         std::string(v) + "\""));
           }
         }
         if (v.size() > 128)
           return Fail(Invalid("config: server.replica_id: at most 128 characters"));
         c.replica_id = std::string(v);
         return {};
       }},
      {"workspace.lease_s",
       "seconds a replica's lease on a workspace pod lasts unrenewed: after a replica dies, "
       "others take its workspaces over this much later",
       "15", IntSetter(&Config::workspace_lease_s, 2, 3600)},
      {"workspace.lease_renew_s",
       "seconds between renewals of this replica's leases (less than workspace.lease_s; 0 = a "
       "third of it)",
       "0", IntSetter(&Config::workspace_lease_renew_s, 0, 3600)},
      {"log.level", "lowest level logged: debug, info, warn, error, off", "info",
       [](Config& c, std::string_view v) -> Result<void> {
         auto level = ParseLogLevel(v);
         if (!level) return Fail(level.error());
         c.log_level = *level;
         return {};
       }},
      {"dev_mode", "development mode: generated secret, relaxed checks", "false",
       [](Config& c, std::string_view v) -> Result<void> {
         auto b = ParseBool(v);
         if (!b) return Fail(b.error());
         c.dev_mode = *b;
         return {};
       }},
      {"secret", "server signing secret, at least 32 bytes (required unless dev_mode)", "",
       [](Config& c, std::string_view v) -> Result<void> {
         c.secret = std::string(v);
         return {};
       }},
      // Workspace pods outliving their server.
      {"workspace.pod_orphan_timeout_s",
       "seconds a workspace pod keeps running with no server holding it (0 = until deleted)", "600",
       IntSetter(&Config::pod_orphan_timeout_s, 0, int64_t{7} * 24 * 3600)},
      // Files in and out (issue 17).
      {"files.download_ttl_s", "seconds a signed download link works", "300",
       IntSetter(&Config::download_ttl_s, 1, int64_t{24} * 3600)},
      // Workspace images (issue 18, codeyard/images.hpp).
      {"images.dir", "directory of workspace images (codeyard image build)",
       "<data_dir>/images",
       [](Config& c, std::string_view v) -> Result<void> {
         c.images_dir = std::string(v);
         return {};
       }},
      // admin20: the audit log (codeyard/admin.hpp, docs/admin.md).
      {"audit.retention_days",
       "days an audit log record is kept before the hourly sweep deletes it (0 = forever)", "365",
       IntSetter(&Config::audit_retention_days, 0, 36500)},
  };
  return specs;
}

const KeySpec* FindSpec(std::string_view name) {
  for (const auto& s : Specs()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

Error UnknownKey(std::string_view key, std::string_view source) {
  std::string msg =
      "config: unknown key \"" + std::string(key) + "\" (from " + std::string(source) + ")";
  const KeySpec* best = nullptr;
  std::size_t best_distance = 4;
  for (const auto& s : Specs()) {
    const std::size_t d = EditDistance(key, s.name);
    if (d < best_distance) best = &s, best_distance = d;
  }
  if (best != nullptr) msg += "; did you mean \"" + std::string(best->name) + "\"?";
  return Invalid(msg);
}

Result<void> Apply(Config& config, std::string_view key, std::string_view value,
                   std::string_view source) {
  const KeySpec* spec = FindSpec(key);
  if (spec == nullptr) return Fail(UnknownKey(key, source));
  auto applied = spec->set(config, value);
  if (!applied) {
    return Fail(Invalid("config: " + std::string(key) + " (from " + std::string(source) +
                        "): " + applied.error().message()));
  }
  return {};
}

// "storage.uri" -> "CODEYARD_STORAGE_URI"
std::string EnvName(std::string_view key) {
  std::string out = "CODEYARD_";
  for (const char c : key) {
    out.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

// Flattens nested objects to dotted keys; scalars become their text form.
Result<void> Flatten(const json::value& v, const std::string& prefix,
                     std::vector<std::pair<std::string, std::string>>& out) {
  switch (v.kind()) {
    case json::kind::object:
      for (const auto& [k, child] : v.get_object()) {
        auto r =
            Flatten(child, prefix.empty() ? std::string(k) : prefix + "." + std::string(k), out);
        if (!r) return r;
      }
      return {};
    case json::kind::string:
      out.emplace_back(prefix, std::string(v.get_string()));
      return {};
    case json::kind::array: {  // a list of strings, as "a,b" (server.cors_origins)
      std::string joined;
      for (const auto& item : v.get_array()) {
        if (!item.is_string()) {
          return Fail(Invalid("config: " + prefix + ": expected a list of strings"));
        }
        if (!joined.empty()) joined += ',';
        joined += std::string(item.get_string());
      }
      out.emplace_back(prefix, std::move(joined));
      return {};
    }
    case json::kind::bool_:
      out.emplace_back(prefix, v.get_bool() ? "true" : "false");
      return {};
    case json::kind::int64:
      out.emplace_back(prefix, std::to_string(v.get_int64()));
      return {};
    case json::kind::uint64:
      out.emplace_back(prefix, std::to_string(v.get_uint64()));
      return {};
    default:
      return Fail(
          Invalid("config: " + prefix + ": expected a string, number, boolean or list of strings"));
  }
}

Result<void> LoadFile(Config& config, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(Invalid("config: cannot read file " + path));
  std::stringstream buf;
  buf << in.rdbuf();
  json::parse_options opts;
  opts.allow_comments = true;
  opts.allow_trailing_commas = true;
  boost::system::error_code ec;
  const json::value root = json::parse(buf.str(), ec, {}, opts);
  if (ec) return Fail(Invalid("config: " + path + " is not valid JSON: " + ec.message()));
  if (!root.is_object()) return Fail(Invalid("config: " + path + " must hold a JSON object"));
  std::vector<std::pair<std::string, std::string>> pairs;
  if (auto r = Flatten(root, "", pairs); !r) return Fail(r.error().WithContext(path));
  for (const auto& [k, v] : pairs) {
    if (auto r = Apply(config, k, v, "file " + path); !r) return r;
  }
  return {};
}

}  // namespace

std::string Config::EffectiveStorageUri() const {
  if (!storage_uri.empty()) return storage_uri;
  std::string dir = data_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return "sqlite://" + dir + "/codeyard.db";
}

std::string Config::EffectiveImagesDir() const {
  if (!images_dir.empty()) return images_dir;
  std::string dir = data_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir + "/images";
}

std::vector<ConfigKey> ConfigKeys() {
  std::vector<ConfigKey> out;
  for (const auto& s : Specs()) out.push_back({s.name, s.description, s.default_value});
  return out;
}

Result<Config> LoadConfig(const ConfigInputs& inputs) {
  Config config;
  if (!inputs.file.empty()) {
    if (auto r = LoadFile(config, inputs.file); !r) return Fail(r.error());
  }
  for (const auto& [name, value] : inputs.env) {
    if (!name.starts_with("CODEYARD_")) continue;
    const KeySpec* match = nullptr;
    for (const auto& s : Specs()) {
      if (EnvName(s.name) == name) match = &s;
    }
    if (match == nullptr) {
      // Tests and tools use CODEYARD_TEST_* and friends; note, do not refuse.
      config.warnings.push_back("unknown environment variable " + name + " ignored");
      continue;
    }
    if (auto r = Apply(config, match->name, value, "env " + name); !r) return Fail(r.error());
  }
  for (const auto& [key, value] : inputs.flags) {
    if (auto r = Apply(config, key, value, "flag --set " + key); !r) return Fail(r.error());
  }
  // A body the size server.max_body_bytes allows must fit the in-flight budget, or such
  // requests would be refused forever.
  if (config.max_inflight_body_bytes < config.max_body_bytes) {
    return Fail(Invalid("config: server.max_inflight_body_bytes (" +
                        std::to_string(config.max_inflight_body_bytes) +
                        ") must be at least server.max_body_bytes (" +
                        std::to_string(config.max_body_bytes) + ")"));
  }
  // A renewal period as long as the lease lets it expire between two heartbeats.
  if (config.workspace_lease_renew_s >= config.workspace_lease_s) {  // 0 (a third) always fits
    return Fail(Invalid("config: workspace.lease_renew_s (" +
                        std::to_string(config.workspace_lease_renew_s) +
                        ") must be less than workspace.lease_s (" +
                        std::to_string(config.workspace_lease_s) + ")"));
  }
  return config;
}

std::vector<std::pair<std::string, std::string>> ProcessEnvironment() {
  std::vector<std::pair<std::string, std::string>> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace_back(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return out;
}

Result<std::pair<std::string, std::string>> SplitAssignment(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return Fail(Invalid("expected key=value, got \"" + std::string(text) + "\""));
  }
  return std::pair{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

}  // namespace codeyard
