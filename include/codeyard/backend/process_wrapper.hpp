// ProcessWrapper: forwards every call of a Process (codeyard/backend/executor.hpp) to a target
// process, the companion of ExecutorWrapper and PodWrapper. Derive and override one method to
// watch a process: the Platform counts seccomp kills by overriding Wait, usage metering
// records a process's accounting the same way.
// Threading: the same as the target's; the wrapper adds no state and no locking of its own.
#pragma once

#include <memory>
#include <utility>

#include "codeyard/backend/executor.hpp"

namespace codeyard {

class ProcessWrapper : public Process {
 public:
  explicit ProcessWrapper(std::unique_ptr<Process> target) : target_(std::move(target)) {}

  [[nodiscard]] Process& target() const { return *target_; }

  Result<std::optional<OutputChunk>> ReadOutput(
      std::optional<std::chrono::milliseconds> timeout) override {
    return target_->ReadOutput(timeout);
  }
  Result<void> WriteStdin(std::string_view data) override { return target_->WriteStdin(data); }
  Result<void> CloseStdin() override { return target_->CloseStdin(); }
  Result<void> QueueStdin(std::string_view data, std::size_t max_pending) override {
    return target_->QueueStdin(data, max_pending);
  }
  void Interrupt() override { target_->Interrupt(); }
  Result<void> Resize(TerminalSize size) override { return target_->Resize(size); }
  Result<void> Signal(int signal) override { return target_->Signal(signal); }
  Result<ExitStatus> Wait() override { return target_->Wait(); }

 private:
  std::unique_ptr<Process> target_;
};

}  // namespace codeyard
