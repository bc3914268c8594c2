// A pool of pods started ahead of time for one-shot runs, all made from one PodSpec. A
// background thread keeps `size` pods ready and deletes used ones, so neither start-up
// nor clean-up sits on a run's critical path. A pod serves up to `reuse_runs` runs: between
// them the thread resets it (Pod::Reset) and hands it out again, which costs a fraction of a
// pod start; one whose reset fails, or that served its runs, is deleted. Works over any
// Executor (one that cannot reset gets fresh pods). Thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
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
           std::shared_ptr<Logger> logger, size_t reuse_runs = 1);
  WarmPool(const WarmPool&) = delete;
  WarmPool& operator=(const WarmPool&) = delete;
  ~WarmPool();

  // A ready pod if there is one (a hit), else a newly created one (a miss).
  Result<std::shared_ptr<Pod>> Acquire();

  // Hands a used pod back, for a reset or its deletion in the background.
  void Retire(std::shared_ptr<Pod> pod);

  bool WaitUntilFull(std::chrono::milliseconds timeout);
  [[nodiscard]] PoolStats stats() const;
  [[nodiscard]] const PodSpec& spec() const { return spec_; }

 private:
  void Loop();
  // Resets a used pod back into ready_ (lock held on entry and exit; released meanwhile).
  // False: it goes (served its runs, the pool is full, or the reset failed).
  bool Recycle(std::unique_lock<std::mutex>& lock, const std::shared_ptr<Pod>& pod);
  [[nodiscard]] bool Reusing() const { return reuse_runs_ > 1 && !cannot_reset_; }
  // Pods the thread should start: used pods that come back count when they are reused.
  [[nodiscard]] bool ShortOfPods() const {
    return ready_.size() + (Reusing() ? out_ + retired_.size() : 0) < size_;
  }

  std::shared_ptr<Executor> executor_;
  PodSpec spec_;
  size_t size_;
  std::shared_ptr<Logger> logger_;
  size_t reuse_runs_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable filled_;
  std::deque<std::shared_ptr<Pod>> ready_;
  std::deque<std::shared_ptr<Pod>> retired_;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
  int failures_in_row_ = 0;
  std::map<const Pod*, size_t> runs_;  // runs served by each pod handed out at least once
  size_t resetting_ = 0;               // resets in progress: an Acquire waits for them
  size_t out_ = 0;                     // handed out, not yet retired: they come back
  bool cannot_reset_ = false;          // the executor said kUnimplemented once
  bool stopping_ = false;
  std::thread thread_;
};

// The PodSpec a run with these limits gets, on `image` ("" = the executor's default).
PodSpec PodSpecFor(const RunLimits& limits, std::string_view purpose, std::string_view image = {});

}  // namespace codeyard::run
