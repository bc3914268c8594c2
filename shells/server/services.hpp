// The library services the API routes call, opened once at startup from the Config by the
// library (codeyard::Services::Open, the one place that assembles it) and shared by every
// worker thread: the Platform (storage and the executor, which counts its pods), Accounts,
// Files, Workspaces (with its idle reaper running), the one-shot Runner with its warm pool,
// Events, the Terminals (every workspace's shell and its viewers), Reviews, and the metrics
// registry. Every service is thread-safe, so handlers use them concurrently without locks of their
// own, and each holds what it uses, so members may go in any order; the declared order lets shells
// go first, then the events tail, the runner's pool and the reaper.
// A default-constructed Services opens nothing: route groups only keep a reference to it, so
// `--print-routes` registers the routes over one without touching storage or pods.
// A server hands its workspaces off first, with a deadline, through HandOffWorkspacesForShutdown.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "codeyard/accounts.hpp"
#include "codeyard/admin.hpp"
#include "codeyard/archive.hpp"
#include "codeyard/config.hpp"
#include "codeyard/downloads.hpp"
#include "codeyard/error.hpp"
#include "codeyard/events.hpp"
#include "codeyard/files.hpp"
#include "codeyard/jobs.hpp"
#include "codeyard/language_servers.hpp"
#include "codeyard/log.hpp"
#include "codeyard/orgs.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/port_relay.hpp"
#include "codeyard/problem_packages.hpp"
#include "codeyard/reviews.hpp"
#include "codeyard/run.hpp"
#include "codeyard/run_session.hpp"
#include "codeyard/search.hpp"
#include "codeyard/services.hpp"
#include "codeyard/settings.hpp"
#include "codeyard/submissions.hpp"
#include "codeyard/terminals.hpp"
#include "codeyard/usage.hpp"
#include "codeyard/workspaces.hpp"
#include "metrics.hpp"

namespace codeyard::server {

struct Services {
  Metrics metrics;  // first, so that it outlives what its callbacks read
  std::shared_ptr<Platform> platform;
  std::shared_ptr<Accounts> accounts;
  std::shared_ptr<Files> files;
  std::shared_ptr<Workspaces> workspaces;
  std::shared_ptr<Runner> runner;  // POST /api/v1/run; pool of executor.pool_size pods
  std::shared_ptr<Events> events;  // GET /api/v1/events; its tail runs from OpenServices on
  std::shared_ptr<Terminals> terminals;
  std::shared_ptr<Reviews> reviews;          // /api/v1/reviews, /reviewers, /notifications
  std::shared_ptr<Jobs> jobs;                // /api/v1/jobs, /queue/stats, /run; its workers run
  std::shared_ptr<Problems> problems;        // /api/v1/problems
  std::shared_ptr<Submissions> submissions;  // /api/v1/submissions, /progress
  std::shared_ptr<Settings> settings;        // /api/v1/me/settings (api_settings.cpp)
  std::shared_ptr<Orgs> orgs;                // /api/v1/orgs (api_orgs.cpp, org20)
  std::shared_ptr<PortRelay> relay;          // /api/v1/workspaces/{id}/ports, /previews
  std::shared_ptr<LanguageServers> language_servers;  // /api/v1/workspaces/{id}/lsp
  std::shared_ptr<FileSearch> search;                 // GET /api/v1/workspaces/{id}/search
  PackageCaps package_caps;  // POST /api/v1/admin/problems/import (problems.max_package_*)
  std::shared_ptr<Archives> archives;    // GET .../archive, archive download links
  std::shared_ptr<Downloads> downloads;  // signed download links (files.download_ttl_s)
  std::string web_dir;  // config.web_dir as given: the browser UI's files (see api_static.cpp)
  // run17: the IDE's Run (/api/v1/workspaces/{id}/run).
  std::shared_ptr<RunSessions> run_sessions;
  // ide3: terminal.max_per_workspace, for the IDE's terminal tabs (GET /me/settings "limits").
  int terminal_max_per_workspace = 4;
  // usage20: GET /api/v1/orgs/{id}/usage, /users/me/usage; the codeyard_org_* metrics.
  std::shared_ptr<Usage> usage;
  // admin20: /api/v1/admin/... (api_admin.cpp).
  std::shared_ptr<Admin> admin;
};

// Opens the library's services from the configuration (codeyard::OptionsFrom,
// ServiceOptionsFrom: a bare "local:" executor keeps its pods under <data_dir>/pods) and adds
// the server's metrics over them; the Runner's warm pool (config.pool_size pods) starts filling
// in the background. `secret` is the access-token key from ResolveSecret. Errors carry the
// failing part in their context.
[[nodiscard]] Result<std::unique_ptr<Services>> OpenServices(const Config& config,
                                                             std::string secret,
                                                             const std::shared_ptr<Logger>& logger);

// The server's last step before it exits, after the HTTP server has drained: every workspace
// whose lease this replica holds gets a final sync and its lease is ended at once, its pod and
// shells left running (Workspaces::HandOff), so the next request on any replica (or on this
// server started again) takes it over with its terminals; each is logged, then one summary
// line. A workspace reached after `timeout`, or whose sync fails, keeps its lease until it
// expires (the next holder syncs it). Pods with no holder end after
// workspace.pod_orphan_timeout_s. Returns false, without waiting further, when a sync under way
// still runs `grace` past the deadline (a stuck pod): the caller then exits at once instead of
// destroying services in use.
[[nodiscard]] bool HandOffWorkspacesForShutdown(Services& services, std::chrono::seconds timeout,
                                                std::chrono::seconds grace, Logger& logger);

}  // namespace codeyard::server
