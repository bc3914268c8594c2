// A fixed set of threads that run blocking work (storage, exec) for the HTTP service thread,
// which must never block. The queue is bounded: when it is full, TrySubmit refuses the task
// and the caller answers 503 instead of buffering without limit. Thread-safe; Shutdown runs
// the tasks already queued, then joins every thread.
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
  // Starts `threads` threads (at least one) that accept up to `max_queued` waiting tasks.
  WorkerPool(int threads, std::size_t max_queued);
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool();  // Shutdown()

  // Queues `task` to run on some worker. Returns false, without running it, when the queue
  // is full or the pool is shutting down. A task must not throw.
  [[nodiscard]] bool TrySubmit(std::function<void()> task);

  // Stops accepting tasks, runs the queued ones, joins the threads. Idempotent; must not be
  // called from a worker.
  void Shutdown();

 private:
  void Run();

  const std::size_t max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace codeyard::server
