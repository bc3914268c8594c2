// A pool of pods started ahead of time for one-shot runs, all made from one PodSpec. A
// background thread keeps `size` pods ready and deletes used ones, so neither start-up
// nor clean-up sits on a run's critical path. Each pod is handed out once. Works over any
// Executor. Thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "codeyard/backend/executor.hpp"
#include "codeyard/log.hpp"
#include "codeyard/run.hpp"

namespace codeyard::run {

class WarmPool {
 public:
  WarmPool(std::shared_ptr<Executor> executor, PodSpec spec, size_t size,
           std::shared_ptr<Logger> logger);
  WarmPool(const WarmPool&) = delete;
  WarmPool& operator=(const WarmPool&) = delete;
  ~WarmPool();

  // A ready pod if there is one (a hit), else a newly created one (a miss).
  Result<std::shared_ptr<Pod>> Acquire();

  // Hands a used pod back for deletion in the background.
  void Retire(std::shared_ptr<Pod> pod);

  bool WaitUntilFull(std::chrono::milliseconds timeout);
  [[nodiscard]] PoolStats stats() const;
  [[nodiscard]] const PodSpec& spec() const { return spec_; }

 private:
  void Loop();

  std::shared_ptr<Executor> executor_;
  PodSpec spec_;
  size_t size_;
  std::shared_ptr<Logger> logger_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable filled_;
  std::deque<std::shared_ptr<Pod>> ready_;
  std::deque<std::shared_ptr<Pod>> retired_;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
  int failures_in_row_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

// The PodSpec a run with these limits gets.
PodSpec PodSpecFor(const RunLimits& limits, std::string_view purpose);

}  // namespace codeyard::run
