#include "bench_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>  // mkdtemp
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "bare_lws_server.hpp"
#include "bench_server.hpp"
#include "child_process.hpp"
#include "stats.hpp"

namespace codeyard::bench {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Throw(const std::string& message) { throw std::runtime_error(message); }

void Progress(const std::string& line) {
  (void)std::fprintf(stderr, "codeyard-bench: %s\n", line.c_str());
}

WrkResult Wrk(const HttpBenchOptions& o, const std::string& url, const std::string& script) {
  std::vector<std::string> argv = {o.wrk,
                                   "-t",
                                   std::to_string(o.threads),
                                   "-c",
                                   std::to_string(o.connections),
                                   "-d",
                                   std::to_string(o.duration_s) + "s",
                                   "--latency"};
  if (!script.empty()) {
    argv.emplace_back("-s");
    argv.push_back(script);
  }
  argv.push_back(url);
  int exit_code = 0;
  const std::string out = RunCapture(argv, &exit_code);
  if (exit_code != 0) {
    Throw(o.wrk + " exited with " + std::to_string(exit_code) +
          (exit_code == 127 ? " (is wrk installed? ./scripts/bootstrap)" : ""));
  }
  try {
    return ParseWrkOutput(out);
  } catch (const std::runtime_error& e) {
    Throw(std::string(e.what()) + " (" + url + ")\n" + out);
  }
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double ToMs(double value, const std::string& unit) {
  if (unit == "us") return value / 1000;
  if (unit == "ms") return value;
  if (unit == "s") return value * 1000;
  if (unit == "m") return value * 60'000;
  Throw("unknown latency unit '" + unit + "' in wrk's output");
}

}  // namespace

WrkResult HttpTarget::Median() const {
  std::vector<double> rps;
  std::vector<double> p50;
  std::vector<double> p99;
  std::vector<double> requests;
  std::vector<double> cpu;
  for (const WrkResult& r : runs) {
    rps.push_back(r.requests_per_s);
    p50.push_back(r.p50_ms);
    p99.push_back(r.p99_ms);
    requests.push_back(static_cast<double>(r.requests));
    cpu.push_back(r.cpu_us_per_request);
  }
  return WrkResult{bench::Median(rps), bench::Median(p50), bench::Median(p99),
                   static_cast<long long>(bench::Median(requests)), bench::Median(cpu)};
}

WrkResult ParseWrkOutput(const std::string& output) {
  std::smatch m;
  if (std::regex_search(output, m, std::regex(R"(Non-2xx or 3xx responses: (\d+))"))) {
    Throw("wrk saw " + m[1].str() + " non-2xx answers");
  }
  if (std::regex_search(
          output, m,
          std::regex(R"(Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+))"))) {
    Throw("wrk saw socket errors: " + m[0].str());
  }
  WrkResult r;
  if (!std::regex_search(output, m, std::regex(R"(Requests/sec:\s+([0-9.]+))"))) {
    Throw("no Requests/sec in wrk's output");
  }
  r.requests_per_s = std::stod(m[1].str());
  if (!std::regex_search(output, m, std::regex(R"((\d+) requests in )"))) {
    Throw("no request count in wrk's output");
  }
  r.requests = std::stoll(m[1].str());
  const std::regex p50(R"(\n\s*50%\s+([0-9.]+)(us|ms|s|m)\s*\n)");
  const std::regex p99(R"(\n\s*99%\s+([0-9.]+)(us|ms|s|m)\s*\n)");
  if (!std::regex_search(output, m, p50)) Throw("no 50% latency in wrk's output (--latency)");
  r.p50_ms = ToMs(std::stod(m[1].str()), m[2].str());
  if (!std::regex_search(output, m, p99)) Throw("no 99% latency in wrk's output (--latency)");
  r.p99_ms = ToMs(std::stod(m[1].str()), m[2].str());
  return r;
}

namespace {

// CPU time (user + system, every thread) the process has used so far, in seconds.
double ProcessCpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The fields after the command name (which may hold spaces) in parentheses; utime and stime
  // are fields 14 and 15, the 12th and 13th after it.
  const std::size_t close = stat.rfind(')');
  if (close == std::string::npos) Throw("cannot read /proc/" + std::to_string(pid) + "/stat");
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i >= 14) ticks += std::stod(field);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// The last lines of the server's log, for an error message (the temp dir goes away).
std::string LogTail(const std::string& log) {
  std::ifstream in(log);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  constexpr std::size_t kTail = 2000;
  return all.size() > kTail ? all.substr(all.size() - kTail) : all;
}

HttpBenchReport RunIn(const HttpBenchOptions& options, const TempDir& tmp, const std::string& log) {
  HttpBenchReport report;
  report.cores = std::thread::hardware_concurrency();
  report.load_before = MachineLoad::Now();
  const std::string binary = ServerBinary(options.server_binary);

  // The baseline first: if lws cannot serve here, nothing else matters.
  BareLwsServer bare;
  const int bare_port = bare.Start();
  Progress("bare libwebsockets server on 127.0.0.1:" + std::to_string(bare_port));

  const int port = FreePort();
  std::vector<std::string> env = EnvironmentWithoutCodeyard();
  env.push_back("CODEYARD_SECRET=" + RandomHex(32));
  std::vector<std::string> argv = {binary,
                                   "--listen",
                                   "127.0.0.1:" + std::to_string(port),
                                   "--data",
                                   (tmp.path() / "data").string(),
                                   "--set",
                                   "executor.pool_size=0"};
  for (const std::string& set : options.server_sets) {
    argv.emplace_back("--set");
    argv.push_back(set);
  }
  ChildProcess server(argv, env, log);
  WaitHealthy(port, server);
  Progress("codeyard-server " + binary + " on 127.0.0.1:" + std::to_string(port));

  const std::string user = "bench" + RandomHex(4);
  auto session = JsonOf(HttpCall(port, "POST", "/api/v1/auth/register",
                                 boost::json::serialize(boost::json::object{
                                     {"username", user}, {"password", RandomHex(12)}})),
                        201, "register");
  const std::string token(session.at("access_token").as_string());
  auto workspace =
      JsonOf(HttpCall(port, "POST", "/api/v1/workspaces", R"({"name":"bench"})", token), 201,
             "create workspace");
  const std::string file_path =
      "/api/v1/workspaces/" + std::string(workspace.at("id").as_string()) + "/files/small.txt";
  const std::string content(static_cast<std::size_t>(options.file_bytes), 'x');
  (void)JsonOf(HttpCall(port, "PUT", file_path, content, token), 200, "write small.txt");
  const HttpAnswer check = HttpCall(port, "GET", file_path, {}, token);
  if (check.status != 200 || check.body != content) Throw("reading small.txt back failed");
  const std::string script = (tmp.path() / "auth.lua").string();
  std::ofstream(script) << "wrk.method = \"GET\"\nwrk.headers[\"Authorization\"] = \"Bearer "
                        << token << "\"\n";
  Progress("user, workspace and small.txt (" + std::to_string(options.file_bytes) +
           " bytes) ready; wrk -t" + std::to_string(options.threads) + " -c" +
           std::to_string(options.connections) + " -d" + std::to_string(options.duration_s) +
           "s, " + std::to_string(options.rounds) + " rounds");

  report.baseline.name = "bare lws, fixed 200 JSON";
  report.baseline_same_headers.name = "bare lws, with the file read's headers";
  report.health.name = "GET /api/v1/health";
  report.file.name = "GET /api/v1/workspaces/{id}/files/small.txt";
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  for (int round = 1; round <= options.rounds; ++round) {
    struct Step {
      HttpTarget* target;
      std::string url;
      std::string script;
      std::function<double()> cpu_seconds;  // of the server that answers
    };
    const auto server_cpu = [&server] { return ProcessCpuSeconds(server.pid()); };
    const Step steps[] = {
        {&report.baseline, "http://127.0.0.1:" + std::to_string(bare_port) + "/", "",
         [&bare] { return bare.CpuSeconds(); }},
        {&report.baseline_same_headers, "http://127.0.0.1:" + std::to_string(bare_port) + "/",
         script, [&bare] { return bare.CpuSeconds(); }},
        {&report.health, base + "/api/v1/health", "", server_cpu},
        {&report.file, base + file_path, script, server_cpu},
    };
    for (const Step& step : steps) {
      const double cpu_before = step.cpu_seconds();
      WrkResult r = Wrk(options, step.url, step.script);
      if (r.requests > 0) {
        r.cpu_us_per_request =
            (step.cpu_seconds() - cpu_before) * 1e6 / static_cast<double>(r.requests);
      }
      step.target->runs.push_back(r);
      char line[256];
      (void)std::snprintf(line, sizeof(line),
                          "round %d/%d: %-46s %10.0f req/s  p99 %7.2f ms  cpu %6.1f us/req", round,
                          options.rounds, step.target->name.c_str(), r.requests_per_s, r.p99_ms,
                          r.cpu_us_per_request);
      Progress(line);
    }
    if (!server.Running()) Throw("codeyard-server died during the run");
  }
  bare.Stop();
  const int code = server.Stop();
  if (code != 0) Throw("codeyard-server exited with " + std::to_string(code) + " on SIGTERM");
  report.load_after = MachineLoad::Now();
  return report;
}

}  // namespace

HttpBenchReport RunHttpBench(const HttpBenchOptions& options) {
  const TempDir tmp;
  const std::string log = (tmp.path() / "server.log").string();
  try {
    return RunIn(options, tmp, log);
  } catch (const std::runtime_error& e) {
    const std::string tail = LogTail(log);
    if (tail.empty()) throw;
    Throw(std::string(e.what()) + "\ncodeyard-server's log ends:\n" + tail);
  }
}

}  // namespace codeyard::bench
