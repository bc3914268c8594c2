// The init's event loop, from "ready" until the library hangs up. One thread and one epoll
// set: the control socket (exec and attach requests), a signalfd for SIGCHLD, one timerfd armed at
// the nearest wall-time deadline, and each running exec's status socket ("signal" requests,
// hang-ups). Every handler returns quickly; the only blocking wait is the few milliseconds
// between fork and exec of a child. As PID 1 it also reaps the orphans the pod leaves.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>

#include "codeyard/error.hpp"
#include "executor/local/pod/seccomp_filter.hpp"
#include "executor/local/pod/session.hpp"
#include "executor/local/pod/sys.hpp"
#include "executor/local/protocol.hpp"

namespace codeyard::local::pod {

class InitLoop {
 public:
  // `adopt`: the listening socket of an adoptable pod, or invalid (protocol.hpp).
  InitLoop(const ChildFilter& filter, UniqueFd workspace, UniqueFd adopt)
      : filter_(filter),
        workspace_(std::move(workspace)),
        adopt_(std::move(adopt)),
        sessions_(filter) {}

  // Serves kControlFd until it closes (or fails), then kills every other process of the
  // pod; an adoptable pod instead waits for its next library on the adopt socket. An error
  // means the loop itself broke (epoll, signalfd).
  [[nodiscard]] Result<void> Run();

 private:
  struct Exec {
    pid_t pid = 0;
    UniqueFd status;  // invalid once the library hung up: no exit report then
    int64_t start_ms = 0;
    std::optional<int64_t> deadline_ms;
    std::optional<int64_t> cpu_limit_ms;
    bool timed_out = false;
  };

  [[nodiscard]] Result<void> Open();
  [[nodiscard]] bool OnControl();  // false when the library is gone
  // The library is gone: true if the pod waits for an adopter instead of ending.
  [[nodiscard]] bool AwaitAdopter();
  void OnAdopter();
  void OnExec(Message message);
  void OnStatus(uint64_t id);
  void OnChildren();
  void OnTimer();
  void ArmTimer();
  void Report(Exec& exec, int wait_status, const rusage& usage);
  void Forget(Exec& exec);  // stops watching and closes the status socket

  const ChildFilter& filter_;
  UniqueFd workspace_;
  UniqueFd adopt_;
  UniqueFd epoll_;
  UniqueFd signals_;
  UniqueFd timer_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, Exec> execs_;  // by a serial id, never reused (unlike pids)
  SessionTable sessions_;           // detachable terminals ("attach" messages)
};

}  // namespace codeyard::local::pod
