// `codeyard-bench preview [--runs N] [--file-mb N]`: the preview relay against a direct
// loopback fetch, in one run. The real codeyard-server (beside this program, or --server) on a
// free loopback port serves a workspace whose pod runs `python3 -m http.server` over a folder
// holding a random file of N MiB and a small page; the same program serves the same files on
// the host's loopback as the baseline. Both are fetched by the same client (HttpCall, a fresh
// connection per request), so the client's own cost is in both: median MB/s of the file and
// p50 of the small page each way, and the ratios; and the server's own CPU per relayed MB
// (utime + stime from /proc, which a busy machine moves less than the wall clock). Every
// relayed byte is compared.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_server.hpp"
#include "child_process.hpp"
#include "commands.hpp"
#include "stats.hpp"

namespace codeyard::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct PreviewOptions {
  std::string server;
  int runs = 5;
  int file_mb = 8;
};

// Starts argv in its own session from inside the pod, so it outlives the exec that started it
// (as a server started in the terminal does).
constexpr const char* kDaemon =
    "import subprocess, sys; subprocess.Popen(sys.argv[1:], start_new_session=True, "
    "stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)";

// utime + stime of `pid` so far, in seconds (/proc/<pid>/stat fields 14 and 15).
double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t paren = stat.rfind(')');
  if (paren == std::string::npos) throw BenchFailed(kExitFailed, "cannot read the server's CPU");
  std::istringstream fields(stat.substr(paren + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i >= 14) ticks += std::stod(field);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string RandomBytes(std::size_t n) {
  std::string out;
  out.reserve(n + 64);
  while (out.size() < n) out += RandomHex(32);  // 64 hex characters per call
  out.resize(n);
  return out;
}

// Polls `path` on `port` until it answers 200, for at most 30 s.
void WaitAnswers(int port, const std::string& path, const std::string& token,
                 const std::string& what) {
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (HttpCall(port, "GET", path, {}, token).status != 200) {
    if (Clock::now() > deadline) throw BenchFailed(kExitFailed, what + " did not answer in 30 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

struct Side {
  std::vector<double> mb_per_s;
  Samples small;
};

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0.0 : values[values.size() / 2];
}

void Fetch(Side& side, int port, const std::string& prefix, const std::string& token,
           const std::string& payload, const char* name) {
  const auto start = Clock::now();
  const HttpAnswer big = HttpCall(port, "GET", prefix + "big.bin", {}, token);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (big.status != 200 || big.body != payload) {
    throw BenchFailed(kExitFailed, std::string(name) + ": big.bin came back as HTTP " +
                                       std::to_string(big.status) + ", " +
                                       std::to_string(big.body.size()) + " bytes");
  }
  side.mb_per_s.push_back(static_cast<double>(payload.size()) / seconds / 1e6);
  const auto small_start = Clock::now();
  const HttpAnswer small = HttpCall(port, "GET", prefix + "small.html", {}, token);
  side.small.Add(Clock::now() - small_start);
  if (small.status != 200) throw BenchFailed(kExitFailed, std::string(name) + ": small.html");
}

void RunPreviewBench(const PreviewOptions& o) {
  const TempDir tmp;
  const std::string binary = ServerBinary(o.server);
  const std::string payload = RandomBytes(static_cast<std::size_t>(o.file_mb) << 20);
  const std::string small_page = "<h1>small</h1>";

  const int port = FreePort();
  std::vector<std::string> env = EnvironmentWithoutCodeyard();
  env.push_back("CODEYARD_SECRET=" + RandomHex(32));
  ChildProcess server({binary, "--listen", "127.0.0.1:" + std::to_string(port), "--data",
                       (tmp.path() / "data").string()},
                      env, (tmp.path() / "server.log").string());
  WaitHealthy(port, server);
  const std::string user = "bench" + RandomHex(4);
  auto session = JsonOf(HttpCall(port, "POST", "/api/v1/auth/register",
                                 boost::json::serialize(boost::json::object{
                                     {"username", user}, {"password", RandomHex(12)}})),
                        201, "register");
  const std::string token(session.at("access_token").as_string());
  auto workspace =
      JsonOf(HttpCall(port, "POST", "/api/v1/workspaces", R"({"name":"preview"})", token), 201,
             "create workspace");
  const std::string ws = "/api/v1/workspaces/" + std::string(workspace.at("id").as_string());
  (void)JsonOf(HttpCall(port, "PUT", ws + "/files/site/big.bin", payload, token), 200,
               "write big.bin");
  (void)JsonOf(HttpCall(port, "PUT", ws + "/files/site/small.html", small_page, token), 200,
               "write small.html");
  const boost::json::array argv = {"python3",   "-c",          kDaemon, "python3",
                                   "-m",        "http.server", "8000",  "--bind",
                                   "127.0.0.1", "--directory", "site"};
  auto run = JsonOf(HttpCall(port, "POST", ws + "/exec",
                             boost::json::serialize(boost::json::object{{"argv", argv}}), token),
                    200, "start http.server in the pod");
  if (run.at("exit_code").as_int64() != 0) throw BenchFailed(kExitFailed, "http.server exec");
  const std::string relayed = ws + "/ports/8000/";
  WaitAnswers(port, relayed + "small.html", token, "the pod's http.server");

  // The baseline: the same program and files on the host's loopback.
  const auto site = tmp.path() / "site";
  std::filesystem::create_directories(site);
  std::ofstream(site / "big.bin", std::ios::binary) << payload;
  std::ofstream(site / "small.html", std::ios::binary) << small_page;
  const int direct_port = FreePort();
  ChildProcess direct({"/usr/bin/python3", "-m", "http.server", std::to_string(direct_port),
                       "--bind", "127.0.0.1", "--directory", site.string()},
                      EnvironmentWithoutCodeyard(), (tmp.path() / "direct.log").string());
  try {
    WaitAnswers(direct_port, "/small.html", {}, "the host's http.server");
  } catch (const BenchFailed&) {
    std::ifstream log(tmp.path() / "direct.log");
    const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    throw BenchFailed(kExitFailed,
                      "the host's http.server did not answer in 30 s: " + text.substr(0, 400));
  }

  // Interleaved, so a change in the machine's load falls on both sides alike.
  Side relay;
  Side host;
  const double cpu_before = CpuSeconds(server.pid());
  for (int i = 0; i < o.runs; ++i) {
    Fetch(relay, port, relayed, token, payload, "relay");
    Fetch(host, direct_port, "/", {}, payload, "direct");
  }
  // The server is idle while the direct side runs: all of this is the relay's.
  const double server_cpu = CpuSeconds(server.pid()) - cpu_before;
  const double relayed_mb = static_cast<double>(o.runs) * static_cast<double>(payload.size()) / 1e6;
  const double relay_mb = Median(relay.mb_per_s);
  const double direct_mb = Median(host.mb_per_s);
  const Summary relay_small = relay.small.Summarize();
  const Summary direct_small = host.small.Summarize();
  std::printf("preview: %d runs of a %d MiB file and a small page, a fresh connection each\n",
              o.runs, o.file_mb);
  std::printf("  %-44s %8.1f MB/s   small page p50 %6.2f ms\n",
              "relay (/workspaces/{id}/ports/8000/, pod)", relay_mb,
              static_cast<double>(relay_small.p50_ns) / 1e6);
  std::printf("  %-44s %8.1f MB/s   small page p50 %6.2f ms\n", "direct (host loopback)", direct_mb,
              static_cast<double>(direct_small.p50_ns) / 1e6);
  std::printf("  throughput ratio (relay / direct): %.2fx\n",
              direct_mb > 0 ? relay_mb / direct_mb : 0.0);
  std::printf("  server CPU per MB relayed: %.2f ms\n", server_cpu * 1000 / relayed_mb);
  std::printf("  small page latency ratio (relay / direct): %.1fx\n",
              direct_small.p50_ns > 0 ? static_cast<double>(relay_small.p50_ns) /
                                            static_cast<double>(direct_small.p50_ns)
                                      : 0.0);
}

}  // namespace

void AddPreviewCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "preview", "the preview relay against a direct loopback fetch of the same program");
  auto options = std::make_shared<PreviewOptions>();
  cmd->add_option("--server", options->server, "codeyard-server (default: beside this program)");
  cmd->add_option("--runs", options->runs, "fetches of each kind")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_option("--file-mb", options->file_mb, "the large file, MiB (files.max_file_bytes)")
      ->check(CLI::Range(1, 9))
      ->capture_default_str();
  cmd->callback([options] { RunPreviewBench(*options); });
}

}  // namespace codeyard::bench
