// `codeyard-bench sync [--storage URI] [--files N] [--file-bytes N] [--rounds N] [--passes N]
// [--json]`.
#include <boost/json.hpp>
#include <cstdio>
#include <memory>

#include "bench_sync.hpp"
#include "bench_util.hpp"
#include "commands.hpp"

namespace codeyard::bench {
namespace {

boost::json::object Row(const Paired& p) {
  const Summary s = p.subject.Summarize();
  const Summary b = p.baseline.Summarize();
  boost::json::object o;
  o["p50_ms"] = Ms(s.p50_ns);
  o["p95_ms"] = Ms(s.p95_ns);
  o["host_p50_ms"] = Ms(b.p50_ns);
  o["ratio_p50"] = b.p50_ns > 0 ? static_cast<double>(s.p50_ns) / static_cast<double>(b.p50_ns) : 0;
  return o;
}

void PrintRow(const char* name, const Paired& p, uint64_t bytes_read, bool show_bytes) {
  const Summary s = p.subject.Summarize();
  const Summary b = p.baseline.Summarize();
  std::printf("%-28s %9.2f %9.2f %10.2f %8.2fx", name, Ms(s.p50_ns), Ms(s.p95_ns), Ms(b.p50_ns),
              b.p50_ns > 0 ? static_cast<double>(s.p50_ns) / static_cast<double>(b.p50_ns) : 0.0);
  if (show_bytes)
    std::printf("   read from pod: %llu B", static_cast<unsigned long long>(bytes_read));
  std::printf("\n");
}

}  // namespace

void AddSyncCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("sync", "time workspace start and sync passes (1,000 files)");
  auto options = std::make_shared<SyncBenchOptions>();
  cmd->add_option("--storage", options->storage_uri, "storage URI (default: a temp SQLite file)");
  cmd->add_option("--files", options->files, "files in the workspace")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--file-bytes", options->file_bytes, "bytes per file")
      ->check(CLI::Range(0, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--rounds", options->rounds, "workspace starts")->check(CLI::Range(1, 100));
  cmd->add_option("--passes", options->passes, "sync passes of each kind per start")
      ->check(CLI::Range(1, 1000));
  cmd->add_flag("--json", options->json, "print one JSON object instead of a table");
  cmd->callback([options] {
    SyncBenchReport r;
    try {
      r = RunSyncBench(*options);
    } catch (const std::exception& e) {
      throw BenchFailed(kExitFailed, e.what());
    }
    if (options->json) {
      boost::json::object o;
      o["files"] = options->files;
      o["total_bytes"] = r.total_bytes;
      o["start"] = Row(r.start);
      o["no_change"] = Row(r.no_change);
      o["one_file"] = Row(r.one_file);
      o["no_change_bytes_read"] = r.no_change_bytes_read;
      o["one_file_bytes_read"] = r.one_file_bytes_read;
      std::printf("%s\n", boost::json::serialize(o).c_str());
      return;
    }
    std::printf("codeyard-bench sync: %d files, %llu bytes, %d rounds x %d passes\n",
                options->files, static_cast<unsigned long long>(r.total_bytes), options->rounds,
                options->passes);
    std::printf("%-28s %9s %9s %10s %9s\n", "(ms)", "p50", "p95", "host p50", "ratio");
    PrintRow("first start (storage->pod)", r.start, 0, false);
    PrintRow("sync, nothing changed", r.no_change, r.no_change_bytes_read, true);
    PrintRow("sync, one file changed", r.one_file, r.one_file_bytes_read, true);
  });
}

}  // namespace codeyard::bench
