// `codeyard-bench http`: the real codeyard-server under wrk, against a bare libwebsockets
// server measured in the same run (bare_lws_server.hpp). The bench starts the server binary
// on a free loopback port with a temporary data directory (warm pool off: nothing here runs
// code), registers a user, creates a workspace with a small file, and then runs wrk in
// rounds, each round hitting in turn the baseline, GET /api/v1/health, and the authenticated
// GET /api/v1/workspaces/{id}/files/small.txt (a wrk Lua script sets the Authorization
// header). The baseline runs twice: with wrk's bare request, and with the same Authorization
// header the file read sends, because libwebsockets (Debian's build logs per header byte)
// spends several microseconds parsing a 300-byte header before any of our code runs; the
// file read's ratio against the second is our own overhead on the same request bytes. Per
// target it reports the median over rounds of req/s and of wrk's p99 latency,
// and the ratios against the baseline, and the server's CPU time per request with its ratio
// (baseline / target: 1.0 = as cheap as bare lws). Any non-2xx answer or socket error fails
// the bench.
#pragma once

#include <string>
#include <vector>

namespace codeyard::bench {

struct HttpBenchOptions {
  std::string server_binary;  // empty: codeyard-server beside this program
  std::string wrk = "wrk";
  int threads = 2;
  int connections = 16;
  int duration_s = 5;  // per wrk run
  int rounds = 3;
  int file_bytes = 64;
  bool json = false;
  std::vector<std::string> server_sets;  // extra --set key=value for codeyard-server
};

struct WrkResult {
  double requests_per_s = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  long long requests = 0;
  // CPU time the server spent per request during the run (all its threads, user + system):
  // unlike req/s, barely moved by other processes on the machine, which take CPU from the
  // server and wrk alike but add none to the server's own account.
  double cpu_us_per_request = 0;
};

struct HttpTarget {
  std::string name;  // "bare lws", "GET /api/v1/health", ...
  std::vector<WrkResult> runs;
  [[nodiscard]] WrkResult Median() const;  // per field, over runs
};

struct HttpBenchReport {
  HttpTarget baseline;
  HttpTarget baseline_same_headers;  // the bare server sent the file read's headers
  HttpTarget health;
  HttpTarget file;
  double load_before = -1;
  double load_after = -1;
  unsigned cores = 0;
};

// Runs the whole benchmark; progress lines go to stderr. Throws std::runtime_error on failure.
[[nodiscard]] HttpBenchReport RunHttpBench(const HttpBenchOptions& options);

// Parses wrk's output (run with --latency). Throws std::runtime_error when a number is missing
// or the run saw non-2xx answers or socket errors.
[[nodiscard]] WrkResult ParseWrkOutput(const std::string& output);

}  // namespace codeyard::bench
