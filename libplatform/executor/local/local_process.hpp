// A process running in a local pod, seen from the library: its stdio pipes (or the master
// side of its terminal), which the init handed over so output flows straight from the
// process to the caller without a copy through the init, and the per-process status
// socket on which the init reports the exit. Enforces the output cap. One thread at a time, but
// Interrupt() from any thread.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "codeyard/backend/executor.hpp"
#include "executor/local/cgroup.hpp"
#include "executor/local/process_plumbing.hpp"
#include "executor/local/protocol.hpp"

namespace codeyard::local {

struct ProcessChannels {
  int status = -1;
  int stdin_fd = -1;   // for a terminal: the pty master (also stdout_fd's twin)
  int stdout_fd = -1;  // for a terminal: the pty master
  int stderr_fd = -1;  // -1 for a terminal
  bool tty = false;
};

class LocalProcess : public Process {
 public:
  // Takes ownership of every fd in `channels`. `cgroup` (may be null) tells OOM kills apart;
  // `oom_kills_before` is its counter when the process started.
  LocalProcess(ProcessChannels channels, const ExecSpec& spec, std::shared_ptr<Cgroup> cgroup,
               uint64_t oom_kills_before);
  ~LocalProcess() override;

  Result<std::optional<OutputChunk>> ReadOutput(
      std::optional<std::chrono::milliseconds> timeout) override;
  Result<void> WriteStdin(std::string_view data) override;
  Result<void> CloseStdin() override;
  Result<void> QueueStdin(std::string_view data, std::size_t max_pending) override;
  void Interrupt() override;
  Result<void> Resize(TerminalSize size) override;
  Result<void> Signal(int signal) override;
  Result<ExitStatus> Wait() override;

 private:
  // Polls everything once; fills `chunk` with output if some arrived. Returns false on
  // timeout. Sets interrupted_ when Interrupt() woke it.
  Result<bool> PollOnce(int timeout_ms, std::optional<OutputChunk>& chunk);
  Result<void> ReadStatus();
  // True (once) after PollOnce saw Interrupt()'s wake.
  bool TakeInterrupt();
  void FlushPendingStdin();
  std::optional<OutputChunk> Accept(OutputStream stream, const char* data, size_t size);
  void CloseFd(int& fd);
  [[nodiscard]] bool OutputOpen() const { return stdout_fd_ >= 0 || stderr_fd_ >= 0; }

  int status_fd_;
  int stdin_fd_;
  int stdout_fd_;
  int stderr_fd_;
  WakeFd wake_;  // polled with the output
  bool interrupted_ = false;
  bool tty_;
  std::string pending_stdin_;  // ExecSpec::stdin_data not yet written
  bool close_stdin_after_pending_ = false;
  OutputCap cap_;
  std::shared_ptr<Cgroup> cgroup_;
  uint64_t oom_kills_before_;
  std::optional<ExitReport> report_;
  std::optional<ExitStatus> final_;
};

}  // namespace codeyard::local
