#include "codeyard/platform.hpp"

#include <atomic>
#include <csignal>
#include <mutex>
#include <set>

#include "codeyard/backend/process_wrapper.hpp"
#include "codeyard/backend/schema.hpp"
#include "codeyard/health_stats.hpp"

namespace codeyard {

namespace {

// Counters shared by the executor wrapper and the pods and processes it hands out, which may
// outlive it.
struct PodEvents {
  std::atomic<uint64_t> create_failures{0};
  std::atomic<uint64_t> seccomp_kills{0};
};

// Counts a process the kernel's seccomp filter killed (SIGSYS), once, when Wait reports it.
class WatchedProcess : public ProcessWrapper {
 public:
  WatchedProcess(std::unique_ptr<Process> target, std::shared_ptr<PodEvents> events)
      : ProcessWrapper(std::move(target)), events_(std::move(events)) {}

  Result<ExitStatus> Wait() override {
    auto status = ProcessWrapper::Wait();
    if (status && status->signal == SIGSYS && !counted_.exchange(true)) {
      events_->seccomp_kills.fetch_add(1, std::memory_order_relaxed);
    }
    return status;
  }

 private:
  std::shared_ptr<PodEvents> events_;
  std::atomic<bool> counted_{false};
};

class WatchedPod : public PodWrapper {
 public:
  WatchedPod(std::shared_ptr<Pod> target, std::shared_ptr<PodEvents> events)
      : PodWrapper(std::move(target)), events_(std::move(events)) {}

  Result<std::unique_ptr<Process>> Exec(const ExecSpec& spec) override {
    auto process = PodWrapper::Exec(spec);
    if (!process) return process;
    return std::unique_ptr<Process>(std::make_unique<WatchedProcess>(std::move(*process), events_));
  }

 private:
  std::shared_ptr<PodEvents> events_;
};

// What ExecutorEventsOf reads from a Platform's executor (the PodCounter below).
class PodEventSource {
 public:
  virtual ~PodEventSource() = default;
  [[nodiscard]] virtual const PodEvents& events() const = 0;
};

}  // namespace

// Counts the pods created through the platform's executor (see Platform::live_pods), the
// creations that failed, and the processes of its pods that seccomp killed.
class Platform::PodCounter : public ExecutorWrapper, public PodEventSource {
 public:
  explicit PodCounter(std::shared_ptr<Executor> target) : ExecutorWrapper(std::move(target)) {}

  Result<std::shared_ptr<Pod>> CreatePod(const PodSpec& spec) override {
    auto pod = ExecutorWrapper::CreatePod(spec);
    if (!pod) {
      events_->create_failures.fetch_add(1, std::memory_order_relaxed);
      return pod;
    }
    {
      const std::lock_guard lock(mu_);
      live_.insert((*pod)->id());
    }
    return std::shared_ptr<Pod>(std::make_shared<WatchedPod>(std::move(*pod), events_));
  }

  Result<std::shared_ptr<Pod>> GetPod(std::string_view id) override {
    auto pod = ExecutorWrapper::GetPod(id);
    if (!pod) return pod;
    return std::shared_ptr<Pod>(std::make_shared<WatchedPod>(std::move(*pod), events_));
  }

  Result<void> DeletePod(std::string_view id) override {
    auto deleted = ExecutorWrapper::DeletePod(id);
    // A failed delete of a pod that is gone anyway (kNotFound) still ends it.
    if (deleted || deleted.error().code() == Error::Code::kNotFound) {
      const std::lock_guard lock(mu_);
      const auto it = live_.find(id);
      if (it != live_.end()) live_.erase(it);
    }
    return deleted;
  }

  [[nodiscard]] std::size_t live() const {
    const std::lock_guard lock(mu_);
    return live_.size();
  }
  [[nodiscard]] const PodEvents& events() const override { return *events_; }

 private:
  mutable std::mutex mu_;
  std::set<std::string, std::less<>> live_;
  std::shared_ptr<PodEvents> events_ = std::make_shared<PodEvents>();
};

Options OptionsFrom(const Config& config) {
  Options options;
  options.storage_uri = config.EffectiveStorageUri();
  options.executor_uri = config.executor_uri;
  if (options.executor_uri == "local:" || options.executor_uri == "local") {
    options.executor_uri = "local:?state_dir=" + config.data_dir + "/pods";
  }
  // The local backend serves the images `codeyard image build` made for this configuration.
  if (options.executor_uri.starts_with("local:") &&
      options.executor_uri.find("images_dir=") == std::string::npos) {
    options.executor_uri += (options.executor_uri.find('?') == std::string::npos ? "?" : "&");
    options.executor_uri += "images_dir=" + config.EffectiveImagesDir();
  }
  options.min_free_bytes = config.storage_min_free_bytes;
  return options;
}

namespace {

BackendContext ContextOf(const Options& options) {
  return {options.logger ? options.logger : NullLogger(),
          options.clock ? options.clock : DefaultClock()};
}

}  // namespace

Result<std::shared_ptr<Storage>> OpenStorage(const Options& options) {
  if (options.storage) return options.storage;
  auto opened = options.registry.OpenStorage(options.storage_uri, ContextOf(options));
  if (!opened) {
    return Fail(
        opened.error().WithContext("cannot open storage " + RedactUri(options.storage_uri)));
  }
  return std::shared_ptr<Storage>(std::move(*opened));
}

Result<std::shared_ptr<Executor>> OpenExecutor(const Options& options) {
  if (options.executor) return options.executor;
  if (options.executor_uri.empty()) {
    return Fail(Error::Code::kInvalidArgument,
                "platform: the options name no executor (executor_uri or executor)");
  }
  auto opened = options.registry.OpenExecutor(options.executor_uri, ContextOf(options));
  if (!opened) {
    return Fail(
        opened.error().WithContext("cannot open executor " + RedactUri(options.executor_uri)));
  }
  return std::move(*opened);
}

Result<std::shared_ptr<Platform>> Platform::Open(const Options& options) {
  auto clock = options.clock ? options.clock : DefaultClock();
  auto logger = options.logger ? options.logger : NullLogger();
  auto storage = OpenStorage(options);
  if (!storage) return Fail(storage.error());
  auto version = ApplyMigrations(**storage, *clock);
  if (!version) {
    return Fail(
        version.error().WithContext("cannot migrate storage " + RedactUri(options.storage_uri)));
  }
  std::shared_ptr<Executor> executor;
  if (options.executor || !options.executor_uri.empty()) {
    auto opened = OpenExecutor(options);
    if (!opened) return Fail(opened.error());
    executor = std::move(*opened);
  }
  const StorageInfo info = (*storage)->Info();
  logger->Info(
      "storage ready",
      {{"backend", info.backend}, {"location", info.location}, {"schema_version", *version}});
  return std::shared_ptr<Platform>(new Platform(std::move(*storage), std::move(executor),
                                                std::move(clock), std::move(logger), *version,
                                                options.min_free_bytes));
}

Platform::Platform(std::shared_ptr<Storage> storage, std::shared_ptr<Executor> executor,
                   std::shared_ptr<Clock> clock, std::shared_ptr<Logger> logger,
                   int64_t schema_version, int64_t min_free_bytes)
    : storage_(std::move(storage)),
      counter_(executor ? std::make_shared<PodCounter>(std::move(executor)) : nullptr),
      executor_(counter_),
      clock_(std::move(clock)),
      logger_(std::move(logger)),
      schema_version_(schema_version),
      min_free_bytes_(min_free_bytes) {}

Platform::~Platform() = default;

std::size_t Platform::live_pods() const { return counter_ ? counter_->live() : 0; }

ExecutorEvents ExecutorEventsOf(const Platform& platform) {
  const auto* source = dynamic_cast<const PodEventSource*>(platform.executor().get());
  if (source == nullptr) return {};
  return {source->events().create_failures.load(std::memory_order_relaxed),
          source->events().seccomp_kills.load(std::memory_order_relaxed)};
}

Result<void> Platform::Ping() const {
  if (auto space = storage_->CheckSpace(min_free_bytes_); !space) return Fail(space.error());
  auto tx = storage_->Begin(TxKind::kRead);
  if (!tx) return Fail(tx.error());
  auto rows = (*tx)->Query("SELECT 1", {});
  if (!rows) return Fail(rows.error());
  (*tx)->Rollback();
  return {};
}

const char* Version() noexcept { return CODEYARD_VERSION; }

}  // namespace codeyard
