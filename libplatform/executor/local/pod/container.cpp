#include "executor/local/pod/container.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <string>

#include "core/try.hpp"
#include "executor/local/pod/agent_protocol.hpp"
#include "executor/local/pod/init_loop.hpp"

namespace codeyard::local::pod {
namespace {

void Log(const std::string& text) {
  const std::string line = "codeyard-pod container: " + text + "\n";
  (void)WriteAll(STDOUT_FILENO, line.data(), line.size());
}

// The abstract socket lives in the pod's network namespace: only the pod's own processes can
// reach it, and they all run as the pod's user, who may already do whatever the init does
// for an agent (start processes, kill them, empty the workspace). The init also checks each
// peer's uid (init_loop.cpp). Nothing on the file system: Reset empties /tmp freely, and a
// read-only root works.
Result<UniqueFd> Listen() {
  UniqueFd listener(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!listener.valid()) return std::unexpected(SystemError("socket"));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path + 1, kAgentSocket.data(), kAgentSocket.size());
  const auto length =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + kAgentSocket.size());
  CY_CHECK(Check(::bind(listener.get(), reinterpret_cast<const sockaddr*>(&address), length),
                 "bind the control socket @" + std::string(kAgentSocket)));
  CY_CHECK(Check(::listen(listener.get(), 64), "listen on the control socket"));
  return listener;
}

Result<void> Run() {
  ::signal(SIGPIPE, SIG_IGN);  // a vanished agent must show up as EPIPE
  CY_CHECK(Check(::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "become a child subreaper"));
  UniqueFd workspace(::open(kWorkspace, O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!workspace.valid()) return std::unexpected(SystemError("open the workspace"));
  CY_TRY(UniqueFd listener, Listen());
  CY_TRY(ChildFilter filter, ChildFilter::Build());
  InitLoop loop(filter, std::move(workspace), std::move(listener), 0);
  loop.SetContainerMode();
  Log("started (pid " + std::to_string(::getpid()) + ", uid " + std::to_string(::getuid()) + ")");
  return loop.Run();
}

}  // namespace

int RunContainer() {
  const auto result = Run();
  if (!result) {
    Log("failed: " + result.error().ToString());
    return 1;
  }
  Log("stopped");
  return 0;
}

}  // namespace codeyard::local::pod
