// meter20: metering of everything a workspace's pod runs, from the pod's CPU counter
// (Pod::CpuMs, core/usage/pod_meter.hpp), on both storage backends with real local pods: a CPU
// loop in a terminal session and a process started outside Exec's meter (as a language server
// or a preview server is) are recorded within a tick of the kernel's own figures, while they
// run and after they end, and a second replica sampling the same pod adds nothing twice; a
// terminal loop past the CPU-seconds quota ends with its workspace, and new work is refused;
// the stored high-water mark adds each millisecond once, whoever samples.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "codeyard/audit.hpp"
#include "codeyard/usage.hpp"
#include "core/store/audit.hpp"
#include "core/store/orgs.hpp"
#include "core/store/pod_cpu.hpp"
#include "core/store/transact.hpp"
#include "core/store/usage.hpp"
#include "core/try.hpp"
#include "core/usage/record.hpp"
#include "services/must.hpp"
#include "services/workspace_world.hpp"

using namespace codeyard;
using namespace codeyard::testing;
using namespace std::chrono_literals;

namespace {

// What a busy script does once it has burned its CPU.
enum class After { kSleep, kExit, kLoop };

// Burns `seconds` of CPU, prints "spent <CPU seconds the kernel counted>", then waits (a shell
// left idle), exits, or loops on (a runaway loop).
std::string BusyScript(double seconds, After after) {
  std::string script =
      "import time\n"
      "while time.process_time() < " +
      std::to_string(seconds) +
      ":\n"
      "    pass\n"
      "print('spent', repr(time.process_time()), flush=True)\n";
  if (after == After::kSleep) script += "time.sleep(600)\n";
  if (after == After::kLoop) script += "while True:\n    pass\n";
  return script;
}

// Reads `process` until a line "spent <seconds>" has come whole; returns the seconds in ms.
double ReadSpent(Process& process) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto chunk = process.ReadOutput(1000ms);
    if (!chunk && chunk.error().code() == Error::Code::kDeadlineExceeded) continue;
    if (!chunk || !*chunk) break;
    out += (*chunk)->data;
    const auto at = out.find("spent ");
    if (at != std::string::npos && out.find('\n', at) != std::string::npos) {
      return std::strtod(out.c_str() + at + 6, nullptr) * 1000.0;
    }
  }
  FAIL("no 'spent' line; output: " << out);
  return 0;
}

// Reads `process` to its end (bounded) and returns its status.
ExitStatus ReadToEnd(Process& process) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto chunk = process.ReadOutput(1000ms);
    if (!chunk && chunk.error().code() == Error::Code::kDeadlineExceeded) continue;
    if (!chunk || !*chunk) break;
  }
  return Must(process.Wait());
}

int64_t CpuRecorded(WorkspaceWorld& w) {
  Usage usage(w.shared_platform());
  return Must(usage.ForUser(w.alice, {})).totals.cpu_ms;
}

ExecSpec TerminalSpec(const std::string& script) {
  ExecSpec spec;
  spec.argv = {"python3", "-c", script};
  spec.tty = true;
  spec.stdin_open = true;
  return spec;
}

WorkspaceOptions SampledByHand(std::string replica) {
  WorkspaceOptions options;
  options.usage_sample = 0ms;  // SampleUsage is called by the test
  options.replica_id = std::move(replica);
  return options;
}

}  // namespace

TEMPLATE_TEST_CASE("usage: a terminal's CPU loop and a process outside Exec are metered",
                   "[services][usage][meter20]", CODEYARD_STORAGE_BACKENDS) {
  WorkspaceWorld w(TestType::Create(), SampledByHand("replica-one"));
  const std::string ws = Must(w.workspaces().Create(w.alice, "Metered")).id;
  auto pod = Must(w.workspaces().PodOf(w.alice, ws));

  // A shell-like session that burns half a second and stays: sampled while it lives.
  SessionAttachment terminal =
      Must(pod->OpenSession("meter", TerminalSpec(BusyScript(0.5, After::kSleep))));
  const double terminal_ms = ReadSpent(*terminal.process);
  CHECK(w.workspaces().SampleUsage() == 1);
  const int64_t live = CpuRecorded(w);
  // A live process: /proc's utime and stime, each truncated to 10 ms ticks.
  CHECK(static_cast<double>(live) >= terminal_ms - 20.0);
  CHECK(static_cast<double>(live) <= terminal_ms * 1.01 + 20.0);

  // A process the pod runs outside Exec's meter, as a language server or a preview server is.
  ExecSpec side;
  side.argv = {"python3", "-c", BusyScript(0.2, After::kExit)};
  auto process = Must(pod->Exec(side));
  const double side_ms = ReadSpent(*process);
  (void)ReadToEnd(*process);

  // The terminal ends; its time moves to the init's reaped children: counted once.
  Must(terminal.process->Signal(SIGKILL));
  (void)ReadToEnd(*terminal.process);
  CHECK(w.workspaces().SampleUsage() == 1);
  const int64_t total = CpuRecorded(w);
  const double kernel_ms = terminal_ms + side_ms;
  CHECK(static_cast<double>(total) >= kernel_ms - 2.0);
  CHECK(static_cast<double>(total) <= kernel_ms * 1.01 + 20.0);

  // Another replica (a restart) takes the lease over and samples the same pod, and the first
  // one samples again before it notices: the stored counter makes each add nothing twice.
  {
    Workspaces other(w.shared_platform(), w.shared_executor(), SampledByHand("replica-two"));
    ExecSpec nothing;
    nothing.argv = {"true"};
    CHECK(Must(other.Exec(w.alice, ws, nothing)).status.exit_code == 0);  // samples as it ends
    CHECK(other.SampleUsage() == 1);
    (void)w.workspaces().SampleUsage();
    CHECK(CpuRecorded(w) - total <= 20);  // `true` and its fork, not the terminal again
  }
}

TEMPLATE_TEST_CASE("usage: a terminal loop past the CPU quota ends and new work is refused",
                   "[services][usage][meter20]", CODEYARD_STORAGE_BACKENDS) {
  WorkspaceWorld w(TestType::Create(), SampledByHand("replica-one"));
  Platform& p = w.platform();
  const std::string ws = Must(w.workspaces().Create(w.alice, "Runaway")).id;
  // Alice's personal organization (id = her id): one CPU-second a day.
  SetOrgCpuSecondsPerDay(p, w.alice, 1);
  // 0.9 s recorded earlier today (a job, say): the loop crosses the second in 0.1 s.
  Must(store::Transact(p.storage(), TxKind::kWrite, [&](Transaction& tx) {
    return store::usage::Add(tx, usage::DayOf(w.clock().NowMillis()), w.alice, w.alice,
                             {900, 900, 0, 1, 0});
  }));
  auto pod = Must(w.workspaces().PodOf(w.alice, ws));
  SessionAttachment terminal =
      Must(pod->OpenSession("runaway", TerminalSpec(BusyScript(0.2, After::kLoop))));
  (void)ReadSpent(*terminal.process);  // past the quota, and looping on

  CHECK(w.workspaces().SampleUsage() == 1);  // the sample that finds it over: stopped
  const ExitStatus ended = ReadToEnd(*terminal.process);
  CHECK(ended.signal.has_value());
  CHECK(Must(w.workspaces().Get(w.alice, ws)).state == WorkspaceState::kStopped);
  // 0.9 s + the loop's 0.2 s so far (a live process: /proc's utime and stime, 10 ms ticks each).
  CHECK(CpuRecorded(w) >= 900 + 200 - 20);

  const auto audit = Must(store::Transact(
      p.storage(), TxKind::kRead, [&](Transaction& tx) { return store::audit::List(tx, 0, 100); }));
  bool audited = false;
  for (const AuditEntry& e : audit) {
    if (e.action == audit_action::kWorkspaceQuotaStop && e.target == ws) {
      audited = true;
      CHECK_FALSE(e.actor_id.has_value());  // the library's own action
      CHECK(e.detail.find("org.max_cpu_seconds_per_day") != std::string::npos);
    }
  }
  CHECK(audited);

  // New work is refused, naming the quota: a terminal, a command, a language server or preview.
  const Error terminal_refused = Failure(w.workspaces().PodOf(w.alice, ws));
  CHECK(terminal_refused.code() == Error::Code::kResourceExhausted);
  CHECK(terminal_refused.limit() == "org.max_cpu_seconds_per_day");
  CHECK(terminal_refused.message().find("of 1 CPU-seconds today") != std::string::npos);
  ExecSpec nothing;
  nothing.argv = {"true"};
  CHECK(Failure(w.workspaces().Exec(w.alice, ws, nothing)).code() ==
        Error::Code::kResourceExhausted);
  CHECK(Failure(w.workspaces().CheckCpuQuota(ws)).limit() == "org.max_cpu_seconds_per_day");
}

TEMPLATE_TEST_CASE("usage: a pod's samples add only the counter's growth, once, from any thread",
                   "[services][usage][meter20]", CODEYARD_STORAGE_BACKENDS) {
  WorkspaceWorld w(TestType::Create(), SampledByHand("replica-one"));
  Storage& storage = w.platform().storage();
  const auto advance = [&](const std::string& pod, int64_t counter, int64_t now) {
    return Must(store::Transact(storage, TxKind::kWrite, [&](Transaction& tx) {
      return store::pod_cpu::Advance(tx, pod, "ws", counter, now);
    }));
  };
  CHECK(advance("pod-a", 100, 1) == 100);  // a pod's first sample: its use since it started
  CHECK(advance("pod-a", 90, 2) == 0);     // lower (a reaping in between): nothing
  CHECK(advance("pod-a", 150, 3) == 50);   // only what passed the highest
  CHECK(advance("pod-b", 20, 3) == 20);    // pods apart
  // Samplers racing on one pod (the periodic thread, a command's end, another replica): each
  // millisecond is added once.
  std::atomic<int64_t> added{0};
  std::vector<std::thread> samplers;
  for (int t = 0; t < 4; ++t) {
    samplers.emplace_back([&] {
      for (int64_t counter = 160; counter <= 400; counter += 10) {
        added += advance("pod-a", counter, 4);
      }
    });
  }
  for (auto& s : samplers) s.join();
  CHECK(added.load() == 250);
  // Rows not sampled since a time are swept (pods long gone).
  CHECK(Must(store::Transact(storage, TxKind::kWrite, [&](Transaction& tx) {
          return store::pod_cpu::Sweep(tx, 4);
        })) == 1);  // pod-b, last sampled at 3
  CHECK(advance("pod-a", 400, 5) == 0);
}
