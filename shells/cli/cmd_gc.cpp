// `codeyard gc [--executor URI]`: one pass of the library's own sweepers, as a cron job
// would run it, saying what each removed: workspace pods nobody holds (a dead replica's, or
// idle past workspace.idle_timeout with an expired lease; Workspaces::StopIdle, which stores
// their files first), refresh tokens past expiry (Accounts::DeleteExpiredTokens), rate-limit
// rows whose window is over (RateLimiter::DeleteExpired) and content blobs nothing references
// (Reviews::CollectBlobs, which the idle sweep calls too), and what the executor keeps for
// workspaces and jobs that are gone (SweepExecutorOrphans: the k8s: home volumes and pods of
// deleted workspaces, pods whose orphan lease passed, one-shot pods that ended). Safe beside
// running servers: a live lease is never touched.
#include <boost/json.hpp>
#include <cstdio>
#include <iostream>
#include <memory>

#include "codeyard/limits.hpp"
#include "codeyard/orphan_sweep.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/services.hpp"
#include "commands.hpp"

namespace codeyard::cli {
namespace {

struct GcFlags {
  std::string executor_uri;
  bool json = false;
};

void Gc(const GcFlags& flags, const CommonOptions& common) {
  const Config config = common.Load();
  (void)OpenStorage(config);  // creates the data directory and migrates, as the server would
  Options options;
  options.storage_uri = config.EffectiveStorageUri();
  options.executor_uri = flags.executor_uri.empty() ? config.executor_uri : flags.executor_uri;
  options.logger = std::make_shared<Logger>(std::max(config.log_level, LogLevel::kWarn));
  ServiceOptions service_options = ServiceOptionsFrom(config);
  service_options.runner.pool_size = 0;
  service_options.start_background = false;  // one pass here, no reaper thread
  auto services = Services::Open(options, std::move(service_options));
  if (!services) Raise(services.error());
  Services& s = **services;

  auto pods = s.workspaces().StopIdle();
  if (!pods) Raise(pods.error().WithContext("gc: pods"));
  auto tokens = s.accounts().DeleteExpiredTokens();
  if (!tokens) Raise(tokens.error().WithContext("gc: tokens"));
  auto limits = RateLimiter(s.platform().storage(), s.platform().clock()).DeleteExpired();
  if (!limits) Raise(limits.error().WithContext("gc: rate limits"));
  auto blobs = s.reviews().CollectBlobs();
  if (!blobs) Raise(blobs.error().WithContext("gc: blobs"));
  auto orphans = SweepExecutorOrphans(s.platform());
  if (!orphans) Raise(orphans.error().WithContext("gc: executor orphans"));
  const auto volumes = static_cast<int64_t>(orphans->volume_workspaces.size());
  const auto orphan_pods =
      static_cast<int64_t>(orphans->workspace_pods.size()) + orphans->backend_pods;

  if (flags.json) {
    boost::json::object o;
    o["pods"] = static_cast<int64_t>(*pods);
    o["expired_tokens"] = *tokens;
    o["rate_limit_rows"] = *limits;
    o["blobs"] = *blobs;
    o["orphan_volumes"] = volumes;
    o["orphan_pods"] = orphan_pods;
    std::cout << boost::json::serialize(o) << "\n";
    return;
  }
  std::printf("pods: %d idle or orphaned workspace pods stopped\n", *pods);
  std::printf("tokens: %lld expired refresh tokens deleted\n", static_cast<long long>(*tokens));
  std::printf("rate limits: %lld finished windows deleted\n", static_cast<long long>(*limits));
  std::printf("blobs: %lld unreferenced content blobs deleted\n", static_cast<long long>(*blobs));
  std::printf("volumes: %lld home volumes of deleted workspaces deleted\n",
              static_cast<long long>(volumes));
  std::printf("executor pods: %lld pods of deleted workspaces, past their lease or ended deleted\n",
              static_cast<long long>(orphan_pods));
}

}  // namespace

void AddGcCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "gc", "remove orphaned pods, expired tokens and unreferenced blobs (one sweep)");
  cmd->footer("Examples:\n  codeyard gc --data /var/lib/cy --json");
  auto flags = std::make_shared<GcFlags>();
  auto common = std::make_shared<CommonOptions>();
  common->AddTo(*cmd);
  cmd->add_option("--executor", flags->executor_uri, "executor URI (default: executor.uri)");
  cmd->add_flag("--json", flags->json, "print the counts as JSON");
  cmd->callback([flags, common] { Gc(*flags, *common); });
}

}  // namespace codeyard::cli
