// `codeyard-bench storage [--storage URI]... [--items N] [--size BYTES] [--json]`.
#include <cstdio>
#include <memory>

#include "bench_storage.hpp"
#include "codeyard/backend/registry.hpp"
#include "commands.hpp"

namespace codeyard::bench {

void AddStorageCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "storage", "time the storage layer (repositories) against the raw database driver");
  auto options = std::make_shared<StorageBenchOptions>();
  cmd->add_option("--storage", options->storage_uris,
                  "storage to measure, repeatable: sqlite (a fresh file in a temp dir, the "
                  "default), sqlite:///path.db, or postgres://... (a throwaway schema is made "
                  "and dropped)");
  cmd->add_option("--items", options->items, "file items per phase")
      ->check(CLI::Range(1, 10'000'000))
      ->capture_default_str();
  cmd->add_option("--size", options->size, "bytes of content per item")
      ->check(CLI::Range(0, 64 << 20))
      ->capture_default_str();
  cmd->add_flag("--json", options->json, "print one JSON object instead of a table");
  cmd->add_flag("--pin,!--no-pin", options->pin,
                "pin the bench, and a local PostgreSQL's two backends, to one CPU (default on; "
                "without it the scheduler's placement can skew PostgreSQL ratios 3x)");
  cmd->callback([options] {
    std::vector<std::string> uris = options->storage_uris;
    if (uris.empty()) uris.emplace_back();  // the default: a temp SQLite file
    std::vector<RunReport> runs;
    MachineLoad load;
    load.before = MachineLoad::Now();
    for (const std::string& uri : uris) {
      auto run = RunStorageBench(uri, *options);
      if (!run) {
        const Error& e = run.error();
        throw BenchFailed(
            e.code() == Error::Code::kInvalidArgument ? kExitBadInput : kExitFailed,
            (uri.empty() ? std::string("temp sqlite") : RedactUri(uri)) + ": " + e.ToString());
      }
      runs.push_back(std::move(*run));
    }
    load.after = MachineLoad::Now();
    if (load.Busy()) {
      (void)std::fprintf(stderr,
                         "codeyard-bench: warning: the machine was busy (load %.2f / %.2f on %u "
                         "cores); ratios may be skewed, run again when it is quiet\n",
                         load.before, load.after, load.cores);
    }
    if (options->json) {
      PrintStorageJson(*options, load, runs);
    } else {
      PrintStorageTable(*options, load, runs);
    }
  });
}

}  // namespace codeyard::bench
