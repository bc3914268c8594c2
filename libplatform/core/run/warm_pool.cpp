#include "core/run/warm_pool.hpp"

namespace codeyard::run {

PodSpec PodSpecFor(const RunLimits& limits, std::string_view purpose, std::string_view image) {
  PodSpec spec;
  spec.image = std::string(image);
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
                   std::shared_ptr<Logger> logger, size_t reuse_runs)
    : executor_(std::move(executor)),
      spec_(std::move(spec)),
      size_(size),
      logger_(std::move(logger)),
      reuse_runs_(reuse_runs) {
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
    std::unique_lock lock(mu_);
    // A used pod is ready again a millisecond or two after its reset starts: far sooner than a
    // pod started now would be (tens of milliseconds, and CPU the runs need).
    if (ready_.empty() && Reusing() && (resetting_ > 0 || !retired_.empty())) {
      filled_.wait_for(lock, std::chrono::milliseconds(200), [&] {
        return !ready_.empty() || stopping_ || !Reusing() || (resetting_ == 0 && retired_.empty());
      });
    }
    if (!ready_.empty()) {
      auto pod = std::move(ready_.front());
      ready_.pop_front();
      ++hits_;
      ++out_;
      ++runs_[pod.get()];
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
    ++out_;
    runs_[pod->get()] = 1;
  }
  return pod;
}

void WarmPool::Retire(std::shared_ptr<Pod> pod) {
  {
    std::lock_guard lock(mu_);
    if (runs_.contains(pod.get()) && out_ > 0) --out_;
    retired_.push_back(std::move(pod));
  }
  wake_.notify_all();
}

bool WarmPool::Recycle(std::unique_lock<std::mutex>& lock, const std::shared_ptr<Pod>& pod) {
  const auto it = runs_.find(pod.get());
  if (!Reusing() || stopping_ || it == runs_.end() || it->second >= reuse_runs_ ||
      ready_.size() >= size_) {
    return false;
  }
  ++resetting_;
  lock.unlock();
  auto reset = pod->Reset();
  lock.lock();
  --resetting_;
  filled_.notify_all();  // an Acquire may wait for this reset
  if (!reset) {
    if (reset.error().code() == Error::Code::kUnimplemented) {
      cannot_reset_ = true;
    } else if (logger_) {
      logger_->Warn("a used pod could not be reset; deleting it",
                    {{"pod", pod->id()}, {"error", reset.error().ToString()}});
    }
    return false;
  }
  ready_.push_front(pod);  // the warmest pod first
  return true;
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
      return stopping_ || !retired_.empty() || (ShortOfPods() && failures_in_row_ < 3);
    });
    if (stopping_) return;
    // Used pods first: a reset one is ready soonest, and deleting frees the memory and pids
    // the new pods will want.
    if (!retired_.empty()) {
      auto pod = std::move(retired_.front());
      retired_.pop_front();
      if (Recycle(lock, pod)) continue;
      runs_.erase(pod.get());
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
    filled_.notify_all();  // WaitUntilFull, and an Acquire waiting for a reset
  }
}

}  // namespace codeyard::run
