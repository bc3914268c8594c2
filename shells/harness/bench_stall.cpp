#include "bench_stall.hpp"

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

#include "bench_server.hpp"
#include "child_process.hpp"

namespace codeyard::bench {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Throw(const std::string& message) { throw std::runtime_error(message); }

void Progress(const std::string& line) {
  (void)std::fprintf(stderr, "codeyard-bench: %s\n", line.c_str());
}

// Processes running `sleep <tag>`: the saturating execs, inside their pod.
int Sleeping(const std::string& tag) {
  int n = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string pid = entry.path().filename().string();
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string argv0;
    std::string argv1;
    if (!std::getline(in, argv0, '\0') || !std::getline(in, argv1, '\0')) continue;
    if (argv0.ends_with("sleep") && argv1 == tag) ++n;
  }
  return n;
}

struct Kind {
  std::string name;
  std::function<void()> call;  // throws when the answer is not the expected one
};

void Expect(const HttpAnswer& answer, int want, const std::string& what) {
  if (answer.status != want) {
    Throw(what + ": HTTP " + std::to_string(answer.status) + " " + answer.body);
  }
}

// Every kind `samples` times, interleaved, so noise lands on all of them.
std::vector<Summary> Measure(const std::vector<Kind>& kinds, int samples) {
  std::vector<Samples> per(kinds.size());
  for (int i = 0; i < samples; ++i) {
    for (std::size_t k = 0; k < kinds.size(); ++k) {
      const auto started = Clock::now();
      kinds[k].call();
      per[k].Add(Clock::now() - started);
    }
  }
  std::vector<Summary> out;
  out.reserve(per.size());
  for (const Samples& s : per) out.push_back(s.Summarize());
  return out;
}

StallBenchReport RunIn(const StallBenchOptions& o, const TempDir& tmp, const std::string& log) {
  StallBenchReport report;
  report.load_before = MachineLoad::Now();
  const std::string binary = ServerBinary(o.server_binary);
  const int port = FreePort();
  std::vector<std::string> env = EnvironmentWithoutCodeyard();
  env.push_back("CODEYARD_SECRET=" + RandomHex(32));
  ChildProcess server({binary, "--listen", "127.0.0.1:" + std::to_string(port), "--data",
                       (tmp.path() / "data").string(), "--set", "executor.pool_size=0"},
                      env, log);
  WaitHealthy(port, server);
  Progress("codeyard-server " + binary + " on 127.0.0.1:" + std::to_string(port));

  auto session = [&](const std::string& user, const std::string& password) {
    auto doc = JsonOf(HttpCall(port, "POST", "/api/v1/auth/register",
                               boost::json::serialize(boost::json::object{{"username", user},
                                                                          {"password", password}})),
                      201, "register " + user);
    return std::string(doc.at("access_token").as_string());
  };
  auto workspace = [&](const std::string& token, const std::string& name) {
    auto doc = JsonOf(HttpCall(port, "POST", "/api/v1/workspaces",
                               boost::json::serialize(boost::json::object{{"name", name}}), token),
                      201, "create workspace");
    return std::string(doc.at("id").as_string());
  };

  // The first user, whose pod is started before anything is measured.
  const std::string busy_token = session("busy" + RandomHex(4), RandomHex(12));
  const std::string busy_ws = workspace(busy_token, "busy");
  const std::string exec_path = "/api/v1/workspaces/" + busy_ws + "/exec";
  Expect(HttpCall(port, "POST", exec_path, R"({"argv":["true"]})", busy_token), 200, "first exec");

  // The second user, whose requests are timed.
  const std::string user = "other" + RandomHex(4);
  const std::string password = RandomHex(12);
  const std::string token = session(user, password);
  const std::string file = "/api/v1/workspaces/" + workspace(token, "other") + "/files/keep.txt";
  (void)JsonOf(HttpCall(port, "PUT", file, "keep me", token), 200, "write keep.txt");
  const std::string login =
      boost::json::serialize(boost::json::object{{"username", user}, {"password", password}});
  const std::vector<Kind> kinds = {
      {"GET /api/v1/health",
       [&] { Expect(HttpCall(port, "GET", "/api/v1/health"), 200, "health"); }},
      {"GET /api/v1/workspaces/{id}/files/keep.txt",
       [&] { Expect(HttpCall(port, "GET", file, {}, token), 200, "file read"); }},
      {"POST /api/v1/auth/login",
       [&] { Expect(HttpCall(port, "POST", "/api/v1/auth/login", login), 200, "login"); }},
  };
  (void)Measure(kinds, 2);  // warm-up
  const std::vector<Summary> idle = Measure(kinds, o.samples);
  Progress("idle phase: " + std::to_string(o.samples) + " requests of each kind");

  // A unique argument, to find the execs' processes by.
  std::random_device rd;
  const std::string tag = std::to_string(o.sleep_s) + "." + std::to_string(100000 + rd() % 900000);
  std::atomic<int> answered{0};
  std::mutex mu;
  std::vector<int> statuses;
  std::vector<std::thread> execs;
  const std::string exec_body =
      R"({"argv":["sleep",")" + tag + R"("],"time_limit_s":)" + std::to_string(o.sleep_s + 4) + "}";
  execs.reserve(static_cast<std::size_t>(o.execs));
  for (int i = 0; i < o.execs; ++i) {
    execs.emplace_back([&] {
      const HttpAnswer a = HttpCall(port, "POST", exec_path, exec_body, busy_token);
      int status = a.status;
      if (status == 200 && a.body.find(R"("exit_code":0)") == std::string::npos) status = -1;
      const std::lock_guard lock(mu);
      statuses.push_back(status);
      answered.fetch_add(1);
    });
  }
  const auto join = [&] {
    for (std::thread& t : execs) t.join();
  };
  // Saturated once as many execs run (or were refused at once) as the old server had workers.
  const int want = std::min(o.execs, 16);
  const auto deadline = Clock::now() + std::chrono::seconds(std::max(o.sleep_s - 1, 1));
  while ((report.running_at_start = Sleeping(tag)) + answered.load() < want) {
    if (Clock::now() >= deadline) {
      join();
      Throw("the execs did not start within " + std::to_string(o.sleep_s) + " s (" +
            std::to_string(report.running_at_start) + " running)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Progress(std::to_string(report.running_at_start) + " execs running, " +
           std::to_string(answered.load()) + " answered; loaded phase");
  std::vector<Summary> loaded;
  try {
    loaded = Measure(kinds, o.samples);
  } catch (...) {
    join();
    throw;
  }
  report.running_at_end = Sleeping(tag);
  join();
  if (!server.Running()) Throw("codeyard-server died during the run");
  for (const int s : statuses) {
    if (s == 200) {
      ++report.execs_ok;
    } else if (s == 429 || s == 503) {
      ++report.execs_refused;
    } else {
      ++report.execs_other;
    }
  }
  if (report.execs_other > 0) {
    Throw(std::to_string(report.execs_other) + " execs failed (neither ok nor refused at once)");
  }
  if (report.running_at_end == 0) {
    Throw("the execs ended before the loaded phase did: use a longer --sleep or fewer --samples");
  }
  for (std::size_t k = 0; k < kinds.size(); ++k) {
    report.kinds.push_back(StallKind{kinds[k].name, idle[k], loaded[k]});
  }
  const int code = server.Stop();
  if (code != 0) Throw("codeyard-server exited with " + std::to_string(code) + " on SIGTERM");
  report.load_after = MachineLoad::Now();
  return report;
}

}  // namespace

StallBenchReport RunStallBench(const StallBenchOptions& options) {
  const TempDir tmp;
  const std::string log = (tmp.path() / "server.log").string();
  return RunIn(options, tmp, log);
}

}  // namespace codeyard::bench
