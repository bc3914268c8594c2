// The plumbing LocalProcess (a process's own pipes or terminal) and LocalSession (a stream to
// the init's terminal session) share: descriptors read without blocking, Interrupt()'s wake,
// poll(2) and ReadOutput's deadline, the output cap, the checks on what a caller asks, and
// the exit status built from the init's report. Each piece belongs to one Process and follows
// its threading rule (one thread at a time), except WakeFd::Signal, which any thread may call.
#pragma once

#include <poll.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "codeyard/backend/executor.hpp"
#include "executor/local/cgroup.hpp"
#include "executor/local/protocol.hpp"

namespace codeyard::local {

// Sets O_NONBLOCK on `fd` (nothing for -1).
void SetNonBlocking(int fd);

// One read(2) into `buffer`: the bytes read, an empty view when nothing is there yet, or
// nullopt at the end: EOF, or an error such as the EIO a terminal's master reports once
// every holder of the slave is gone.
std::optional<std::string_view> ReadSome(int fd, char* buffer, std::size_t size);

// poll(2), retried on EINTR: how many descriptors are ready (0: the timeout passed).
Result<int> Poll(pollfd* fds, nfds_t count, int timeout_ms);

// What Interrupt() signals: an eventfd polled beside the process's descriptors.
class WakeFd {
 public:
  WakeFd();
  ~WakeFd();
  WakeFd(const WakeFd&) = delete;
  WakeFd& operator=(const WakeFd&) = delete;

  [[nodiscard]] int fd() const { return fd_; }
  // Wakes the poll. Any thread.
  void Signal();
  // Consumes the wake once poll saw it.
  void Drain();

 private:
  int fd_;
};

// ReadOutput's timeout: none (wait for ever), or a point in time.
class Deadline {
 public:
  explicit Deadline(std::optional<std::chrono::milliseconds> timeout);
  // What poll waits: -1 without a timeout, else the milliseconds left (at least 0).
  [[nodiscard]] int PollMs() const;
  // Never without a timeout.
  [[nodiscard]] bool Passed() const;

 private:
  std::optional<std::chrono::steady_clock::time_point> at_;
};

// ExecSpec's output cap over all of a process's output.
class OutputCap {
 public:
  explicit OutputCap(const ExecSpec& spec)
      : limit_(spec.output_limit_bytes), kill_on_limit_(spec.kill_on_output_limit) {}
  // How many of `size` new bytes are kept. Sets *kill (once) when the cap is reached and the
  // spec asks for the process to be killed then.
  [[nodiscard]] std::size_t Keep(std::size_t size, bool* kill);
  [[nodiscard]] bool truncated() const { return truncated_; }

 private:
  uint64_t limit_;
  bool kill_on_limit_;
  uint64_t seen_ = 0;
  bool truncated_ = false;
  bool kill_sent_ = false;
};

// kInvalidArgument unless `signal` is a signal number (Process::Signal).
Result<void> CheckSignal(int signal);
// kResourceExhausted when `more` bytes on top of `pending` would pass `max_pending`
// (Process::QueueStdin).
Result<void> CheckStdinRoom(std::size_t pending, std::size_t more, std::size_t max_pending);

// The status Wait() returns for the init's `report`: a SIGKILL while the pod's cgroup counted
// a new OOM kill (past `oom_kills_before`) is an OOM kill, with the cgroup's peak as memory.
ExitStatus StatusFromReport(const ExitReport& report, bool output_truncated,
                            const std::shared_ptr<Cgroup>& cgroup, uint64_t oom_kills_before);

}  // namespace codeyard::local
