// The init's event loop, from "ready" until the pod ends. One thread and one epoll set: the
// control sockets of the pod's holders (exec and attach requests; holders.cpp), the listening
// socket a survivable pod takes new holders on, a signalfd for SIGCHLD, one timerfd armed at the
// nearest wall-time deadline, one for the orphan timeout, and each running exec's status
// socket ("signal" requests, hang-ups). Every handler returns quickly; the only blocking wait is
// the few milliseconds between fork and exec of a child. As PID 1 it also reaps the orphans the pod
// leaves.
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

// Adds `fd` to the epoll set for reading, reported under `key`.
[[nodiscard]] Result<void> Watch(int epoll, int fd, uint64_t key);

class InitLoop {
 public:
  // `listener`: the control socket a survivable pod takes holders on, or invalid
  // (protocol.hpp); `orphan_timeout_ms`: how long it lives with none (0: forever).
  InitLoop(const ChildFilter& filter, UniqueFd workspace, UniqueFd listener,
           uint64_t orphan_timeout_ms)
      : filter_(filter),
        workspace_(std::move(workspace)),
        listener_(std::move(listener)),
        orphan_timeout_ms_(orphan_timeout_ms),
        sessions_(filter) {}

  // Container mode (container.hpp): a container runtime made the sandbox and this init may
  // not be PID 1. No start-up holder (kControlFd): holders connect on the listener only, and
  // the pod ends on SIGTERM; Reset kills the pod user's processes one by one, sparing the
  // holder that asked (an agent, agent.hpp), instead of PID 1's kill(-1). Call before Run.
  void SetContainerMode() { container_ = true; }

  // Serves the holders until the pod ends, then kills every other process of the pod. A pod
  // without a listener ends when kControlFd closes (or fails); one with a listener when it
  // has had no holder for the orphan timeout. An error means the loop itself broke (epoll,
  // signalfd).
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
  [[nodiscard]] bool OnControl(int fd);  // false when that holder is gone

  // Holders (holders.cpp). Each control socket is one holder, watched under its own key.
  [[nodiscard]] Result<void> OpenHolders();
  [[nodiscard]] static bool IsHolderKey(uint64_t key);
  // A holder's control socket is readable: false when the pod must end (its last holder
  // went away and nothing can take its place).
  [[nodiscard]] bool OnHolder(uint64_t key);
  void OnListener();     // a new holder connects
  void OnOrphanTimer();  // true orphan: the loop ends
  void ArmOrphanTimer(bool armed);
  void OnExec(Message message);
  void OnStatus(uint64_t id);
  void OnChildren();
  // One reaped child: a session's shell, an exec (its exit report), or an orphan.
  void OnReaped(pid_t pid, int wait_status, const rusage& usage);
  // {"type":"reset"} with one fd to answer on (reset.cpp): every other process of the pod
  // killed and reaped, the scratch directories emptied, then {"type":"reset"} or an error.
  void OnReset(Message message);
  // {"type":"usage"} with one fd to answer on (pod_cpu.cpp): {"type":"usage","cpu_ms":N},
  // the pod's CPU counter (pod_cpu.hpp).
  void OnUsage(Message message);
  // Container mode's kill for Reset: every process of the pod but this one and `spare`,
  // reaping children as they die, until none is left or the deadline passes.
  [[nodiscard]] Result<void> KillOthers(pid_t spare, int64_t deadline_ms);
  // Every other process of the pod, at the end (container mode: not PID 1's kill(-1) alone).
  void KillAll();
  void OnTimer();
  void ArmTimer();
  void Report(Exec& exec, int wait_status, const rusage& usage);
  void Forget(Exec& exec);  // stops watching and closes the status socket

  const ChildFilter& filter_;
  UniqueFd workspace_;
  UniqueFd listener_;
  uint64_t orphan_timeout_ms_ = 0;
  UniqueFd epoll_;
  UniqueFd signals_;
  UniqueFd timer_;
  UniqueFd orphan_timer_;
  bool orphaned_ = false;                 // the orphan timer fired: the loop ends
  uint64_t next_holder_ = 0;              // serial of the next holder key
  std::map<uint64_t, UniqueFd> holders_;  // by key; kControlFd's entry holds no fd
  uint64_t next_id_ = 1;
  std::map<uint64_t, Exec> execs_;  // by a serial id, never reused (unlike pids)
  SessionTable sessions_;           // detachable terminals ("attach" messages)
  bool container_ = false;
  bool terminated_ = false;  // container mode: SIGTERM came, the loop ends
  pid_t requester_ = 0;      // container mode: the peer of the holder whose message is served
};

}  // namespace codeyard::local::pod
