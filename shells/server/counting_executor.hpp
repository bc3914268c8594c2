// An ExecutorWrapper that knows how many pods this server process has running: those it
// created through the wrapper (workspace pods, the warm pool's, one-shot compile and run pods)
// and has not deleted yet. It is the source of codeyard_pods_running; counting here costs a
// set insert per pod and works the same over every executor backend, whereas asking the
// backend (ListPods) would scan the local state directory or call the Kubernetes API at every
// scrape and would also see other replicas' pods. Thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "codeyard/backend/executor.hpp"

namespace codeyard::server {

class CountingExecutor : public ExecutorWrapper {
 public:
  explicit CountingExecutor(std::shared_ptr<Executor> target)
      : ExecutorWrapper(std::move(target)) {}

  Result<std::shared_ptr<Pod>> CreatePod(const PodSpec& spec) override;
  Result<void> DeletePod(std::string_view id) override;

  // Pods created through this wrapper and not deleted through it.
  [[nodiscard]] std::size_t live_pods() const;

 private:
  mutable std::mutex mu_;
  std::set<std::string, std::less<>> live_;
};

}  // namespace codeyard::server
