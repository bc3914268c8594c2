// MakeProcessStream (codeyard/backend/agent_pod.hpp).
#include <atomic>
#include <condition_variable>
#include <mutex>

#include "codeyard/backend/agent_pod.hpp"

namespace codeyard::agent {
namespace {

// A Process is driven by one thread at a time, but a PortStream is read on one thread while
// another writes: a writer interrupts the reader's ReadOutput (Process::Interrupt, the one
// call allowed from any thread), takes the process while it writes and hands it back.
class ProcessStream : public PortStream {
 public:
  explicit ProcessStream(std::unique_ptr<Process> process) : process_(std::move(process)) {}
  ~ProcessStream() override {
    Shutdown();
    std::lock_guard lock(mu_);
    process_.reset();  // a running process is killed (Process's destructor)
  }

  Result<void> Write(std::string_view data,
                     std::optional<std::chrono::milliseconds> timeout) override {
    (void)timeout;
    auto lock = TakeFromReader();
    Result<void> written =
        shut_ ? Result<void>(Fail(Error::Code::kAborted, "the stream is shut down"))
              : process_->WriteStdin(data);
    Release(lock);
    return written;
  }

  Result<std::string> Read(std::size_t max,
                           std::optional<std::chrono::milliseconds> timeout) override {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return writers_ == 0 || shut_; });
      if (shut_) return std::string();
      if (!buffer_.empty()) break;
      auto chunk = process_->ReadOutput(timeout);
      if (!chunk && chunk.error().code() == Error::Code::kAborted) continue;  // a writer's turn
      if (!chunk) return std::unexpected(chunk.error());
      if (!*chunk) return std::string();
      if ((*chunk)->stream == OutputStream::kStdout) buffer_ += (*chunk)->data;
    }
    const size_t take = std::min(max, buffer_.size());
    std::string out = buffer_.substr(0, take);
    buffer_.erase(0, take);
    return out;
  }

  Result<void> CloseWrite() override {
    auto lock = TakeFromReader();
    auto closed = process_->CloseStdin();
    Release(lock);
    return closed;
  }

  void Shutdown() override {
    shut_ = true;
    process_->Interrupt();
    cv_.notify_all();
    // The agent reads the end of its stdin and ends what it serves.
    auto lock = TakeFromReader();
    (void)process_->CloseStdin();
    Release(lock);
  }

 private:
  std::unique_lock<std::mutex> TakeFromReader() {
    ++writers_;
    process_->Interrupt();
    return std::unique_lock(mu_);
  }
  void Release(std::unique_lock<std::mutex>& lock) {
    --writers_;
    lock.unlock();
    cv_.notify_all();
  }

  std::unique_ptr<Process> process_;
  std::mutex mu_;  // who drives the process
  std::condition_variable cv_;
  std::atomic<int> writers_{0};
  std::atomic<bool> shut_{false};
  std::string buffer_;
};

}  // namespace

std::unique_ptr<PortStream> MakeProcessStream(std::unique_ptr<Process> process) {
  return std::make_unique<ProcessStream>(std::move(process));
}

}  // namespace codeyard::agent
