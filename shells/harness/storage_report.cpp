// Printing the storage benchmark: a table for people, one JSON object for scripts. Ratios
// are codeyard / baseline for the same operations (> 1: our layer costs more): of the total
// time of the phase, and of the median latency.
#include <cstdio>
#include <string>

#include "bench_storage.hpp"
#include "core/json_text.hpp"

namespace codeyard::bench {
namespace {

double Micros(int64_t ns) { return static_cast<double>(ns) / 1e3; }

double Ratio(int64_t ours, int64_t raw) {
  return raw > 0 ? static_cast<double>(ours) / static_cast<double>(raw) : 0.0;
}

// Total time: what throughput costs, tails included.
double TimeRatio(const PhaseReport& p) { return Ratio(p.codeyard.total_ns, p.baseline.total_ns); }
// Median latency: the typical operation; steadier than the total on a busy machine.
double P50Ratio(const PhaseReport& p) { return Ratio(p.codeyard.p50_ns, p.baseline.p50_ns); }

// A JSON number with `decimals` digits after the point.
std::string Number(double value, int decimals) {
  char buf[64];
  (void)std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

void AppendSummary(std::string& out, const Summary& s) {
  out += "{\"ops\":" + std::to_string(s.ops);
  out += ",\"total_s\":" + Number(static_cast<double>(s.total_ns) / 1e9, 6);
  out += ",\"ops_per_s\":" + Number(s.OpsPerSecond(), 1);
  out += ",\"p50_us\":" + Number(Micros(s.p50_ns), 1);
  out += ",\"p95_us\":" + Number(Micros(s.p95_ns), 1);
  out += "}";
}

}  // namespace

void PrintStorageTable(const StorageBenchOptions& options, const MachineLoad& load,
                       const std::vector<RunReport>& runs) {
  (void)std::printf("machine: %u cores, load average %.2f before, %.2f after\n\n", load.cores,
                    load.before, load.after);
  for (const RunReport& run : runs) {
    (void)std::printf("storage: %s %s at %s\n", run.backend.c_str(), run.server_version.c_str(),
                      run.location.c_str());
    (void)std::printf("  %d items of %zu bytes, one transaction per operation\n", options.items,
                      options.size);
    (void)std::printf("  baseline: %s\n", run.baseline.c_str());
    (void)std::printf("  pinned to one CPU: %s\n\n", run.pinning.c_str());
    (void)std::printf(
        "  phase      ops |  codeyard ops/s  p50 µs  p95 µs |  baseline ops/s  p50 µs"
        "  p95 µs | ratio: time   p50\n");
    for (const PhaseReport& p : run.phases) {
      (void)std::printf(
          "  %-6s %6lld | %15.0f %7.1f %7.1f | %15.0f %7.1f %7.1f | %11.2f %5.2f\n", p.name.c_str(),
          static_cast<long long>(p.codeyard.ops), p.codeyard.OpsPerSecond(),
          Micros(p.codeyard.p50_ns), Micros(p.codeyard.p95_ns), p.baseline.OpsPerSecond(),
          Micros(p.baseline.p50_ns), Micros(p.baseline.p95_ns), TimeRatio(p), P50Ratio(p));
    }
    (void)std::printf("\n");
  }
}

void PrintStorageJson(const StorageBenchOptions& options, const MachineLoad& load,
                      const std::vector<RunReport>& runs) {
  std::string out = "{\"benchmark\":\"storage\",\"items\":" + std::to_string(options.items);
  out += ",\"size\":" + std::to_string(options.size);
  out += ",\"machine\":{\"cores\":" + std::to_string(load.cores);
  out += ",\"load_before\":" + Number(load.before, 2);
  out += ",\"load_after\":" + Number(load.after, 2) + "}";
  out += ",\"runs\":[";
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const RunReport& run = runs[r];
    if (r > 0) out += ',';
    out += "{\"backend\":";
    AppendJsonString(out, run.backend);
    out += ",\"server_version\":";
    AppendJsonString(out, run.server_version);
    out += ",\"location\":";
    AppendJsonString(out, run.location);
    out += ",\"baseline\":";
    AppendJsonString(out, run.baseline);
    out += ",\"pinning\":";
    AppendJsonString(out, run.pinning);
    out += ",\"phases\":[";
    for (std::size_t i = 0; i < run.phases.size(); ++i) {
      const PhaseReport& p = run.phases[i];
      if (i > 0) out += ',';
      out += "{\"name\":";
      AppendJsonString(out, p.name);
      out += ",\"codeyard\":";
      AppendSummary(out, p.codeyard);
      out += ",\"baseline\":";
      AppendSummary(out, p.baseline);
      out += ",\"time_ratio\":" + Number(TimeRatio(p), 3);
      out += ",\"p50_ratio\":" + Number(P50Ratio(p), 3) + "}";
    }
    out += "]}";
  }
  out += "]}\n";
  (void)std::fputs(out.c_str(), stdout);
}

}  // namespace codeyard::bench
