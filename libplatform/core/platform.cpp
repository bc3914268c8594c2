#include "codeyard/platform.hpp"

#include <mutex>
#include <set>

#include "codeyard/backend/schema.hpp"

namespace codeyard {

// Counts the pods created through the platform's executor (see Platform::live_pods).
class Platform::PodCounter : public ExecutorWrapper {
 public:
  explicit PodCounter(std::shared_ptr<Executor> target) : ExecutorWrapper(std::move(target)) {}

  Result<std::shared_ptr<Pod>> CreatePod(const PodSpec& spec) override {
    auto pod = ExecutorWrapper::CreatePod(spec);
    if (pod) {
      const std::lock_guard lock(mu_);
      live_.insert((*pod)->id());
    }
    return pod;
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

 private:
  mutable std::mutex mu_;
  std::set<std::string, std::less<>> live_;
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
