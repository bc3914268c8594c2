// `codeyard-bench attach [--executor URI] [--iterations N] [--json]`: attaching to a pod's
// existing terminal session (Pod::OpenSession on a running shell whose 64 KiB scrollback is
// full) against exec'ing a fresh shell in the same pod, interleaved in one run:
//   first byte   OpenSession until the first scrollback byte  vs  Exec of /bin/sh on a tty
//                                                                 until its prompt
//   full replay  OpenSession until the end of the scrollback  (no baseline: a fresh shell
//                                                                 has none)
//   echo         one keystroke to its echo through a session  vs  through an exec'd shell's
//                (output passes through the init)                 tty (straight from the PTY)
//   throughput   16 MiB of `head -c` output through each, MiB/s
// Each attachment is dropped after the measurement (a detach; the exec'd shell is killed).
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "bench_pods.hpp"
#include "bench_util.hpp"
#include "codeyard/id.hpp"
#include "codeyard/platform.hpp"
#include "commands.hpp"
#include "stats.hpp"

namespace codeyard::bench {
namespace {

using namespace std::chrono_literals;

struct AttachOptions {
  std::string executor_uri;  // default: a local executor on a temp state dir
  int iterations = 200;
  int warmup = 10;
  bool json = false;
};

struct AttachReport {
  Samples attach_first;
  Samples attach_full;
  Samples exec_first;
  Samples session_echo;
  Samples exec_echo;
  Samples session_flood;  // one sample per 16 MiB
  Samples exec_flood;
};

constexpr int kEchoKeys = 200;
constexpr int kFloodRounds = 3;
constexpr uint64_t kFloodBytes = uint64_t{16} << 20;

constexpr std::string_view kEndMark = "filled-2";

ExecSpec Shell() {
  ExecSpec spec;
  spec.argv = {"/bin/sh"};
  spec.tty = true;
  spec.stdin_open = true;
  spec.env["PS1"] = "$ ";
  spec.output_limit_bytes = std::numeric_limits<uint64_t>::max();
  spec.kill_on_output_limit = false;
  return spec;
}

// Reads until `needle` has been seen in `seen` plus what arrives; returns what was read.
std::string ReadUntil(Process& process, std::string_view needle, std::string seen = {}) {
  while (seen.find(needle) == std::string::npos) {
    auto chunk = Must(process.ReadOutput(30s), "reading the terminal");
    if (!chunk) throw BenchFailed(kExitFailed, "the shell ended");
    seen += chunk->data;
  }
  return seen;
}

// The first piece of output.
std::string ReadFirst(Process& process) {
  auto chunk = Must(process.ReadOutput(30s), "reading the terminal");
  if (!chunk) throw BenchFailed(kExitFailed, "the shell ended");
  return std::move(chunk->data);
}

// Types kEchoKeys keystrokes into `cat` one at a time, each timed to its echo.
void Echo(Process& process, Samples& samples) {
  Must(process.WriteStdin("exec cat\n"), "typing");
  (void)ReadUntil(process, "exec cat\r\n");
  for (int i = 0; i < kEchoKeys; ++i) {
    const char key = static_cast<char>('a' + i % 26);
    const auto start = std::chrono::steady_clock::now();
    Must(process.WriteStdin(std::string_view(&key, 1)), "typing");
    (void)ReadUntil(process, std::string_view(&key, 1));
    samples.Add(std::chrono::steady_clock::now() - start);
  }
}

// Prints kFloodBytes and reads them all; one sample.
void Flood(Process& process, Samples& samples, int round) {
  const std::string command = "head -c " + std::to_string(kFloodBytes) +
                              " /dev/zero | tr '\\0' y; echo; echo flood-" + std::to_string(round) +
                              "-$((1))done\n";
  const auto start = std::chrono::steady_clock::now();
  Must(process.WriteStdin(command), "typing");
  uint64_t seen = 0;
  std::string tail;
  // The shell prints flood-N-1done; its echo of the command line shows $((1)) instead.
  const std::string done = "flood-" + std::to_string(round) + "-1done";
  while (tail.find(done) == std::string::npos) {
    auto chunk = Must(process.ReadOutput(30s), "reading the flood");
    if (!chunk) throw BenchFailed(kExitFailed, "the shell ended");
    seen += chunk->data.size();
    tail += chunk->data;
    if (tail.size() > 4096) tail.erase(0, tail.size() - 4096);
  }
  if (seen < kFloodBytes) throw BenchFailed(kExitFailed, "the flood came short");
  samples.Add(std::chrono::steady_clock::now() - start);
}

AttachReport Run(const AttachOptions& options, Pod& pod) {
  {
    // Fill the scrollback: 64 KiB of output, then a mark at its very end.
    auto first = Must(pod.OpenSession("bench", Shell()), "opening the session");
    auto& p = *first.process;
    Must(p.WriteStdin("head -c 70000 /dev/zero | tr '\\0' x; echo; echo filled-$((1+1))\n"),
         "typing");
    ReadUntil(p, kEndMark);
  }
  AttachReport report;
  for (int i = 0; i < options.warmup + options.iterations; ++i) {
    const bool counted = i >= options.warmup;
    {
      const auto start = std::chrono::steady_clock::now();
      auto attached = Must(pod.OpenSession("bench", Shell()), "attaching");
      if (attached.started) throw BenchFailed(kExitFailed, "the session's shell had ended");
      std::string seen = ReadFirst(*attached.process);
      const auto first = std::chrono::steady_clock::now();
      ReadUntil(*attached.process, kEndMark, std::move(seen));
      if (counted) {
        report.attach_first.Add(first - start);
        report.attach_full.Add(std::chrono::steady_clock::now() - start);
      }
    }
    {
      const auto start = std::chrono::steady_clock::now();
      auto process = Must(pod.Exec(Shell()), "exec of a shell");
      (void)ReadFirst(*process);
      if (counted) report.exec_first.Add(std::chrono::steady_clock::now() - start);
    }
  }
  {
    auto session = Must(pod.OpenSession("echo", Shell()), "opening the echo session");
    auto exec = Must(pod.Exec(Shell()), "exec of a shell");
    Echo(*session.process, report.session_echo);
    Echo(*exec, report.exec_echo);
  }
  for (int round = 0; round < kFloodRounds; ++round) {
    auto session = Must(pod.OpenSession("flood", Shell()), "opening the flood session");
    auto exec = Must(pod.Exec(Shell()), "exec of a shell");
    Flood(*session.process, report.session_flood, round);
    Flood(*exec, report.exec_flood, round);
  }
  return report;
}

// Throughput at the median flood.
double MiBs(const Summary& s) {
  return s.p50_ns > 0 ? static_cast<double>(kFloodBytes >> 20) * 1e9 / static_cast<double>(s.p50_ns)
                      : 0.0;
}

boost::json::object Row(const Samples& samples) {
  const Summary s = samples.Summarize();
  boost::json::object o;
  o["p50_ms"] = Ms(s.p50_ns);
  o["p95_ms"] = Ms(s.p95_ns);
  return o;
}

void Print(const AttachOptions& options, const MachineLoad& load, const AttachReport& r) {
  const Summary first = r.attach_first.Summarize();
  const Summary full = r.attach_full.Summarize();
  const Summary exec = r.exec_first.Summarize();
  if (options.json) {
    boost::json::object o;
    o["iterations"] = options.iterations;
    o["attach_first_byte"] = Row(r.attach_first);
    o["attach_full_replay"] = Row(r.attach_full);
    o["exec_first_byte"] = Row(r.exec_first);
    o["ratio_first_byte_p50"] = Ratio(first, exec);
    o["session_echo"] = Row(r.session_echo);
    o["exec_echo"] = Row(r.exec_echo);
    o["ratio_echo_p50"] = Ratio(r.session_echo.Summarize(), r.exec_echo.Summarize());
    o["session_flood_mib_s"] = MiBs(r.session_flood.Summarize());
    o["exec_flood_mib_s"] = MiBs(r.exec_flood.Summarize());
    o["load_before"] = load.before;
    o["load_after"] = load.after;
    std::printf("%s\n", boost::json::serialize(o).c_str());
    return;
  }
  PrintTableHead("attach", options.iterations, load);
  PrintTableRow("attach, first scrollback byte", first, &exec);
  PrintTableRow("attach, whole 64 KiB scrollback", full, &exec);
  PrintTableRow("baseline: exec a shell, first byte", exec, nullptr);
  const Summary session_echo = r.session_echo.Summarize();
  const Summary exec_echo = r.exec_echo.Summarize();
  PrintTableRow("keystroke echo, session", session_echo, &exec_echo, 3);
  PrintTableRow("baseline: keystroke echo, exec tty", exec_echo, nullptr, 3);
  const double session_mib = MiBs(r.session_flood.Summarize());
  const double exec_mib = MiBs(r.exec_flood.Summarize());
  std::printf("%-36s %9.0f MiB/s, exec tty %.0f MiB/s: %.2fx\n", "output throughput, session",
              session_mib, exec_mib, exec_mib > 0 ? session_mib / exec_mib : 0.0);
}

}  // namespace

void AddAttachCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "attach", "time attaching to an existing terminal session against exec of a fresh shell");
  auto options = std::make_shared<AttachOptions>();
  cmd->add_option("--executor", options->executor_uri,
                  "executor URI (default: a local executor on a temp state dir)");
  cmd->add_option("--iterations", options->iterations, "measured attaches (and execs)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_flag("--json", options->json, "print one JSON object instead of a table");
  cmd->callback([options] {
    std::filesystem::path state_dir;
    std::string uri = options->executor_uri;
    if (uri.empty()) {
      state_dir = std::filesystem::temp_directory_path() / ("cy-bench-attach-" + NewUuid());
      uri = "local:?state_dir=" + state_dir.string();
    }
    MachineLoad load;
    load.before = MachineLoad::Now();
    AttachReport report;
    WithPod(uri, [&](const std::shared_ptr<Pod>& pod) { report = Run(*options, *pod); });
    load.after = MachineLoad::Now();
    if (!state_dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(state_dir, ec);
    }
    Print(*options, load, report);
  });
}

}  // namespace codeyard::bench
