// A Process over one agent stream: an exec relayed by the agent, or an attachment to a
// terminal session (whose frames the agent relays unchanged: both use kOutput, kInput,
// kResize, kSignal and kExit, agent_protocol.hpp). Enforces the output cap here, as the
// local backend does in the library. One thread at a time, Interrupt from any.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <optional>

#include "codeyard/backend/executor.hpp"
#include "executor/agent/frame_channel.hpp"
#include "executor/local/process_plumbing.hpp"
#include "executor/local/protocol.hpp"

namespace codeyard::agent {

class AgentProcess : public Process {
 public:
  // `counted`: an exec, whose agent answers input with kTaken (a session's init takes its
  // input at its own pace instead).
  AgentProcess(std::unique_ptr<FrameChannel> channel, const ExecSpec& spec, bool stdin_open,
               bool counted);
  ~AgentProcess() override = default;

  Result<std::optional<OutputChunk>> ReadOutput(
      std::optional<std::chrono::milliseconds> timeout) override;
  Result<void> WriteStdin(std::string_view data) override;
  Result<void> CloseStdin() override;
  Result<void> QueueStdin(std::string_view data, std::size_t max_pending) override;
  void Interrupt() override;
  Result<void> Resize(TerminalSize size) override;
  Result<void> Signal(int signal) override;
  Result<ExitStatus> Wait() override;

  // The stream ended with no exit report (then the status says SIGKILL): the pod, or the way
  // to it, went away under the process. Read after ReadOutput returned the end, or Wait.
  [[nodiscard]] bool lost() const { return lost_; }

 private:
  // One frame taken in: output queued, or the end noted.
  void Take(const Frame& frame);
  // `data` as input frames (within the agent's room), counted in sent_.
  Result<void> Send(std::string_view data);
  [[nodiscard]] bool Ended() const { return report_.has_value(); }

  std::unique_ptr<FrameChannel> channel_;
  bool tty_;
  bool stdin_open_;
  std::atomic<bool> interrupted_{false};
  std::deque<OutputChunk> ready_;
  local::OutputCap cap_;
  std::optional<local::ExitReport> report_;
  std::optional<ExitStatus> final_;
  bool counted_;
  uint64_t sent_ = 0;  // input bytes sent (counted_: compared with the channel's taken())
  bool oom_killed_ = false;
  bool lost_ = false;  // the stream ended without an exit report
};

}  // namespace codeyard::agent
