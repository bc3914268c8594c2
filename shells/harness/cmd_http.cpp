// `codeyard-bench http [--server PATH] [--wrk PATH] [--threads N] [--connections N]
// [--duration S] [--rounds N] [--file-bytes N] [--json]`.
#include <boost/json.hpp>
#include <cstdio>
#include <memory>

#include "bench_http.hpp"
#include "commands.hpp"

namespace codeyard::bench {
namespace {

double Ratio(double a, double b) { return b > 0 ? a / b : 0.0; }

void Row(const HttpTarget& target, const WrkResult& base) {
  const WrkResult m = target.Median();
  std::printf("%-46s %10.0f %8.2f %8.2f %8.2fx %8.2fx %8.1f %8.2fx\n", target.name.c_str(),
              m.requests_per_s, m.p50_ms, m.p99_ms, Ratio(m.requests_per_s, base.requests_per_s),
              Ratio(m.p99_ms, base.p99_ms), m.cpu_us_per_request,
              Ratio(base.cpu_us_per_request, m.cpu_us_per_request));
}

boost::json::object RowJson(const HttpTarget& target, const WrkResult& base) {
  const WrkResult m = target.Median();
  return {{"name", target.name},
          {"requests_per_s", m.requests_per_s},
          {"p50_ms", m.p50_ms},
          {"p99_ms", m.p99_ms},
          {"ratio_requests_per_s", Ratio(m.requests_per_s, base.requests_per_s)},
          {"ratio_p99", Ratio(m.p99_ms, base.p99_ms)},
          {"cpu_us_per_request", m.cpu_us_per_request},
          {"ratio_cpu", Ratio(base.cpu_us_per_request, m.cpu_us_per_request)}};
}

}  // namespace

void AddHttpCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "http", "wrk against codeyard-server (health, authenticated file read) and bare lws");
  auto o = std::make_shared<HttpBenchOptions>();
  cmd->add_option("--server", o->server_binary,
                  "codeyard-server binary (default: beside this program)");
  cmd->add_option("--wrk", o->wrk, "wrk program")->capture_default_str();
  cmd->add_option("--threads", o->threads, "wrk threads")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--connections", o->connections, "wrk connections")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  cmd->add_option("--duration", o->duration_s, "seconds per wrk run")
      ->check(CLI::Range(1, 600))
      ->capture_default_str();
  cmd->add_option("--rounds", o->rounds, "rounds; each runs every target once")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd->add_option("--file-bytes", o->file_bytes, "size of small.txt")
      ->check(CLI::Range(0, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--server-set", o->server_sets,
                  "configuration for codeyard-server, key=value (repeatable)");
  cmd->add_flag("--json", o->json, "print one JSON object instead of a table");
  cmd->callback([o] {
    if (o->threads > o->connections) {
      throw BenchFailed(kExitBadInput, "--connections must be at least --threads");
    }
    HttpBenchReport r;
    try {
      r = RunHttpBench(*o);
    } catch (const std::exception& e) {
      throw BenchFailed(kExitFailed, e.what());
    }
    const WrkResult base = r.baseline.Median();
    // The file read against the bare server given the same request bytes: our own overhead.
    const WrkResult same = r.baseline_same_headers.Median();
    if (o->json) {
      boost::json::object j{{"threads", o->threads},
                            {"connections", o->connections},
                            {"duration_s", o->duration_s},
                            {"rounds", o->rounds},
                            {"cores", r.cores},
                            {"baseline", RowJson(r.baseline, base)},
                            {"health", RowJson(r.health, base)},
                            {"baseline_same_headers", RowJson(r.baseline_same_headers, base)},
                            {"file", RowJson(r.file, base)},
                            {"file_vs_same_headers", RowJson(r.file, same)}};
      std::printf("%s\n", boost::json::serialize(j).c_str());
      return;
    }
    std::printf(
        "codeyard-bench http: wrk %d threads, %d connections, %d s x %d rounds (medians), "
        "%u cores, load %.2f -> %.2f\n",
        o->threads, o->connections, o->duration_s, o->rounds, r.cores, r.load_before, r.load_after);
    std::printf("%-46s %10s %8s %8s %9s %9s %8s %9s\n", "target", "req/s", "p50 ms", "p99 ms",
                "req/s x", "p99 x", "cpu us", "cpu x");
    Row(r.baseline, base);
    Row(r.health, base);
    Row(r.file, base);
    std::printf("ratios of the file read to the bare server given the same headers:\n");
    Row(r.baseline_same_headers, base);
    Row(r.file, same);
  });
}

}  // namespace codeyard::bench
