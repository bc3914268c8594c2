// A backend of one's own through the Options registry: an executor wrapper that logs every
// pod it creates and deletes, registered under its own scheme ("logged+local:") and named by
// URI like any built-in backend, then used by the whole service graph. Prints the calls seen.
//   build/bin/example_custom_backend [DATA_DIR]
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "codeyard/backend/executor.hpp"
#include "codeyard/backend/registry.hpp"
#include "codeyard/codeyard.hpp"

namespace {

// Forwards everything to the executor it wraps (ExecutorWrapper), counting and logging pods.
class LoggingExecutor : public codeyard::ExecutorWrapper {
 public:
  using ExecutorWrapper::ExecutorWrapper;
  codeyard::Result<std::shared_ptr<codeyard::Pod>> CreatePod(
      const codeyard::PodSpec& spec) override {
    auto pod = ExecutorWrapper::CreatePod(spec);
    std::printf("[logged] CreatePod -> %s\n", pod ? (*pod)->id().c_str() : "error");
    ++created;
    return pod;
  }
  codeyard::Result<void> DeletePod(std::string_view id) override {
    std::printf("[logged] DeletePod %.*s\n", static_cast<int>(id.size()), id.data());
    ++deleted;
    return ExecutorWrapper::DeletePod(id);
  }
  std::string scheme() const override { return "logged+local"; }
  static inline std::atomic<int> created{0};
  static inline std::atomic<int> deleted{0};
};

}  // namespace

int main(int argc, char** argv) {
  codeyard::Config config;
  if (argc > 1) {
    config.data_dir = argv[1];
  } else {
    char dir[] = "/tmp/codeyard-custom-XXXXXX";
    if (mkdtemp(dir) == nullptr) return std::perror("mkdtemp"), 1;
    config.data_dir = dir;
  }
  codeyard::Options options = codeyard::OptionsFrom(config);
  // "logged+local:?..." opens the built-in local executor with the rest of the URI, wrapped.
  options.registry.RegisterExecutor(
      "logged+local",
      [](std::string_view uri, const codeyard::BackendContext& context)
          -> codeyard::Result<std::shared_ptr<codeyard::Executor>> {
        auto inner = codeyard::BackendRegistry::WithBuiltins().OpenExecutor(
            uri.substr(std::string_view("logged+").size()), context);
        if (!inner) return codeyard::Fail(inner.error());
        return std::make_shared<LoggingExecutor>(std::move(*inner));
      });
  options.executor_uri = "logged+" + options.executor_uri;  // "logged+local:?state_dir=..."
  codeyard::ServiceOptions service_options = codeyard::ServiceOptionsFrom(config);
  service_options.accounts.secret = "a secret of at least thirty-two bytes, for the example";
  service_options.runner.pool_size = 0;  // no warm pods: every pod is one the example asked for

  auto services = codeyard::Services::Open(options, std::move(service_options));
  if (!services) return std::fprintf(stderr, "open: %s\n", services.error().ToString().c_str()), 1;
  codeyard::Services& s = **services;
  std::printf("executor scheme: %s\n", s.executor().scheme().c_str());
  auto user = s.accounts().Register({"grace", "correct horse battery", "", {}});
  if (!user) return std::fprintf(stderr, "register: %s\n", user.error().ToString().c_str()), 1;
  auto ws = s.workspaces().Create(user->id, "logged");
  if (!ws) return std::fprintf(stderr, "workspace: %s\n", ws.error().ToString().c_str()), 1;
  codeyard::ExecSpec spec;
  spec.argv = {"echo", "through the wrapper"};
  auto ran = s.workspaces().Exec(user->id, ws->id, spec);
  if (!ran) return std::fprintf(stderr, "exec: %s\n", ran.error().ToString().c_str()), 1;
  std::fputs(ran->stdout_data.c_str(), stdout);
  if (auto stopped = s.workspaces().Stop(user->id, ws->id); !stopped) {
    return std::fprintf(stderr, "stop: %s\n", stopped.error().ToString().c_str()), 1;
  }
  std::printf("pods created %d, deleted %d\n", LoggingExecutor::created.load(),
              LoggingExecutor::deleted.load());
  return LoggingExecutor::created > 0 && LoggingExecutor::deleted > 0 ? 0 : 1;
}
