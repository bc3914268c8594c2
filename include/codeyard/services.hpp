// The one place that assembles the library. `Services::Open(Options, ServiceOptions)` opens
// the Platform (storage and executor, from the Options' registry) and builds every service over
// it: Accounts, Files, Workspaces (its idle reaper running), Terminals, Events (its tail
// running), Reviews, the one-shot Runner (its warm pool filling in the background), Problems, Jobs,
// the durable queue every one-shot run goes through (its workers running, the "grade" kind
// registered), Submissions, gradings queued as jobs, and the IDE's services: Settings (per user),
// FileSearch, Archives and Downloads (signed links) over Files, RunSessions (the interactive
// Run), the PortRelay (previews, its tickets signed with a key derived from accounts.secret) and
// LanguageServers, and Orgs (organizations, members, quotas). The server, the CLI, the harness and
// the Python module all start here, so they get the same graph with the same rules; an embedding
// application does too. `ServiceOptionsFrom(config)` reads every service's configuration keys.
//
// Ownership is shared: each service holds what it uses (Workspaces the Platform and executor,
// Terminals the Accounts and Workspaces, ...), so a caller may keep any one of them past the
// Services object and no destruction order leaves one pointing at a destroyed Platform. Each
// service stops its own background work when its last holder lets go; held only here, they go
// in reverse order of opening: language servers and interactive runs first, the job workers (after
// the jobs they run), terminals (their shells are let go, not ended, since they live in the pods),
// then the events tail, the runner's pool, the reaper.
//
// Threading: Open blocks (it migrates storage and may start pods); every accessor and every
// service is safe to use from many threads at once.
#pragma once

#include <memory>

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
#include "codeyard/orgs.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/port_relay.hpp"
#include "codeyard/problem_store.hpp"
#include "codeyard/reviews.hpp"
#include "codeyard/run.hpp"
#include "codeyard/run_session.hpp"
#include "codeyard/search.hpp"
#include "codeyard/settings.hpp"
#include "codeyard/submissions.hpp"
#include "codeyard/terminals.hpp"
#include "codeyard/usage.hpp"
#include "codeyard/workspaces.hpp"

namespace codeyard {

struct ServiceOptions {
  AccountsOptions accounts;  // accounts.secret must be set (see ResolveSecret)
  WorkspaceOptions workspaces;
  RunnerOptions runner;  // a null logger gets the Platform's
  TerminalOptions terminals;
  EventsOptions events;
  ReviewsOptions reviews;
  JobsOptions jobs;  // an empty replica_id gets the workspaces' one
  SearchLimits search;
  DownloadOptions downloads;
  RunSessionOptions run_sessions;
  // relay.secret is not read: Open sets it to accounts.secret (the relay derives its own key
  // from it), so previews are signed by the same secret as the access tokens on every replica.
  PortRelayOptions relay;
  UsageOptions usage;  // usage20
  // Background work: the idle reaper (every IdleReaperPeriod(workspaces)), the events tail and
  // the job workers.
  // Off for tools that only run code once (the CLI's run); their services still answer calls,
  // but idle workspaces are not stopped and subscribers get nothing.
  bool start_background = true;
  // admin20: administration (codeyard/admin.hpp); an empty replica_id gets the workspaces' one.
  AdminOptions admin;
};

// Every service's configuration keys (see docs/configuration.md); accounts.secret stays empty.
[[nodiscard]] ServiceOptions ServiceOptionsFrom(const Config& config);

class Services {
 public:
  // Opens the Platform from `options`, then the services. Errors carry the failing part in
  // their context ("cannot open executor local:?...", "cannot start the runner"); the Options
  // must name an executor (kInvalidArgument otherwise).
  [[nodiscard]] static Result<std::shared_ptr<Services>> Open(const Options& options,
                                                              ServiceOptions service_options);
  // Opens what a configuration names, as the server does: storage and executor from
  // OptionsFrom(config) (by default SQLite and local sandboxes under config.data_dir), every
  // service's keys from ServiceOptionsFrom(config), and the token secret from
  // ResolveSecret(config) (`secret`; with dev_mode, one generated once into <data_dir>/secret). A
  // null `logger` drops every log line.
  [[nodiscard]] static Result<std::shared_ptr<Services>> Open(const Config& config,
                                                              std::shared_ptr<Logger> logger = {});
  // Builds the services over a Platform already open (it must have an executor).
  [[nodiscard]] static Result<std::shared_ptr<Services>> Open(std::shared_ptr<Platform> platform,
                                                              ServiceOptions service_options);

  Services(const Services&) = delete;
  Services& operator=(const Services&) = delete;
  ~Services();

  [[nodiscard]] Platform& platform() const { return *platform_; }
  [[nodiscard]] Executor& executor() const { return *platform_->executor(); }
  [[nodiscard]] Accounts& accounts() const { return *accounts_; }
  [[nodiscard]] Files& files() const { return *files_; }
  [[nodiscard]] Workspaces& workspaces() const { return *workspaces_; }
  [[nodiscard]] Terminals& terminals() const { return *terminals_; }
  [[nodiscard]] Events& events() const { return *events_; }
  [[nodiscard]] Runner& runner() const { return *runner_; }
  [[nodiscard]] Reviews& reviews() const { return *reviews_; }
  [[nodiscard]] Jobs& jobs() const { return *jobs_; }
  [[nodiscard]] Problems& problems() const { return *problems_; }
  [[nodiscard]] Submissions& submissions() const { return *submissions_; }
  [[nodiscard]] Settings& settings() const { return *settings_; }
  [[nodiscard]] FileSearch& file_search() const { return *file_search_; }
  [[nodiscard]] Archives& archives() const { return *archives_; }
  [[nodiscard]] Downloads& downloads() const { return *downloads_; }
  [[nodiscard]] RunSessions& run_sessions() const { return *run_sessions_; }
  [[nodiscard]] PortRelay& port_relay() const { return *port_relay_; }
  [[nodiscard]] LanguageServers& language_servers() const { return *language_servers_; }
  // Organizations, membership, quotas (org20).
  [[nodiscard]] Orgs& orgs() const { return *orgs_; }
  [[nodiscard]] Usage& usage() const { return *usage_; }  // usage20
  [[nodiscard]] Admin& admin() const { return *admin_; }  // admin20

  // The same services, for a caller that keeps one beyond this object.
  [[nodiscard]] const std::shared_ptr<Platform>& shared_platform() const { return platform_; }
  [[nodiscard]] const std::shared_ptr<Accounts>& shared_accounts() const { return accounts_; }
  [[nodiscard]] const std::shared_ptr<Files>& shared_files() const { return files_; }
  [[nodiscard]] const std::shared_ptr<Workspaces>& shared_workspaces() const { return workspaces_; }
  [[nodiscard]] const std::shared_ptr<Terminals>& shared_terminals() const { return terminals_; }
  [[nodiscard]] const std::shared_ptr<Events>& shared_events() const { return events_; }
  [[nodiscard]] const std::shared_ptr<Runner>& shared_runner() const { return runner_; }
  [[nodiscard]] const std::shared_ptr<Reviews>& shared_reviews() const { return reviews_; }
  [[nodiscard]] const std::shared_ptr<Jobs>& shared_jobs() const { return jobs_; }
  [[nodiscard]] const std::shared_ptr<Problems>& shared_problems() const { return problems_; }
  [[nodiscard]] const std::shared_ptr<Submissions>& shared_submissions() const {
    return submissions_;
  }
  [[nodiscard]] const std::shared_ptr<Settings>& shared_settings() const { return settings_; }
  [[nodiscard]] const std::shared_ptr<FileSearch>& shared_file_search() const {
    return file_search_;
  }
  [[nodiscard]] const std::shared_ptr<Archives>& shared_archives() const { return archives_; }
  [[nodiscard]] const std::shared_ptr<Downloads>& shared_downloads() const { return downloads_; }
  [[nodiscard]] const std::shared_ptr<RunSessions>& shared_run_sessions() const {
    return run_sessions_;
  }
  [[nodiscard]] const std::shared_ptr<PortRelay>& shared_port_relay() const { return port_relay_; }
  [[nodiscard]] const std::shared_ptr<LanguageServers>& shared_language_servers() const {
    return language_servers_;
  }
  // Organizations (org20).
  [[nodiscard]] const std::shared_ptr<Orgs>& shared_orgs() const { return orgs_; }
  [[nodiscard]] const std::shared_ptr<Usage>& shared_usage() const { return usage_; }  // usage20
  [[nodiscard]] const std::shared_ptr<Admin>& shared_admin() const { return admin_; }  // admin20

 private:
  Services() = default;

  std::shared_ptr<Platform> platform_;
  std::shared_ptr<Accounts> accounts_;
  std::shared_ptr<Files> files_;
  std::shared_ptr<Workspaces> workspaces_;
  std::shared_ptr<Runner> runner_;
  std::shared_ptr<Events> events_;
  std::shared_ptr<Terminals> terminals_;
  std::shared_ptr<Reviews> reviews_;
  std::shared_ptr<Problems> problems_;
  std::shared_ptr<Jobs> jobs_;                // its workers stop first, before the runner they use
  std::shared_ptr<Submissions> submissions_;  // holds jobs_ and problems_
  std::shared_ptr<Settings> settings_;
  std::shared_ptr<FileSearch> file_search_;
  std::shared_ptr<Archives> archives_;         // holds files_
  std::shared_ptr<Downloads> downloads_;       // holds files_
  std::shared_ptr<RunSessions> run_sessions_;  // holds accounts_ and workspaces_; its runs stop
  std::shared_ptr<PortRelay> port_relay_;      // holds workspaces_
  std::shared_ptr<LanguageServers> language_servers_;  // holds workspaces_; its servers stop
  std::shared_ptr<Orgs> orgs_;                         // organizations (org20)
  std::shared_ptr<Usage> usage_;                       // usage20: holds platform_
  std::shared_ptr<Admin> admin_;  // admin20: first to stop (its heartbeat and sweep threads)
};

}  // namespace codeyard
