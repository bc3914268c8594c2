// Container mode's kill for Reset and shutdown (init_loop.hpp): the init may not be PID 1,
// so kill(-1) would take the agent that asked for the reset too, and "no child left" does
// not mean "no process left" (an agent is the container runtime's child, not ours). Instead
// the init lists the pod's processes in /proc and kills each but itself, PID 1 and the
// requester, until none is left. Every process there is the pod user's (a container runs
// one user, and the pid namespace is the pod's), so each may be signalled.
#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "executor/local/pod/init_loop.hpp"

namespace codeyard::local::pod {
namespace {

// A zombie has died already: only its parent's wait is left.
bool IsZombie(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;  // gone
  const auto close = line.rfind(')');
  return close == std::string::npos || close + 2 >= line.size() || line[close + 2] == 'Z';
}

// Live processes of the pod but the spared ones.
std::vector<pid_t> Others(pid_t self, pid_t spare) {
  std::vector<pid_t> out;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return out;
  // NOLINTNEXTLINE(concurrency-mt-unsafe): each call has its own DIR stream
  while (const dirent* entry = ::readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || pid <= 1) continue;
    if (pid == self || pid == spare || IsZombie(static_cast<pid_t>(pid))) continue;
    out.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(proc);
  return out;
}

}  // namespace

Result<void> InitLoop::KillOthers(pid_t spare, int64_t deadline_ms) {
  const pid_t self = ::getpid();
  while (true) {
    // Reap first: our own children's zombies would otherwise linger until the next SIGCHLD.
    int wait_status = 0;
    rusage usage{};
    pid_t pid = 0;
    while ((pid = ::wait4(-1, &wait_status, WNOHANG, &usage)) > 0) {
      OnReaped(pid, wait_status, usage);
    }
    const std::vector<pid_t> others = Others(self, spare);
    if (others.empty()) return {};
    // A process forking between the listing and the kill shows up in the next round.
    for (const pid_t other : others) ::kill(other, SIGKILL);
    if (NowMs() > deadline_ms) {
      return Fail(Error::Code::kUnavailable, "a process of the pod did not die in time (pid " +
                                                 std::to_string(others.front()) + ")");
    }
    timespec delay{0, 1000000L};
    ::nanosleep(&delay, nullptr);
  }
}

}  // namespace codeyard::local::pod
