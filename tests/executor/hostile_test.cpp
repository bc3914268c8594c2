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

// Every address family the kernel knows, and a few values past them: a pod may open AF_UNIX,
// AF_INET, AF_INET6 and AF_NETLINK with NETLINK_ROUTE; everything else is EAFNOSUPPORT from
// the filter, before the kernel looks at the family (so the answer does not depend on which
// modules this host has loaded, and vsock never reaches the VM host).
TEST_CASE("hostile: only unix, inet, inet6 and netlink-route sockets can be opened",
          "[hostile][seccomp]") {
  PodFixture f;
  auto pod = f.NewPod();
  struct Family {
    const char* name;
    long long family;
    int type;
    int protocol;
    const char* expected;  // "ok" or the errno name
  };
  // SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_RAW 3, SOCK_SEQPACKET 5.
  const std::vector<Family> table = {
      {"unix_stream", 1, 1, 0, "ok"},
      {"unix_dgram", 1, 2, 0, "ok"},
      {"unix_seqpacket", 1, 5, 0, "ok"},
      {"inet_tcp", 2, 1, 0, "ok"},
      {"inet_udp", 2, 2, 0, "ok"},
      {"inet6_tcp", 10, 1, 0, "ok"},
      {"inet6_udp", 10, 2, 0, "ok"},
      {"netlink_route", 16, 3, 0, "ok"},
      {"netlink_route_dgram", 16, 2, 0, "ok"},
      {"unspec", 0, 1, 0, "EAFNOSUPPORT"},
      {"ax25", 3, 5, 0, "EAFNOSUPPORT"},
      {"ipx", 4, 2, 0, "EAFNOSUPPORT"},
      {"appletalk", 5, 2, 0, "EAFNOSUPPORT"},
      {"netrom", 6, 5, 0, "EAFNOSUPPORT"},
      {"bridge", 7, 1, 0, "EAFNOSUPPORT"},
      {"atmpvc", 8, 2, 0, "EAFNOSUPPORT"},
      {"x25", 9, 5, 0, "EAFNOSUPPORT"},
      {"rose", 11, 5, 0, "EAFNOSUPPORT"},
      {"decnet", 12, 5, 0, "EAFNOSUPPORT"},
      {"netbeui", 13, 2, 0, "EAFNOSUPPORT"},
      {"security", 14, 2, 0, "EAFNOSUPPORT"},
      {"key", 15, 3, 2, "EAFNOSUPPORT"},
      {"netlink_sock_diag", 16, 3, 4, "EAFNOSUPPORT"},
      {"netlink_xfrm", 16, 3, 6, "EAFNOSUPPORT"},
      {"netlink_audit", 16, 3, 9, "EAFNOSUPPORT"},
      {"netlink_netfilter", 16, 3, 12, "EAFNOSUPPORT"},
      {"netlink_uevent", 16, 2, 15, "EAFNOSUPPORT"},
      {"netlink_generic", 16, 3, 16, "EAFNOSUPPORT"},
      {"netlink_high_protocol", 16, 3, 0x10000, "EAFNOSUPPORT"},
      {"packet", 17, 3, 0, "EAFNOSUPPORT"},
      {"ash", 18, 2, 0, "EAFNOSUPPORT"},
      {"econet", 19, 2, 0, "EAFNOSUPPORT"},
      {"atmsvc", 20, 5, 0, "EAFNOSUPPORT"},
      {"rds", 21, 5, 0, "EAFNOSUPPORT"},
      {"sna", 22, 1, 0, "EAFNOSUPPORT"},
      {"irda", 23, 1, 0, "EAFNOSUPPORT"},
      {"pppox", 24, 1, 0, "EAFNOSUPPORT"},
      {"wanpipe", 25, 3, 0, "EAFNOSUPPORT"},
      {"llc", 26, 2, 0, "EAFNOSUPPORT"},
      {"ib", 27, 2, 0, "EAFNOSUPPORT"},
      {"mpls", 28, 2, 0, "EAFNOSUPPORT"},
      {"can", 29, 3, 1, "EAFNOSUPPORT"},
      {"tipc", 30, 5, 0, "EAFNOSUPPORT"},
      {"bluetooth", 31, 1, 3, "EAFNOSUPPORT"},
      {"iucv", 32, 1, 0, "EAFNOSUPPORT"},
      {"rxrpc", 33, 2, 2, "EAFNOSUPPORT"},
      {"isdn", 34, 3, 0, "EAFNOSUPPORT"},
      {"phonet", 35, 2, 0, "EAFNOSUPPORT"},
      {"ieee802154", 36, 2, 0, "EAFNOSUPPORT"},
      {"caif", 37, 1, 0, "EAFNOSUPPORT"},
      {"alg", 38, 5, 0, "EAFNOSUPPORT"},
      {"nfc", 39, 5, 0, "EAFNOSUPPORT"},
      {"vsock_stream", 40, 1, 0, "EAFNOSUPPORT"},
      {"vsock_dgram", 40, 2, 0, "EAFNOSUPPORT"},
      {"kcm", 41, 2, 0, "EAFNOSUPPORT"},
      {"qipcrtr", 42, 2, 0, "EAFNOSUPPORT"},
      {"smc", 43, 1, 0, "EAFNOSUPPORT"},
      {"xdp", 44, 3, 0, "EAFNOSUPPORT"},
      {"mctp", 45, 2, 0, "EAFNOSUPPORT"},
      {"af_max", 46, 1, 0, "EAFNOSUPPORT"},
      {"family_63", 63, 1, 0, "EAFNOSUPPORT"},
      {"family_64", 64, 1, 0, "EAFNOSUPPORT"},
      {"family_4096", 4096, 1, 0, "EAFNOSUPPORT"},
      {"family_negative", -1, 1, 0, "EAFNOSUPPORT"},
      // The kernel reads the family as a 32-bit int: high bits must not smuggle vsock past.
      {"vsock_high_bits", 0x100000028LL, 1, 0, "EAFNOSUPPORT"},
      {"netlink_audit_high_bits", 0x700000010LL, 3, 9, "EAFNOSUPPORT"},
  };
  // Raw system calls (41 socket, 53 socketpair on x86-64), so no library second-guesses the
  // arguments. Each line: name, socket's answer, socketpair's answer.
  std::string script = R"(
import ctypes, errno, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def answer(rc):
    if rc >= 0:
        return 'ok'
    return errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
def try_socket(family, kind, protocol):
    ctypes.set_errno(0)
    rc = libc.syscall(ctypes.c_long(41), ctypes.c_long(family), ctypes.c_long(kind),
                      ctypes.c_long(protocol))
    if rc >= 0:
        os.close(rc)
    return answer(rc)
def try_pair(family, kind, protocol):
    fds = (ctypes.c_int * 2)()
    ctypes.set_errno(0)
    rc = libc.syscall(ctypes.c_long(53), ctypes.c_long(family), ctypes.c_long(kind),
                      ctypes.c_long(protocol), fds)
    if rc >= 0:
        os.close(fds[0]); os.close(fds[1])
    return answer(rc)
table = [
)";
  for (const Family& row : table) {
    script += "  ('" + std::string(row.name) + "', " + std::to_string(row.family) + ", " +
              std::to_string(row.type) + ", " + std::to_string(row.protocol) + "),\n";
  }
  script += R"(]
for name, family, kind, protocol in table:
    print(name, try_socket(family, kind, protocol), try_pair(family, kind, protocol))
)";
  const Ran ran = RunIn(*pod, {"python3", "-c", script});
  INFO(ran.err);
  REQUIRE(ran.status.exit_code == 0);
  std::istringstream lines(ran.out);
  size_t seen = 0;
  for (std::string name, socket_answer, pair_answer; lines >> name >> socket_answer >> pair_answer;
       ++seen) {
    REQUIRE(seen < table.size());
    const Family& row = table[seen];
    INFO(name << ": socket " << socket_answer << ", socketpair " << pair_answer);
    CHECK(name == row.name);
    CHECK(socket_answer == row.expected);
    const std::string expected(row.expected);
    if (expected != "ok") {
      CHECK(pair_answer == expected);
    } else if (row.family == 1) {
      CHECK(pair_answer == "ok");  // the only family with socketpair
    } else {
      CHECK(pair_answer != "EAFNOSUPPORT");  // the kernel's own answer, not the filter's
    }
  }
  CHECK(seen == table.size());
}

TEST_CASE("hostile: a TCP server and its client talk inside one pod over loopback",
          "[hostile][seccomp]") {
  PodFixture f;
  auto pod = f.NewPod();
  const std::string script = R"(
import socket, threading
def serve(listener):
    conn, _ = listener.accept()
    conn.sendall(conn.recv(100).upper())
    conn.close()
for family, host in ((socket.AF_INET, '127.0.0.1'), (socket.AF_INET6, '::1')):
    try:
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.bind((host, 0))
    except OSError as e:
        print(host, 'unavailable', e.errno)
        continue
    listener.listen(1)
    port = listener.getsockname()[1]
    threading.Thread(target=serve, args=(listener,)).start()
    client = socket.create_connection((host, port), timeout=5)
    client.sendall(b'hello')
    print(host, client.recv(100).decode())
nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
nl.bind((0, 0))
print('netlink', 'bound')
print('resolved', socket.getaddrinfo('localhost', 80)[0][4][0])
)";
  const Ran ran = RunIn(*pod, {"python3", "-c", script});
  INFO(ran.err);
  CHECK(ran.status.exit_code == 0);
  CHECK_THAT(ran.out, Catch::Contains("127.0.0.1 HELLO"));
  CHECK_THAT(ran.out, Catch::Contains("netlink bound"));
  CHECK_THAT(ran.out, Catch::Contains("resolved "));
}
