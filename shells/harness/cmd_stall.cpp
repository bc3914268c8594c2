// `codeyard-bench stall [--server PATH] [--execs N] [--sleep S] [--samples N] [--json]`.
#include <boost/json.hpp>
#include <cstdio>
#include <memory>

#include "bench_stall.hpp"
#include "bench_util.hpp"
#include "commands.hpp"

namespace codeyard::bench {
namespace {

double Ratio(int64_t a, int64_t b) {
  return b > 0 ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
}

}  // namespace

void AddStallCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "stall", "a second user's latency while a first user saturates exec, against idle");
  auto o = std::make_shared<StallBenchOptions>();
  cmd->add_option("--server", o->server_binary,
                  "codeyard-server binary (default: beside this program)");
  cmd->add_option("--execs", o->execs, "long execs the first user keeps running")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_option("--sleep", o->sleep_s, "seconds each exec runs")
      ->check(CLI::Range(2, 20))
      ->capture_default_str();
  cmd->add_option("--samples", o->samples, "requests of each kind per phase")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "print one JSON object instead of a table");
  cmd->callback([o] {
    StallBenchReport r;
    try {
      r = RunStallBench(*o);
    } catch (const std::exception& e) {
      throw BenchFailed(kExitFailed, e.what());
    }
    if (o->json) {
      boost::json::array kinds;
      for (const StallKind& k : r.kinds) {
        kinds.push_back({{"name", k.name},
                         {"idle_p50_ms", Ms(k.idle.p50_ns)},
                         {"loaded_p50_ms", Ms(k.loaded.p50_ns)},
                         {"ratio_p50", Ratio(k.loaded.p50_ns, k.idle.p50_ns)},
                         {"idle_p95_ms", Ms(k.idle.p95_ns)},
                         {"loaded_p95_ms", Ms(k.loaded.p95_ns)},
                         {"ratio_p95", Ratio(k.loaded.p95_ns, k.idle.p95_ns)}});
      }
      boost::json::object j{{"execs", o->execs},
                            {"sleep_s", o->sleep_s},
                            {"samples", o->samples},
                            {"execs_ok", r.execs_ok},
                            {"execs_refused", r.execs_refused},
                            {"execs_other", r.execs_other},
                            {"running_at_start", r.running_at_start},
                            {"running_at_end", r.running_at_end},
                            {"kinds", std::move(kinds)}};
      std::printf("%s\n", boost::json::serialize(j).c_str());
      return;
    }
    std::printf(
        "codeyard-bench stall: %d execs of %d s by one user, %d samples per kind, load %.2f -> "
        "%.2f\n",
        o->execs, o->sleep_s, o->samples, r.load_before, r.load_after);
    std::printf("execs: %d ok, %d refused (429/503), %d other; running at start %d, at end %d\n",
                r.execs_ok, r.execs_refused, r.execs_other, r.running_at_start, r.running_at_end);
    std::printf("%-44s %9s %9s %8s %9s %9s %8s\n", "second user's request", "idle p50", "busy p50",
                "p50 x", "idle p95", "busy p95", "p95 x");
    for (const StallKind& k : r.kinds) {
      std::printf("%-44s %9.2f %9.2f %7.2fx %9.2f %9.2f %7.2fx\n", k.name.c_str(),
                  Ms(k.idle.p50_ns), Ms(k.loaded.p50_ns), Ratio(k.loaded.p50_ns, k.idle.p50_ns),
                  Ms(k.idle.p95_ns), Ms(k.loaded.p95_ns), Ratio(k.loaded.p95_ns, k.idle.p95_ns));
    }
  });
}

}  // namespace codeyard::bench
