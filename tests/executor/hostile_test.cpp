// The hostile-code suite: programs that try to hurt the host, other pods or the server,
// each run in a real pod, each followed by a check that the host is unharmed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <thread>

#include "codeyard/run.hpp"
#include "executor/pod_fixture.hpp"

using namespace codeyard;
using namespace codeyard::testing;
using namespace std::chrono_literals;

namespace {

RunResult RunPython(Runner& runner, const std::string& code, RunLimits limits = {}) {
  RunRequest request;
  request.files.push_back({"main.py", FileKind::kFile, code, 0644, std::nullopt});
  request.limits = limits;
  auto result = runner.Run(request);
  if (!result) FAIL("Run: " << result.error().ToString());
  return *result;
}

std::unique_ptr<Runner> NewRunner(const PodFixture& f) {
  auto runner = Runner::Create(f.shared());
  REQUIRE(runner.has_value());
  return std::move(*runner);
}

uint64_t SelfRssKb() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("VmRSS:")) return std::stoull(line.substr(6));
  }
  return 0;
}

std::string ReadHostFile(const char* path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("hostile: a fork bomb is capped by the pids limit", "[hostile]") {
  PodFixture f;
  PodSpec spec = PodFixture::DefaultSpec();
  spec.limits.pids = 32;
  auto pod = f.NewPod(spec);
  const uint32_t uid = f.HostUid(*pod);
  ExecSpec bomb;
  bomb.argv = {"bash", "-c", "b() { b | b & }; b; sleep 30"};
  bomb.wall_time_limit = 4s;
  auto process = pod->Exec(bomb);
  REQUIRE(process.has_value());
  // Watch until the bomb presses against the cap (or its 4 s wall limit ends it), then a
  // few more looks: the count must never pass the cap.
  size_t most = 0;
  int looks_after_full = 0;
  const auto deadline = std::chrono::steady_clock::now() + 4s;
  while (looks_after_full < 20 && std::chrono::steady_clock::now() < deadline) {
    most = std::max(most, HostProcessesOf(uid).size());
    if (most >= 16) ++looks_after_full;
    std::this_thread::sleep_for(20ms);
  }
  CHECK(most <= 32);
  CHECK(most >= 8);  // it did try
  // The host still starts processes.
  CHECK(std::system("true") == 0);
  REQUIRE(f.executor().DeletePod(pod->id()).has_value());
  CHECK(HostProcessesOf(uid).empty());
}

TEST_CASE("hostile: 2 GiB under a 128 MiB limit is memory_limit_exceeded", "[hostile]") {
  PodFixture f;
  auto runner = NewRunner(f);
  RunLimits limits;
  limits.memory_bytes = uint64_t{128} << 20;
  const RunResult r = RunPython(*runner, "b = bytearray(2 * 1024**3)\nprint('survived')\n", limits);
  CHECK(r.verdict == Verdict::kMemoryLimitExceeded);
  CHECK(r.status.oom_killed);
  CHECK(r.stdout_data.empty());
  CHECK(r.status.memory_kb <= 140 * 1024);
}

TEST_CASE("hostile: an infinite loop is time_limit_exceeded within the limit + slack",
          "[hostile]") {
  PodFixture f;
  auto runner = NewRunner(f);
  RunLimits limits;
  limits.cpu_time = 1000ms;
  limits.wall_time = 10000ms;
  const RunResult r = RunPython(*runner, "while True:\n    pass\n", limits);
  CHECK(r.verdict == Verdict::kTimeLimitExceeded);
  // The CPU limit stopped it (not the wall clock), with little CPU past the limit; wall time
  // depends on how busy the machine is, so it is not asserted beyond "not the wall limit".
  CHECK(r.status.cpu_ms >= 500);  // rusage reads CPU time sampled from ticks: up to ~15% low
  CHECK(r.status.cpu_ms < 1600);
  CHECK(r.status.wall_ms < 9000);

  limits.wall_time = 1000ms;  // a sleeper burns no CPU: the wall clock catches it
  const RunResult s = RunPython(*runner, "import time\ntime.sleep(60)\n", limits);
  CHECK(s.verdict == Verdict::kTimeLimitExceeded);
  CHECK(s.status.wall_ms < 2500);
}

TEST_CASE("hostile: writing 2 GiB is stopped by the file-size and disk caps", "[hostile]") {
  PodFixture f;
  auto pod = f.NewPod();  // 64 MiB workspace, 64 MiB /tmp, 64 MiB per file
  const Ran one = Shell(*pod, "dd if=/dev/zero of=big bs=1M count=2048 2>&1; echo rc=$?");
  CHECK_THAT(one.out, !Catch::Contains("rc=0"));
  const Ran many = Shell(*pod,
                         "for i in 1 2 3 4; do head -c 40M /dev/zero > /tmp/f$i || echo "
                         "full; done; du -sk /tmp | cut -f1");
  CHECK_THAT(many.out, Catch::Contains("full"));
  const auto lines = many.out.substr(many.out.rfind("full\n") + 5);
  CHECK(std::stoull(lines) <= 65 * 1024);
  const Ran du = Shell(*pod, "du -sk /workspace | cut -f1");
  CHECK(std::stoull(du.out) <= 65 * 1024);
}

TEST_CASE("hostile: 1 GiB to stdout is truncated, flagged, and costs the host little memory",
          "[hostile]") {
  PodFixture f;
  auto runner = NewRunner(f);
  const RunResult r = RunPython(
      *runner,
      "import sys\nblock = 'x' * 65536\nfor _ in range(16384):\n    sys.stdout.write(block)\n");
  CHECK(r.verdict == Verdict::kOutputLimitExceeded);
  CHECK(r.status.output_truncated);
  CHECK(r.stdout_data.size() == RunLimits{}.output_bytes);

  // Without the kill, all of it flows through the host and is dropped past the cap.
  auto pod = f.NewPod();
  const uint64_t before = SelfRssKb();
  ExecSpec spec;
  spec.argv = {"head", "-c", "1G", "/dev/zero"};
  spec.output_limit_bytes = 1 << 20;
  spec.kill_on_output_limit = false;
  spec.wall_time_limit = 60s;
  const Ran ran = RunSpec(*pod, spec);
  CHECK(ran.status.exit_code == 0);
  CHECK(ran.status.output_truncated);
  CHECK(ran.out.size() == (1u << 20));
  CHECK(SelfRssKb() < before + 64 * 1024);
}

TEST_CASE("hostile: the host's loopback is out of reach", "[hostile]") {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  REQUIRE(::listen(listener, 4) == 0);
  socklen_t len = sizeof(addr);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);

  PodFixture f;
  auto pod = f.NewPod();
  const Ran ran = RunIn(*pod, {"python3", "-c",
                               "import socket\ns = socket.create_connection(('127.0.0.1', " +
                                   std::to_string(port) + "), timeout=3)\nprint('connected')"});
  CHECK(ran.out.empty());
  CHECK(ran.status.exit_code != 0);
  pollfd p{listener, POLLIN, 0};
  CHECK(::poll(&p, 1, 0) == 0);  // nothing ever knocked
  ::close(listener);
  const Ran links = RunIn(*pod, {"cat", "/proc/net/dev"});
  CHECK_THAT(links.out, Catch::Contains("lo:"));
  CHECK_THAT(links.out, !Catch::Contains("eth"));
}

TEST_CASE("hostile: host secrets, other pods and other processes are invisible", "[hostile]") {
  PodFixture f;
  auto pod_a = f.NewPod();
  auto pod_b = f.NewPod();
  CHECK(f.HostUid(*pod_a) != 0);
  CHECK(f.HostUid(*pod_a) != f.HostUid(*pod_b));
  REQUIRE(Shell(*pod_a, "echo s3cret > /workspace/secret-of-a.txt").status.exit_code == 0);

  CHECK(RunIn(*pod_b, {"cat", "/etc/shadow"}).status.exit_code != 0);
  CHECK(RunIn(*pod_b, {"ls", "/root"}).status.exit_code != 0);
  CHECK(RunIn(*pod_b, {"ls", "/home"}).status.exit_code != 0);
  const Ran find = Shell(*pod_b, "find / -name 'secret-of-a*' 2>/dev/null; echo done");
  CHECK(find.out == "done\n");
  const Ran procs = Shell(*pod_b, "ls /proc | grep -E '^[0-9]+$' | wc -l; cat /proc/1/comm");
  std::istringstream lines(procs.out);
  int count = 0;
  std::string comm;
  lines >> count >> comm;
  CHECK(count <= 5);  // the init, sh, ls/grep/wc at most
  CHECK(comm == "codeyard-pod");
  CHECK(RunIn(*pod_b, {"sh", "-c", "echo x > /proc/sys/kernel/hostname"}).status.exit_code != 0);
  CHECK(RunIn(*pod_b, {"sh", "-c", "echo x > /usr/bin/owned"}).status.exit_code != 0);
}

TEST_CASE("hostile: a process of another pod cannot be killed", "[hostile]") {
  PodFixture f;
  auto pod_a = f.NewPod();
  auto pod_b = f.NewPod();
  ExecSpec sleeper;
  sleeper.argv = {"sleep", "1000"};
  sleeper.stdin_open = true;
  auto victim = pod_a->Exec(sleeper);
  REQUIRE(victim.has_value());
  std::vector<int> pids;
  for (int i = 0; i < 100 && pids.size() < 2; ++i) {
    pids = HostProcessesOf(f.HostUid(*pod_a));
    std::this_thread::sleep_for(10ms);
  }
  REQUIRE_FALSE(pids.empty());
  std::string script;
  for (const int pid : pids) script += "kill -9 " + std::to_string(pid) + " 2>/dev/null; ";
  script += "kill -9 -1 2>/dev/null; exit 0";
  (void)Shell(*pod_b, script);
  for (const int pid : pids) CHECK(::kill(pid, 0) == 0);
  REQUIRE((*victim)->Signal(SIGKILL).has_value());
}

TEST_CASE("hostile: dangerous system calls fail with EPERM or ENOSYS", "[hostile]") {
  PodFixture f;
  auto pod = f.NewPod();
  // x86-64 numbers; arguments are zeros, so only the filter can answer EPERM/ENOSYS here.
  const std::string script = R"(
import ctypes, errno, os
libc = ctypes.CDLL(None, use_errno=True)
calls = {'mount': 165, 'umount2': 166, 'pivot_root': 155, 'chroot': 161, 'ptrace': 101,
         'keyctl': 250, 'add_key': 248, 'request_key': 249, 'bpf': 321,
         'perf_event_open': 298, 'userfaultfd': 323, 'io_uring_setup': 425,
         'io_uring_enter': 426, 'io_uring_register': 427, 'kexec_load': 246,
         'kexec_file_load': 320, 'init_module': 175, 'finit_module': 313,
         'delete_module': 176, 'unshare': 272, 'setns': 308, 'clone3': 435,
         'open_tree': 428, 'move_mount': 429, 'fsopen': 430}
for name, nr in sorted(calls.items()):
    ctypes.set_errno(0)
    rc = libc.syscall(nr, 0, 0, 0, 0, 0, 0)
    print(name, rc, errno.errorcode.get(ctypes.get_errno(), ctypes.get_errno()))
# clone with a namespace flag (CLONE_NEWUSER | SIGCHLD)
ctypes.set_errno(0)
rc = libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0)
print('clone_newuser', rc, errno.errorcode.get(ctypes.get_errno(), ctypes.get_errno()))
)";
  const Ran ran = RunIn(*pod, {"python3", "-c", script});
  REQUIRE(ran.status.exit_code == 0);
  std::istringstream lines(ran.out);
  int seen = 0;
  for (std::string name, rc, err; lines >> name >> rc >> err;) {
    INFO(name << " returned " << rc << " " << err);
    CHECK(rc == "-1");
    CHECK((err == "EPERM" || err == "ENOSYS"));
    ++seen;
  }
  CHECK(seen == 26);
  CHECK(RunIn(*pod, {"unshare", "-U", "true"}).status.exit_code != 0);
}

TEST_CASE("hostile: symlinks out of the workspace are never followed by the file API",
          "[hostile][files]") {
  PodFixture f;
  auto pod = f.NewPod();
  REQUIRE(Shell(*pod, "ln -s /etc etc-link && ln -s /etc/passwd passwd-link && ln -s / root")
              .status.exit_code == 0);
  const std::string host_passwd = ReadHostFile("/etc/passwd");

  std::vector<FileData> through = {{"etc-link/passwd", FileKind::kFile, "pwned\n", 0644, {}}};
  auto put = pod->PutFiles(through);
  REQUIRE_FALSE(put.has_value());
  CHECK(put.error().code() == Error::Code::kPermissionDenied);
  std::vector<FileData> nested = {{"root/etc/x", FileKind::kFile, "pwned\n", 0644, {}}};
  CHECK(pod->PutFiles(nested).error().code() == Error::Code::kPermissionDenied);
  const std::vector<std::string> read_through = {"etc-link/shadow"};
  CHECK(pod->GetFiles(read_through).error().code() == Error::Code::kPermissionDenied);
  const std::vector<std::string> del_through = {"etc-link/passwd"};
  CHECK(pod->DeleteFiles(del_through).error().code() == Error::Code::kPermissionDenied);

  // Writing the link's own path replaces the link; the file it pointed at is untouched.
  std::vector<FileData> over = {{"passwd-link", FileKind::kFile, "mine\n", 0644, {}}};
  REQUIRE(pod->PutFiles(over).has_value());
  CHECK(Shell(*pod, "cat passwd-link").out == "mine\n");
  CHECK(ReadHostFile("/etc/passwd") == host_passwd);
}
