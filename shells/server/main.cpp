// `codeyard-server`: the HTTP shell over the library. Reads flags and configuration, opens the
// Platform, serves the API until SIGINT or SIGTERM, then drains and exits 0. Exit codes: 1 when
// it cannot run (port taken, storage down, data dir not creatable, the server failing), 2 for
// bad flags or configuration (a missing or weak secret outside dev mode among them). Startup
// failures are one plain line on stderr; everything else there is JSON log records.
// `--print-routes` prints every routed "METHOD pattern" and exits 0 without opening anything.
#include <pthread.h>
#include <sys/resource.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "api.hpp"
#include "codeyard/accounts.hpp"
#include "codeyard/backend/registry.hpp"
#include "codeyard/config.hpp"
#include "codeyard/platform.hpp"
#include "http_server.hpp"
#include "route_options.hpp"
#include "router.hpp"
#include "server_metrics.hpp"
#include "services.hpp"

namespace codeyard::server {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitBadInput = 2;
// How long past server.shutdown_sync_timeout_s a sync pass already under way may run.
constexpr std::chrono::seconds kLastSyncGrace{10};

struct Flags {
  std::string config_file;
  std::vector<std::string> sets;
  std::string listen;
  std::string data_dir;
  std::string storage;
  std::string executor;
  bool dev = false;
  bool print_routes = false;
};

int Fatal(int exit_code, std::string_view message) {
  (void)std::fprintf(stderr, "codeyard-server: %.*s\n", static_cast<int>(message.size()),
                     message.data());
  return exit_code;
}

int ExitCodeFor(const Error& error) {
  return error.code() == Error::Code::kInvalidArgument ? kExitBadInput : kExitFailed;
}

// Dedicated flags are shorthands for keys and win over --set.
Result<Config> LoadServerConfig(const Flags& flags) {
  ConfigInputs inputs;
  inputs.file = flags.config_file;
  inputs.env = ProcessEnvironment();
  for (const std::string& s : flags.sets) {
    auto kv = SplitAssignment(s);
    if (!kv) return Fail(kv.error().WithContext("--set"));
    inputs.flags.push_back(std::move(*kv));
  }
  if (!flags.listen.empty()) inputs.flags.emplace_back("server.listen", flags.listen);
  if (!flags.data_dir.empty()) inputs.flags.emplace_back("data_dir", flags.data_dir);
  if (!flags.storage.empty()) inputs.flags.emplace_back("storage.uri", flags.storage);
  if (!flags.executor.empty()) inputs.flags.emplace_back("executor.uri", flags.executor);
  if (flags.dev) inputs.flags.emplace_back("dev_mode", "true");
  auto config = LoadConfig(inputs);
  if (!config) return config;
  // Absolute from here on: the pod state dir and the SQLite path are derived from it, and the
  // local executor refuses a relative state dir.
  std::error_code ec;
  const std::filesystem::path absolute = std::filesystem::absolute(config->data_dir, ec);
  if (ec) {
    return Fail(Error::Code::kInvalidArgument,
                "data_dir " + config->data_dir + ": " + ec.message());
  }
  config->data_dir = absolute.lexically_normal().string();
  return config;
}

Result<void> EnsureDataDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (!ec && !std::filesystem::is_directory(dir, ec)) {
    ec = std::make_error_code(std::errc::not_a_directory);
  }
  if (ec) {
    return Fail(Error::Code::kFailedPrecondition,
                "cannot create data directory " + dir + ": " + ec.message());
  }
  return {};
}

// Waits for SIGINT or SIGTERM (blocked in every thread, so only this wait sees them) and
// returns it, or 0 if the server stopped serving on its own.
int WaitForShutdown(const sigset_t& signals, const HttpServer& server) {
  const timespec tick{0, 250'000'000};
  while (server.serving()) {
    const int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig > 0) return sig;
  }
  return 0;
}

// Registers the routes over services that open nothing and prints them.
int PrintRoutes() {
  Services none;
  Router router;
  for (const AddRoutes add : kRouteGroups) add(router, none);
  if (auto options = ApplyRouteOptions(router); !options) {
    return Fatal(kExitFailed, options.error().message());
  }
  for (const auto& [method, pattern] : router.Routes()) {
    const std::string_view name = MethodName(method);
    (void)std::printf("%.*s %s\n", static_cast<int>(name.size()), name.data(), pattern.c_str());
  }
  return kExitOk;
}

// Client connections need descriptors: the soft limit goes up to the hard one, so that
// server.max_connections (held below it with a reserve) can be reached.
void RaiseDescriptorLimit(Logger& logger) {
  rlimit fds{};
  if (::getrlimit(RLIMIT_NOFILE, &fds) != 0 || fds.rlim_cur >= fds.rlim_max) return;
  const rlim_t was = fds.rlim_cur;
  fds.rlim_cur = fds.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &fds) != 0) {
    logger.Warn("cannot raise the descriptor limit", {{"soft", static_cast<int64_t>(was)}});
  }
}

double UnixSecondsNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

int Run(int argc, char** argv) {
  const double start_unix_s = UnixSecondsNow();
  // Before any thread exists, so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  (void)std::signal(SIGPIPE, SIG_IGN);

  CLI::App app{"codeyard-server: the Codeyard HTTP API and terminal server"};
  app.footer(
      "Examples:\n"
      "  codeyard-server --dev --data ./data\n"
      "  CODEYARD_SECRET=... codeyard-server --listen 0.0.0.0:8080 --storage postgres://cy@db/cy\n"
      "  codeyard serve --config /etc/codeyard.json   (the same, through the codeyard CLI)\n"
      "Every key: codeyard config --keys; docs/configuration.md.");
  Flags flags;
  app.add_option("--config", flags.config_file, "JSON configuration file")
      ->check(CLI::ExistingFile);
  app.add_option("--set", flags.sets, "override a configuration key: --set key=value");
  app.add_option("--listen", flags.listen, "address to listen on, host:port (server.listen)");
  app.add_option("--data,--data-dir", flags.data_dir,
                 "data directory, created if missing (data_dir)");
  app.add_option("--storage", flags.storage, "storage URI (storage.uri)");
  app.add_option("--executor", flags.executor, "executor URI (executor.uri)");
  app.add_flag("--dev", flags.dev, "development mode (dev_mode=true)");
  app.add_flag("--print-routes", flags.print_routes,
               "print every route as METHOD PATTERN and exit (opens nothing)");
  app.set_version_flag("--version", codeyard::Version());
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitBadInput;
  }
  if (flags.print_routes) return PrintRoutes();

  auto config = LoadServerConfig(flags);
  if (!config) return Fatal(kExitBadInput, config.error().message());
  auto logger = std::make_shared<Logger>(config->log_level);
  for (const std::string& w : config->warnings) logger->Warn("config", {{"detail", w}});

  // Before anything is created: outside dev mode a server must not run with a guessable
  // token-signing key. In dev mode this generates <data_dir>/secret on first start.
  auto secret = ResolveSecret(*config);
  if (!secret) {
    const bool bad_config = secret.error().code() == Error::Code::kFailedPrecondition;
    return Fatal(bad_config ? kExitBadInput : kExitFailed, secret.error().message());
  }

  if (auto dir = EnsureDataDir(config->data_dir); !dir) {
    return Fatal(kExitFailed, dir.error().message());
  }

  const std::string storage_uri = config->EffectiveStorageUri();
  auto services = OpenServices(*config, std::move(*secret), logger);
  if (!services) {
    return Fatal(ExitCodeFor(services.error()), services.error().message());
  }

  Router router;
  for (const AddRoutes add : kRouteGroups) add(router, **services);
  if (auto options = ApplyRouteOptions(router); !options) {
    return Fatal(kExitFailed, options.error().message());
  }
  RaiseDescriptorLimit(*logger);

  Terminals& terminals = *(*services)->terminals;
  InstallTerminalMetrics(**services, terminals);
  InstallHealthMetrics(**services, config->data_dir);  // mon20: what k8s/monitoring/ alerts on

  HttpServerOptions server_options;
  server_options.host = config->listen_host;
  server_options.port = config->listen_port;
  server_options.max_body_bytes = config->max_body_bytes;
  server_options.max_streamed_body_bytes = config->ports_max_request_body_bytes;
  server_options.idle_timeout_seconds = static_cast<int>(config->http_idle_timeout_s);
  server_options.request_timeout_seconds = static_cast<int>(config->request_timeout_s);
  server_options.header_timeout_seconds = static_cast<int>(config->header_timeout_s);
  server_options.max_inflight_body_bytes = config->max_inflight_body_bytes;
  server_options.worker_threads = static_cast<int>(config->worker_threads);
  server_options.long_work_threads = static_cast<int>(config->max_long_requests);
  server_options.max_connections = static_cast<int>(config->max_connections);
  server_options.max_connections_per_ip = static_cast<int>(config->max_connections_per_ip);
  server_options.route_options = [&router](Method method,
                                           std::string_view path) -> const RouteOptions& {
    return router.Options(method, path);
  };
  server_options.inline_reads =
      config->inline_reads ? InlineReaders((*services)->platform->storage().Info(), storage_uri)
                           : 0;
  server_options.drain_timeout = std::chrono::seconds(config->drain_timeout_s);
  server_options.cors_origins = config->cors_origins;
  server_options.hsts_max_age_seconds = config->hsts_max_age_s;
  server_options.logger = logger;
  server_options.handler = [&router](Request request) { return router.Handle(std::move(request)); };
  server_options.terminals = &terminals;
  server_options.run_sessions = (*services)->run_sessions.get();
  server_options.events = (*services)->events.get();
  server_options.accounts = (*services)->accounts.get();
  server_options.language_servers = (*services)->language_servers.get();
  server_options.port_relay = (*services)->relay.get();
  server_options.events_reauth_interval = std::chrono::seconds(config->terminal_reauth_interval_s);
  server_options.on_request_done =
      InstallServerMetrics(**services, start_unix_s, &server_options.on_connection_refused);
  HttpServer server(std::move(server_options));
  if (auto started = server.Start(); !started) {
    return Fatal(ExitCodeFor(started.error()), started.error().message());
  }
  logger->Info("server listening", {{"host", config->listen_host},
                                    {"port", server.port()},
                                    {"storage", RedactUri(storage_uri)},
                                    {"dev_mode", config->dev_mode}});

  const int sig = WaitForShutdown(signals, server);
  if (sig != 0) {
    logger->Info("shutting down", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
  }
  server.Stop();         // terminals get 1001, requests in flight finish
  terminals.Shutdown();  // then the shells are let go (pod sessions keep running)
  // Programs the IDE runs are stopped (they live in this process).
  (*services)->run_sessions->Shutdown();
  // Requests have drained; each held workspace is synced and its lease ended, pod kept running.
  if (!HandOffWorkspacesForShutdown(**services,
                                    std::chrono::seconds(config->shutdown_sync_timeout_s),
                                    kLastSyncGrace, *logger)) {
    std::_Exit(kExitFailed);  // a sync is stuck in a pod: leave it to the OS (see services.hpp)
  }
  if (sig == 0) {
    logger->Error("server stopped unexpectedly");
    return kExitFailed;
  }
  logger->Info("server stopped");
  return kExitOk;
}

}  // namespace
}  // namespace codeyard::server

int main(int argc, char** argv) { return codeyard::server::Run(argc, argv); }
