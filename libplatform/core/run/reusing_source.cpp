// Pods reused across the runs of one prepared program, reset between them (prepared.hpp).
#include <deque>
#include <mutex>

#include "core/run/prepared.hpp"

namespace codeyard::run {
namespace {

class ReusingSource final : public PodSource {
 public:
  ReusingSource(std::unique_ptr<PodSource> fresh,
                std::function<std::unique_ptr<PodSource>()> fallback,
                std::shared_ptr<Logger> logger)
      : fresh_(std::move(fresh)), make_fallback_(std::move(fallback)), logger_(std::move(logger)) {}

  ~ReusingSource() override {
    for (auto& pod : idle_) fresh_->Release(std::move(pod));
  }

  Result<std::shared_ptr<Pod>> Acquire() override {
    PodSource* source = nullptr;
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        auto pod = std::move(idle_.front());
        idle_.pop_front();
        return pod;
      }
      source = fallback_ ? fallback_.get() : fresh_.get();
    }
    return source->Acquire();
  }

  // The reset runs here, on the run's path: it is what makes the pod fit for the next run,
  // and it costs far less than the pod start it saves (docs/benchmarks.md).
  void Release(std::shared_ptr<Pod> pod) override {
    {
      std::lock_guard lock(mu_);
      if (fallback_) return fallback_->Release(std::move(pod));
    }
    auto reset = pod->Reset();
    std::lock_guard lock(mu_);
    if (reset) {
      idle_.push_back(std::move(pod));
      return;
    }
    if (reset.error().code() == Error::Code::kUnimplemented) {
      if (!fallback_) fallback_ = make_fallback_();
    } else if (logger_) {
      logger_->Warn("a pod could not be reset; deleting it",
                    {{"pod", pod->id()}, {"error", reset.error().ToString()}});
    }
    fresh_->Release(std::move(pod));
  }

 private:
  std::mutex mu_;
  std::unique_ptr<PodSource> fresh_;
  std::function<std::unique_ptr<PodSource>()> make_fallback_;
  std::unique_ptr<PodSource> fallback_;  // set once: the executor cannot reset
  std::shared_ptr<Logger> logger_;
  std::deque<std::shared_ptr<Pod>> idle_;  // reset, waiting for the next run
};

}  // namespace

std::unique_ptr<PodSource> MakeReusingSource(std::unique_ptr<PodSource> fresh,
                                             std::function<std::unique_ptr<PodSource>()> fallback,
                                             std::shared_ptr<Logger> logger) {
  return std::make_unique<ReusingSource>(std::move(fresh), std::move(fallback), std::move(logger));
}

}  // namespace codeyard::run
