#include "executor/agent_fixture.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "codeyard/backend/registry.hpp"

namespace codeyard::testing {
namespace {

using namespace std::chrono_literals;

// A Process is driven by one thread at a time, but a PortStream is read on one thread while
// another writes: a writer interrupts the reader's ReadOutput (Process::Interrupt, the one
// call allowed from any thread), takes the process while it writes and hands it back.
class ProcessStream : public PortStream {
 public:
  explicit ProcessStream(std::unique_ptr<Process> process) : process_(std::move(process)) {}
  ~ProcessStream() override {
    Shutdown();
    std::lock_guard lock(mu_);
    process_.reset();  // closes the agent's stdin and status: the local init kills it
  }

  Result<void> Write(std::string_view data,
                     std::optional<std::chrono::milliseconds> timeout) override {
    (void)timeout;
    auto lock = TakeFromReader();
    if (shut_) return Fail(Error::Code::kAborted, "the stream is shut down");
    auto written = process_->WriteStdin(data);
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

std::unique_ptr<PortStream> ProcessAsStream(std::unique_ptr<Process> process) {
  return std::make_unique<ProcessStream>(std::move(process));
}

std::string PodBinary() { return CODEYARD_POD_BIN; }

std::string AgentLocalUri(const std::string& state_dir) {
  const std::string bin = std::filesystem::path(PodBinary()).parent_path().string();
  return "local:?state_dir=" + state_dir + "&ro_bind=" + bin;
}

agent::StreamOpener OpenerFor(std::shared_ptr<Pod> local) {
  return [local](std::vector<std::string> argv) -> Result<std::unique_ptr<PortStream>> {
    ExecSpec spec;
    spec.argv = std::move(argv);
    spec.stdin_open = true;
    spec.output_limit_bytes = ~uint64_t{0};  // the stream carries what the agent relays
    spec.kill_on_output_limit = false;
    auto process = local->Exec(spec);
    if (!process) return std::unexpected(process.error());
    return ProcessAsStream(std::move(*process));
  };
}

ContainerPod StartContainer(std::shared_ptr<Pod> local, PodInfo info) {
  ContainerPod pod;
  pod.local = local;
  ExecSpec spec;
  spec.argv = {PodBinary(), "container"};
  spec.stdin_open = true;  // held open: the init lives as long as this Process
  auto init = local->Exec(spec);
  if (!init) FAIL("start the container init: " << init.error().ToString());
  pod.init = std::move(*init);
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (pod.init_log.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    REQUIRE(left.count() > 0);
    auto chunk = pod.init->ReadOutput(left);
    REQUIRE(chunk.has_value());
    if (!*chunk) FAIL("the container init ended: " << pod.init_log);
    pod.init_log += (*chunk)->data;
  }
  REQUIRE(pod.init_log.find("started") != std::string::npos);
  info.id = local->id();
  agent::AgentPodOptions options;
  options.pod_binary = PodBinary();
  pod.agent = agent::MakeAgentPod(std::move(info), OpenerFor(local), options);
  return pod;
}

}  // namespace codeyard::testing
