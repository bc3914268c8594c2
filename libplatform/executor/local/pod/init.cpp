#include "executor/local/pod/init.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

#include "core/try.hpp"
#include "executor/local/pod/init_loop.hpp"
#include "executor/local/pod/root_fs.hpp"
#include "executor/local/pod/seccomp_filter.hpp"
#include "executor/local/pod/user_namespace.hpp"

namespace codeyard::local::pod {
namespace {

// Reads one byte and checks it is `expected`; false on EOF (the shim died) or anything else.
bool Await(const UniqueFd& fd, char expected) {
  char byte = 0;
  return ReadExact(fd.get(), &byte, 1) == 1 && byte == expected;
}

// A fresh network namespace has its loopback down; programs expect 127.0.0.1 to work.
Result<void> BringUpLoopback() {
  const UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock.valid()) return std::unexpected(SystemError("socket for lo"));
  ifreq request{};
  std::memcpy(request.ifr_name, "lo", 3);
  CY_CHECK(Check(::ioctl(sock.get(), SIOCGIFFLAGS, &request), "get flags of lo"));
  request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP | IFF_RUNNING);
  return Check(::ioctl(sock.get(), SIOCSIFFLAGS, &request), "bring lo up");
}

// Root mode: a new user namespace whose maps the shim (host root, in the parent namespace)
// writes. The mount namespace stays owned by the host's user namespace, so from here on
// nothing in the pod can mount, unmount or remount anything, even with namespace caps.
Result<void> EnterUserNamespace(const PodConfig& config, ShimLink& link) {
  if (!config.rootless) CY_CHECK(Check(::unshare(CLONE_NEWUSER), "unshare the user namespace"));
  if (!WriteAll(link.to_shim.get(), &kMapRequest, 1) || !Await(link.from_shim, kMapped)) {
    return Fail(Error::Code::kInternal, "the shim did not map the pod user");
  }
  return {};
}

// Changing uids clears the parent-death signal, so it is set again once they are final. The
// shim keeps its end of `from_shim` open until it exits: a hang-up there means it is gone.
Result<void> WatchShim(ShimLink& link) {
  CY_CHECK(Check(::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0), "set the parent-death signal"));
  pollfd shim{link.from_shim.get(), POLLIN, 0};
  if (::poll(&shim, 1, 0) != 0) return Fail(Error::Code::kAborted, "the shim is gone");
  link = {};
  return {};
}

// Everything between the fork and "ready". Returns the filter for the children; `workspace`
// receives the workspace's fd, kept for later holders.
Result<ChildFilter> SetUp(const PodConfig& config, ShimLink& link, UniqueFd& workspace) {
  CY_CHECK(BuildRootFs(config));
  if (!config.network) CY_CHECK(BringUpLoopback());
  CY_CHECK(Check(::sethostname(config.hostname.data(), config.hostname.size()), "sethostname"));
  workspace.Reset(::open(kWorkspace, O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!workspace.valid()) return std::unexpected(SystemError("open the workspace"));
  CY_CHECK(EnterUserNamespace(config, link));
  CY_CHECK(DropPrivileges());
  CY_CHECK(WatchShim(link));
  CY_TRY(ChildFilter filter, ChildFilter::Build());
  boost::json::object ready;
  ready["type"] = "ready";
  CY_CHECK(SendMessage(kControlFd, ready, {workspace.get()}));
  return filter;
}

}  // namespace

void ReportError(const Error& error) {
  (void)SendMessage(kControlFd, ErrorMessage(error));
  const std::string line = "codeyard-pod: " + error.ToString() + "\n";
  (void)WriteAll(STDERR_FILENO, line.data(), line.size());
}

void RunInit(const PodConfig& config, ShimLink link, UniqueFd listener) {
  // The pod lives no longer than its shim. A shim that died before this prctl shows up as
  // EOF instead of kGo (getppid() cannot tell: the shim is outside our pid namespace).
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || !Await(link.from_shim, kGo)) {
    ::_exit(1);
  }
  ::signal(SIGPIPE, SIG_IGN);  // a vanished peer must show up as EPIPE, not kill PID 1
  UniqueFd workspace;
  auto filter = SetUp(config, link, workspace);
  if (!filter) {
    ReportError(filter.error().WithContext("pod init"));
    ::_exit(1);
  }
  InitLoop loop(*filter, std::move(workspace), std::move(listener), config.orphan_timeout_ms);
  const auto result = loop.Run();
  if (!result) ReportError(result.error().WithContext("pod init"));
  ::_exit(result ? 0 : 1);
}

}  // namespace codeyard::local::pod
