// codeyard-pod's entry point (the shim by default; `container` and `agent` modes) and its shim, the
// process the library starts (see
// ../protocol.hpp). The shim reads the config, joins the pod's cgroups, makes the
// namespaces, forks the init (pid 1 of the pod), helps it through the handshake in init.hpp
// and then only waits for it: its exit status is the pod's (0 when the init ended cleanly).
// Killing the shim kills the pod (the init has PR_SET_PDEATHSIG), and the init's death ends
// every process of the pod (the kernel tears its pid namespace down).
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <string>

#include "core/try.hpp"
#include "executor/local/pod/agent.hpp"
#include "executor/local/pod/container.hpp"
#include "executor/local/pod/init.hpp"
#include "executor/local/pod/root_fs.hpp"
#include "executor/local/pod/sys.hpp"
#include "executor/local/pod/user_namespace.hpp"
#include "executor/local/protocol.hpp"

namespace codeyard::local::pod {
namespace {

// Whatever the library's process had open, blocked or ignored must not leak into the pod.
void ResetProcessState() {
  ::close_range(kControlFd + 1, ~0U, 0);
  for (int fd = 0; fd < kControlFd; ++fd) {
    // Keeps 0-2 taken, so no later fd lands there and gets dup2'ed over by a child.
    if (::fcntl(fd, F_GETFD) < 0) ::open("/dev/null", O_RDWR);
  }
  struct sigaction action {};
  action.sa_handler = SIG_DFL;
  for (int signal = 1; signal < NSIG; ++signal) ::sigaction(signal, &action, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t none;
  ::sigemptyset(&none);
  ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
}

struct Configured {
  PodConfig config;
  UniqueFd listener;  // the control socket of a survivable pod, if the config carried one
};

Result<Configured> ReadConfig() {
  CY_TRY(auto received, ReceiveMessage(kControlFd));
  if (!received) return Fail(Error::Code::kAborted, "the control socket closed before a config");
  UniqueFd listener;
  if (received->fds.size() == 1) {
    listener.Reset(received->fds.front());
    received->fds.clear();
  }
  CloseAll(received->fds);
  if (received->type() != "config") {
    return Fail(Error::Code::kInvalidArgument, "expected a config message");
  }
  CY_TRY(PodConfig config, PodConfigFromJson(received->body));
  CY_CHECK(ValidateRootConfig(config));
  return Configured{std::move(config), std::move(listener)};
}

// Everything up to the fork: cgroups first, so the whole pod is accounted from its start.
Result<void> EnterNamespaces(const PodConfig& config) {
  // Host root's supplementary groups would survive into the pod's user namespace.
  if (::setgroups(0, nullptr) != 0 && !config.rootless) {
    return std::unexpected(SystemError("setgroups"));
  }
  for (const std::string& file : config.cgroup_procs_files) {
    CY_CHECK(WriteExisting(file, std::to_string(::getpid())));
  }
  if (config.rootless) {
    // Our own user namespace first: its capabilities are what the init mounts with.
    CY_CHECK(Check(::unshare(CLONE_NEWUSER), "unshare the user namespace"));
    CY_CHECK(WriteIdMaps("/proc/self", config.host_uid, config.host_gid));
  }
  // Not CLONE_NEWNS: the init makes its mount namespace itself, because its pivot_root
  // would otherwise move the shim's root too, and the shim needs the host's /proc to write
  // the init's uid/gid maps.
  const int network = config.network ? 0 : CLONE_NEWNET;
  return Check(::unshare(CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP | network),
               "unshare the namespaces");
}

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Result<Pipe> MakePipe() {
  int fds[2] = {-1, -1};
  CY_CHECK(Check(::pipe2(fds, O_CLOEXEC), "pipe"));
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// The shim's side of the handshake (init.hpp). false: the init died, having reported why.
Result<bool> Handshake(const PodConfig& config, pid_t init, const UniqueFd& to_init,
                       const UniqueFd& from_init) {
  boost::json::object message;
  message["type"] = "init";
  message["pid"] = init;
  CY_CHECK(SendMessage(kControlFd, message));
  const std::string proc = "/proc/" + std::to_string(init);
  if (!config.rootless) {
    // So that the OOM killer takes the pod's processes, not the init that reports on them.
    // -999, not -1000: a privileged write also sets the floor children inherit, and a pod
    // process that set itself to -1000 could never be OOM-killed, stalling its pod at the
    // memory limit. Best effort: it needs CAP_SYS_RESOURCE, which some hosts withhold.
    const auto adjusted = WriteExisting(proc + "/oom_score_adj", "-999");
    if (!adjusted) {
      const std::string line = "codeyard-pod: warning: " + adjusted.error().message() + "\n";
      (void)WriteAll(STDERR_FILENO, line.data(), line.size());
    }
  }
  if (!WriteAll(to_init.get(), &kGo, 1)) return false;
  char request = 0;
  if (ReadExact(from_init.get(), &request, 1) != 1 || request != kMapRequest) return false;
  if (!config.rootless) CY_CHECK(WriteIdMaps(proc, config.host_uid, config.host_gid));
  return WriteAll(to_init.get(), &kMapped, 1);
}

// 0 when the init exited cleanly, 1 otherwise.
int WaitFor(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 1;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

Result<int> RunShim(const PodConfig& config, UniqueFd listener) {
  CY_CHECK(EnterNamespaces(config));
  CY_TRY(Pipe down, MakePipe());  // shim to init
  CY_TRY(Pipe up, MakePipe());    // init to shim
  const pid_t init = ::fork();    // the first child after unshare(CLONE_NEWPID): pid 1
  if (init < 0) return std::unexpected(SystemError("fork the init"));
  if (init == 0) {
    down.write.Reset();
    up.read.Reset();
    RunInit(config, ShimLink{std::move(down.read), std::move(up.write)}, std::move(listener));
  }
  listener.Reset();  // the init's alone: a connection must reach it, not wait on the shim
  // Only the init may hold its ends, or its death would not show as EOF here.
  down.read.Reset();
  up.write.Reset();
  auto handshake = Handshake(config, init, down.write, up.read);
  if (!handshake) {
    ::kill(init, SIGKILL);
    WaitFor(init);
    return std::unexpected(handshake.error());
  }
  // `down.write` stays open while the shim lives: the init checks it for a hang-up.
  up.read.Reset();
  ::close(kControlFd);  // from here only the init speaks for the pod
  return WaitFor(init);
}

Result<int> Main() {
  ResetProcessState();
  CY_TRY(Configured configured, ReadConfig());
  return RunShim(configured.config, std::move(configured.listener));
}

}  // namespace
}  // namespace codeyard::local::pod

int main(int argc, char** argv) {
  namespace pod = codeyard::local::pod;
  // `codeyard-pod container` and `codeyard-pod agent` (container.hpp, agent.hpp): the init and
  // its agent in a pod a container runtime made. Without an argument: the local pod's shim.
  const std::string_view mode = argc > 1 ? argv[1] : "";
  if (mode == "container") return pod::RunContainer();
  if (mode == "agent") return pod::RunAgent();
  if (!mode.empty()) {
    // Not the shim: fd 3 is no control socket here, so the usage goes to stderr alone.
    const std::string_view usage = "codeyard-pod: usage: codeyard-pod [container|agent]\n";
    (void)pod::WriteAll(STDERR_FILENO, usage.data(), usage.size());
    return 2;
  }
  const auto result = pod::Main();
  if (result) return *result;
  pod::ReportError(result.error().WithContext("pod shim"));
  return 1;
}
