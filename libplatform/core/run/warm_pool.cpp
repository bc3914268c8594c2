#include "core/run/warm_pool.hpp"

namespace codeyard::run {

PodSpec PodSpecFor(const RunLimits& limits, std::string_view purpose) {
  PodSpec spec;
  spec.labels["codeyard.dev/purpose"] = std::string(purpose);
  spec.limits.memory_bytes = limits.memory_bytes;
  spec.limits.pids = limits.pids;
  spec.limits.cpus = limits.cpus;
  spec.limits.workspace_bytes = limits.disk_bytes;
  spec.limits.tmp_bytes = limits.disk_bytes;
  spec.limits.file_bytes = limits.file_bytes;
  spec.limits.open_files = 256;
  return spec;
}

WarmPool::WarmPool(std::shared_ptr<Executor> executor, PodSpec spec, size_t size,
                   std::shared_ptr<Logger> logger)
    : executor_(std::move(executor)),
      spec_(std::move(spec)),
      size_(size),
      logger_(std::move(logger)) {
  thread_ = std::thread([this] { Loop(); });
}

WarmPool::~WarmPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  for (auto& pod : ready_) (void)executor_->DeletePod(pod->id());
  for (auto& pod : retired_) (void)executor_->DeletePod(pod->id());
}

Result<std::shared_ptr<Pod>> WarmPool::Acquire() {
  {
    std::lock_guard lock(mu_);
    if (!ready_.empty()) {
      auto pod = std::move(ready_.front());
      ready_.pop_front();
      ++hits_;
      wake_.notify_all();
      return pod;
    }
    ++misses_;
  }
  wake_.notify_all();
  auto pod = executor_->CreatePod(spec_);
  if (pod) {
    std::lock_guard lock(mu_);
    failures_in_row_ = 0;  // the host can start pods again: let the refill resume
  }
  return pod;
}

void WarmPool::Retire(std::shared_ptr<Pod> pod) {
  {
    std::lock_guard lock(mu_);
    retired_.push_back(std::move(pod));
  }
  wake_.notify_all();
}

bool WarmPool::WaitUntilFull(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return filled_.wait_for(lock, timeout, [&] { return ready_.size() >= size_; });
}

PoolStats WarmPool::stats() const {
  std::lock_guard lock(mu_);
  return PoolStats{hits_, misses_, ready_.size()};
}

void WarmPool::Loop() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [&] {
      return stopping_ || !retired_.empty() || (ready_.size() < size_ && failures_in_row_ < 3);
    });
    if (stopping_) return;
    // Deleting first frees the memory and pids the new pods will want.
    if (!retired_.empty()) {
      auto pod = std::move(retired_.front());
      retired_.pop_front();
      lock.unlock();
      (void)executor_->DeletePod(pod->id());
      pod.reset();
      lock.lock();
      continue;
    }
    lock.unlock();
    auto pod = executor_->CreatePod(spec_);
    lock.lock();
    if (!pod) {
      // Do not spin on a host that cannot start pods; a later Acquire (a miss) retries.
      ++failures_in_row_;
      if (logger_)
        logger_->Warn("warm pool cannot start a pod", {{"error", pod.error().ToString()}});
      continue;
    }
    failures_in_row_ = 0;
    if (stopping_) {
      lock.unlock();
      (void)executor_->DeletePod((*pod)->id());
      return;
    }
    ready_.push_back(std::move(*pod));
    if (ready_.size() >= size_) filled_.notify_all();
  }
}

}  // namespace codeyard::run
