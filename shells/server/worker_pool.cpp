#include "worker_pool.hpp"

#include <pthread.h>

#include <algorithm>
#include <utility>

namespace codeyard::server {

WorkerPool::WorkerPool(int threads, std::size_t max_queued, const char* name)
    : capacity_(static_cast<std::size_t>(std::max(threads, 1)) + max_queued) {
  const int n = std::max(threads, 1);
  threads_.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    threads_.emplace_back([this, name] {
      (void)pthread_setname_np(pthread_self(), name);
      Run();
    });
  }
}

WorkerPool::~WorkerPool() { Shutdown(); }

bool WorkerPool::TrySubmit(Task task) {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() + running_ >= capacity_) return false;
    queue_.push_back(std::move(task));
    // A busy thread takes the task when it is done; wake one only if more tasks wait than
    // threads are awake to take them (a wake costs a futex call and a context switch).
    wake = waiting_ > 0 && queue_.size() > threads_.size() - waiting_ - running_;
  }
  if (wake) cv_.notify_one();
  return true;
}

std::size_t WorkerPool::load() const {
  std::lock_guard lock(mu_);
  return queue_.size() + running_;
}

void WorkerPool::Shutdown() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void WorkerPool::Run() {
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mu_);
      ++waiting_;
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      --waiting_;
      if (queue_.empty()) return;  // stopping and drained
      task = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    task();
    task = nullptr;  // what the task holds (a request body's budget) goes before it counts free
    std::lock_guard lock(mu_);
    --running_;
  }
}

}  // namespace codeyard::server
