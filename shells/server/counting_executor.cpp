#include "counting_executor.hpp"

namespace codeyard::server {

Result<std::shared_ptr<Pod>> CountingExecutor::CreatePod(const PodSpec& spec) {
  auto pod = ExecutorWrapper::CreatePod(spec);
  if (pod) {
    const std::lock_guard lock(mu_);
    live_.insert((*pod)->id());
  }
  return pod;
}

Result<void> CountingExecutor::DeletePod(std::string_view id) {
  auto deleted = ExecutorWrapper::DeletePod(id);
  // A failed delete of a pod that is gone anyway (kNotFound) still ends it.
  if (deleted || deleted.error().code() == Error::Code::kNotFound) {
    const std::lock_guard lock(mu_);
    const auto it = live_.find(id);
    if (it != live_.end()) live_.erase(it);
  }
  return deleted;
}

std::size_t CountingExecutor::live_pods() const {
  const std::lock_guard lock(mu_);
  return live_.size();
}

}  // namespace codeyard::server
