#include "bench_pods.hpp"

#include <exception>

#include "bench_util.hpp"

namespace codeyard::bench {

PodSpec WorkspaceLikeSpec(std::string_view label) {
  PodSpec spec;
  spec.labels["bench"] = std::string(label);
  spec.limits.memory_bytes = uint64_t{256} << 20;
  spec.limits.pids = 64;
  spec.limits.workspace_bytes = uint64_t{64} << 20;
  spec.survive_owner = true;
  return spec;
}

bool ExecTrue(Pod& pod) {
  ExecSpec spec;
  spec.argv = {"true"};
  auto process = pod.Exec(spec);
  if (!process && process.error().code() == Error::Code::kUnimplemented) return false;
  const auto status = Must(Must(std::move(process), "exec")->Wait(), "wait");
  if (status.exit_code != 0) throw BenchFailed(kExitFailed, "`true` failed in the pod");
  return true;
}

void WithPod(const std::string& executor_uri,
             const std::function<void(const std::shared_ptr<Pod>&)>& body) {
  try {
    Options executor_options;
    executor_options.executor_uri = executor_uri;
    auto executor = Must(OpenExecutor(executor_options), "opening the executor");
    PodSpec spec;
    spec.limits.memory_bytes = uint64_t{512} << 20;
    spec.limits.pids = 128;
    auto pod = Must(executor->CreatePod(spec), "creating a pod");
    body(pod);
    (void)executor->DeletePod(pod->id());
  } catch (const BenchFailed&) {
    throw;
  } catch (const std::exception& e) {
    throw BenchFailed(kExitFailed, e.what());
  }
}

}  // namespace codeyard::bench
