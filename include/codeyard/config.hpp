// Configuration of a Codeyard process, read from three sources in rising precedence: a JSON
// file (comments allowed), environment variables `CODEYARD_<KEY>` (dots become underscores:
// `storage.uri` -> `CODEYARD_STORAGE_URI`), and `key=value` overrides from the command line.
// Every value passes the same validation whatever its source, and an error names the key,
// where the value came from, and why it was refused. Plain data; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codeyard/error.hpp"
#include "codeyard/log.hpp"

namespace codeyard {

struct Config {
  std::string listen_host = "127.0.0.1";  // server.listen, "host:port"
  int listen_port = 8080;
  std::string data_dir = "./data";          // data_dir
  std::string storage_uri;                  // storage.uri; empty = sqlite in data_dir
  LogLevel log_level = LogLevel::kInfo;     // log.level
  bool dev_mode = false;                    // dev_mode
  std::string secret;                       // secret (never logged)
  int64_t max_body_bytes = 16 << 20;        // server.max_body_bytes
  std::string web_dir;                      // server.web_dir; empty = <binary>/../web
  std::string executor_uri = "local:";      // executor.uri
  int64_t pool_size = 2;                    // executor.pool_size (warm pods for one-shot runs)
  int64_t idle_timeout_s = 900;             // workspace.idle_timeout_s
  int64_t max_running_per_user = 3;         // workspace.max_running_per_user
  int64_t max_running_total = 32;           // workspace.max_running_total
  int64_t max_file_bytes = 10 << 20;        // files.max_file_bytes
  int64_t max_workspace_bytes = 100 << 20;  // files.max_workspace_bytes

  // Workspace quotas and admission (docs/security/files.md).
  int64_t max_workspace_entries = 10000;      // files.max_workspace_entries
  int64_t max_user_bytes = int64_t{1} << 30;  // files.max_user_bytes
  int64_t max_user_entries = 50000;           // files.max_user_entries
  int64_t max_workspaces_per_user = 100;      // workspace.max_per_user
  int64_t memory_capacity_bytes = 0;          // workspace.memory_capacity_bytes; 0 = auto

  // The server's HTTP limits and shutdown (docs/api.md, "Security").
  // server.cors_origins: exact origins ("https://ide.example.com") whose pages may call the
  // API from another origin; empty = same-origin only. Lower-case, no path, no duplicates.
  std::vector<std::string> cors_origins;
  int64_t http_idle_timeout_s = 30;      // server.idle_timeout_s: idle keep-alive, header read
  int64_t request_timeout_s = 60;        // server.request_timeout_s: body read, answer taken
  int64_t hsts_max_age_s = 0;            // server.hsts_max_age_s; 0 = no HSTS header
  int64_t drain_timeout_s = 10;          // server.drain_timeout_s: requests in flight at stop
  int64_t shutdown_sync_timeout_s = 20;  // server.shutdown_sync_timeout_s: final syncs

  // Rate limits, concurrency caps and storage headroom (docs/security/accounts.md).
  int64_t login_failures_per_account = 5;    // auth.login_failures_per_account (0 = off)
  int64_t login_failures_per_address = 100;  // auth.login_failures_per_address (0 = off)
  int64_t login_failure_window_s = 900;      // auth.login_failure_window_s
  int64_t login_backoff_s = 30;              // auth.login_backoff_s: first wait, then doubled
  int64_t registrations_per_address = 30;    // auth.registrations_per_address (0 = off)
  int64_t registration_window_s = 3600;      // auth.registration_window_s
  // auth.password_ops, auth.password_memory_kib: argon2id's cost for new password hashes
  // (libsodium's INTERACTIVE by default); a stored hash of another cost is redone at its next
  // login. The minimum (1, 8) is for tests and fuzzing only.
  int64_t password_ops = 2;
  int64_t password_memory_kib = 65536;
  int64_t workspace_creates_per_minute = 60;      // workspace.creates_per_minute (0 = off)
  int64_t execs_per_minute = 120;                 // exec.per_minute, per user (0 = off)
  int64_t exec_max_concurrent_per_user = 4;       // exec.max_concurrent_per_user (0 = off)
  int64_t exec_max_concurrent_per_workspace = 2;  // exec.max_concurrent_per_workspace (0 = off)
  int64_t storage_min_free_bytes = 16 << 20;      // storage.min_free_bytes: ready needs this free

  // The server's capacity against one client taking it all (docs/security/server.md).
  int64_t worker_threads = 16;     // server.worker_threads: quick request handlers at once
  int64_t max_long_requests = 64;  // server.max_long_requests: exec, runs, pod starts at once
  int64_t max_inflight_body_bytes = int64_t{256} << 20;  // server.max_inflight_body_bytes
  int64_t max_connections = 10000;                       // server.max_connections
  int64_t max_connections_per_ip = 256;                  // server.max_connections_per_ip
  int64_t header_timeout_s = 10;  // server.header_timeout_s: a new connection's request headers
  // What one command may be given (ValidateExecSpec, codeyard/exec_limits.hpp), for exec in
  // a workspace and one-shot runs alike; Linux's own bounds are 128 KiB per string (argv or
  // environment) and about 2 MiB for both together.
  int64_t exec_max_args = 4096;                     // exec.max_args: argv elements
  int64_t exec_max_arg_bytes = int64_t{128} << 10;  // exec.max_arg_bytes: one element or env
  int64_t exec_max_env = 256;                       // exec.max_env: environment entries
  int64_t exec_max_total_bytes = int64_t{1} << 20;  // exec.max_total_bytes: argv + env

  // Terminal viewers (docs/security/edges.md): each one holds up to terminal.viewer_queue_bytes
  // of output, so these bound a terminal's and a user's memory.
  int64_t terminal_max_viewers_per_terminal = 16;          // terminal.max_viewers_per_terminal
  int64_t terminal_max_viewers_per_user = 32;              // terminal.max_viewers_per_user
  int64_t terminal_viewer_queue_bytes = int64_t{1} << 20;  // terminal.viewer_queue_bytes
  int64_t terminal_reauth_interval_s = 5;                  // terminal.reauth_interval_s
  int64_t terminal_max_per_workspace = 4;                  // terminal.max_per_workspace

  // Interactive runs of the IDE's Run (codeyard/run_session.hpp): the limits of the program a
  // person runs and types into. CPU as a one-shot exec; the wall clock is long, since the
  // program may wait for a person to type; output is streamed, and bounded in total.
  int64_t run_session_cpu_time_limit_s = 10;                   // run_session.cpu_time_limit_s
  int64_t run_session_wall_time_limit_s = 600;                 // run_session.wall_time_limit_s
  int64_t run_session_output_limit_bytes = int64_t{64} << 20;  // run_session.output_limit_bytes

  // A run whose WebSocket dropped (a page reload, a network blip) goes on this long waiting for
  // the IDE to reconnect to it by its run id; then it is stopped. 0: stopped at once.
  int64_t run_reconnect_grace_s = 30;  // run.reconnect_grace_s

  // Replicas and pod leases (docs/workspaces.md, "Leases"). replica_id names this server
  // process in the pods table; empty: "<hostname>-<pid>-<random>", distinct per process.
  std::string replica_id;               // server.replica_id
  int64_t workspace_lease_s = 15;       // workspace.lease_s: a dead replica's pods wait this long
  int64_t workspace_lease_renew_s = 0;  // workspace.lease_renew_s: heartbeat; 0 = lease / 3

  // Workspace pods outliving their server (docs/sandbox.md, "Lifetime").
  int64_t pod_orphan_timeout_s = 600;  // workspace.pod_orphan_timeout_s (0 = until deleted)

  // Changes pushed to pages (codeyard/events.hpp, GET /api/v1/events; docs/api.md).
  int64_t events_poll_interval_ms = 250;  // events.poll_interval_ms: how often a process reads
  int64_t events_queue_limit = 1000;      // events.queue_limit: queued per subscriber, then closed
  int64_t events_retention_s = 86400;     // events.retention_s: events older are pruned
  // events.horizon_wait_ms: how long a committed event waits for PostgreSQL's commit horizon
  // (held back by any long transaction on the server) before it is delivered without it.
  int64_t events_horizon_wait_ms = 2000;

  // Code review (codeyard/reviews.hpp, docs/reviews.md).
  bool reviews_auto_assign = false;  // reviews.auto_assign: new reviews go to the least busy

  // The job queue (codeyard/jobs.hpp, docs/jobs.md): its workers, leases and admission.
  int64_t jobs_workers = 2;                 // jobs.workers: worker threads per server process
  int64_t jobs_lease_s = 10;                // jobs.lease_s: a dead worker's job waits this long
  int64_t jobs_max_attempts = 3;            // jobs.max_attempts: claims before internal_error
  int64_t jobs_poll_ms = 100;               // jobs.poll_ms: idle workers and waiters re-read
  int64_t jobs_max_queue_depth = 1000;      // jobs.max_queue_depth: queued jobs, then 503
  int64_t limits_jobs_per_minute = 60;      // limits.jobs_per_minute, per user (0 = off)
  int64_t limits_jobs_per_day = 2000;       // limits.jobs_per_day, per user (0 = off)
  int64_t jobs_max_time_limit_s = 10;       // jobs.max_time_limit_s: largest CPU time a job asks
  int64_t jobs_max_memory_limit_mb = 1024;  // jobs.max_memory_limit_mb
  int64_t jobs_max_output_limit_kb = 4096;  // jobs.max_output_limit_kb
  // jobs.callback_hosts: hosts ("host" or "host:port", lower-case, comma-separated) a job's
  // callback_url may name; empty = callbacks refused.
  std::vector<std::string> jobs_callback_hosts;
  int64_t jobs_callback_attempts = 8;  // jobs.callback_attempts: deliveries tried, then failed
  // Problem packages read on import (codeyard/problem_packages.hpp, docs/problems.md).
  int64_t problems_max_package_bytes = int64_t{512} << 20;       // problems.max_package_bytes
  int64_t problems_max_package_file_bytes = int64_t{128} << 20;  // .max_package_file_bytes
  int64_t problems_max_package_files = 20000;                    // problems.max_package_files
  int64_t problems_max_package_depth = 12;                       // problems.max_package_depth
  int64_t problems_max_zip_ratio = 500;                          // problems.max_zip_ratio
  // The preview relay (codeyard/port_relay.hpp, docs/workspaces.md "Preview"): tickets'
  // lifetime, the largest answer relayed, and how long a program may stay silent.
  int64_t relay_preview_ttl_s = 3600;                    // relay.preview_ttl_s
  int64_t relay_max_response_bytes = int64_t{64} << 20;  // relay.max_response_bytes
  int64_t relay_timeout_s = 30;                          // relay.timeout_s
  // The largest upload to a preview (a body streamed to the program as it arrives).
  int64_t ports_max_request_body_bytes = int64_t{256} << 20;  // ports.max_request_body_bytes

  // Search across a workspace's files (codeyard/search.hpp, GET /workspaces/{id}/search).
  int64_t search_max_query_bytes = 256;               // search.max_query_bytes
  int64_t search_max_results = 1000;                  // search.max_results: lines returned
  int64_t search_max_scan_bytes = int64_t{64} << 20;  // search.max_scan_bytes: bytes read
  int64_t search_max_file_bytes = int64_t{1} << 20;   // search.max_file_bytes: larger skipped
  int64_t search_max_line_bytes = 4096;               // search.max_line_bytes: regex per line
  int64_t search_max_cpu_ms = 5000;                   // search.max_cpu_ms: one search's CPU time

  // server.inline_reads: file reads and tree pages run on the server's event thread, without
  // a hand-off to a worker, when storage is SQLite on a file (local reads of microseconds);
  // the server ignores it for other storage. Off: every such read goes to a worker.
  bool inline_reads = true;

  // Files in and out (issue 17, docs/workspaces.md): how long a signed download link works.
  int64_t download_ttl_s = 300;  // files.download_ttl_s
  // executor.pool_reuse_runs: how many one-shot runs a warm-pool pod serves, reset between
  // them (Pod::Reset; docs/sandbox.md, "Reusing a pod"), before it is deleted. 1: a fresh
  // pod for every run.
  int64_t pool_reuse_runs = 100;

  // Workspace images (issue 18, codeyard/images.hpp): where `codeyard image build` puts them
  // and the local executor finds them. Empty: <data_dir>/images.
  std::string images_dir;  // images.dir

  // Usage metering (issue 20, usage20; codeyard/usage.hpp).
  int64_t usage_max_days = 366;          // usage.max_days: the longest range of one usage report
  int64_t usage_metrics_max_orgs = 50;   // usage.metrics_max_orgs: orgs with their own series
  int64_t usage_sample_interval_s = 30;  // usage.sample_interval_s: pods' CPU sampled (meter20)
  // admin20: the audit log's retention (codeyard/admin.hpp); 0 keeps every record.
  int64_t audit_retention_days = 365;  // audit.retention_days
  // org20: replicas whose heartbeat is older are pruned from the table (0 = never).
  int64_t replicas_prune_after_s = 3600;  // replicas.prune_after_s

  // Keys from the environment that look like ours but are not known (likely typos).
  std::vector<std::string> warnings;

  // storage_uri, or the default "sqlite://<data_dir>/codeyard.db" when it is empty.
  [[nodiscard]] std::string EffectiveStorageUri() const;
  // images_dir, or "<data_dir>/images" when it is empty.
  [[nodiscard]] std::string EffectiveImagesDir() const;
};

struct ConfigInputs {
  std::string file;  // a JSON file, or empty for none; a named file must exist
  std::vector<std::pair<std::string, std::string>> env;    // NAME=value pairs
  std::vector<std::pair<std::string, std::string>> flags;  // key=value overrides
};

// One known key: its name, a one-line description, and its default as text.
struct ConfigKey {
  std::string_view name;
  std::string_view description;
  std::string_view default_value;
};

// Every key Config understands, for `--help` output and documentation.
[[nodiscard]] std::vector<ConfigKey> ConfigKeys();

// Builds a Config from the inputs. Errors are kInvalidArgument with a message such as
//   config: server.listen (from env CODEYARD_SERVER_LISTEN): expected host:port, got "80"
[[nodiscard]] Result<Config> LoadConfig(const ConfigInputs& inputs);

// The process environment as ConfigInputs::env expects it.
[[nodiscard]] std::vector<std::pair<std::string, std::string>> ProcessEnvironment();

// Splits "key=value" (as given to --set); kInvalidArgument without '='.
[[nodiscard]] Result<std::pair<std::string, std::string>> SplitAssignment(std::string_view text);

}  // namespace codeyard
