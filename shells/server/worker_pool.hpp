// A fixed set of threads that run blocking work for the HTTP service thread, which must never
// block. Capacity is bounded: a pool holds at most `threads + max_queued` tasks (running or
// waiting), and TrySubmit refuses beyond that, so the caller answers 503 at once instead of
// buffering without limit. The server keeps two: request workers for quick work and a
// long-work pool (max_queued 0) whose tasks wait on pods. Thread-safe; Shutdown runs the tasks
// already queued, then joins every thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace codeyard::server {

class WorkerPool {
 public:
  using Task = std::move_only_function<void()>;

  // Starts `threads` threads (at least one) that accept up to `max_queued` waiting tasks
  // beyond those running. `name` (at most 15 bytes) names the threads for top -H, perf and
  // /proc/PID/task/TID/comm.
  WorkerPool(int threads, std::size_t max_queued, const char* name);
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool();  // Shutdown()

  // Queues `task` to run on some worker. Returns false, without running it, when the pool
  // is at capacity or shutting down. A task must not throw.
  [[nodiscard]] bool TrySubmit(Task task);

  // Tasks running or waiting now.
  [[nodiscard]] std::size_t load() const;

  // Stops accepting tasks, runs the queued ones, joins the threads. Idempotent; must not be
  // called from a worker.
  void Shutdown();

 private:
  void Run();

  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;
  std::size_t running_ = 0;
  std::size_t waiting_ = 0;  // threads asleep on cv_
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace codeyard::server
