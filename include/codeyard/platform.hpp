// The library's foundation. `Platform::Open(Options)` opens the storage and the executor the
// Options name (each by URI from the Options' registry, or given as an object), applies schema
// migrations, and returns the platform every service holds. Services keep it alive with shared
// ownership (they take a std::shared_ptr<Platform>), so no destruction order leaves one
// pointing at a destroyed platform. To open the whole service graph at once (accounts, files,
// workspaces, terminals, events, runner) use `Services::Open` (codeyard/services.hpp); tools
// that measure one backend alone use OpenStorage / OpenExecutor below. Backends are looked up
// in the registry the Options carry, so two Platforms in one process never share hidden state.
// A Platform is safe to use from many threads.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "codeyard/backend/executor.hpp"
#include "codeyard/backend/registry.hpp"
#include "codeyard/backend/storage.hpp"
#include "codeyard/clock.hpp"
#include "codeyard/config.hpp"
#include "codeyard/error.hpp"
#include "codeyard/log.hpp"

namespace codeyard {

struct Options {
  // Which storage to open: "sqlite:///abs/path.db", "sqlite://relative/path.db",
  // "sqlite::memory:", "postgres://user:password@host:port/db?pool_size=8".
  std::string storage_uri = "sqlite::memory:";

  // A backend object to use instead of storage_uri (for embedding apps and tests).
  std::shared_ptr<Storage> storage;

  // Which executor runs pods: "local:?state_dir=/var/lib/codeyard/pods", "fake:". Empty (the
  // default) opens none: storage-only use (accounts, files) needs no executor; workspaces and
  // runs do, and Services::Open refuses to start without one.
  std::string executor_uri;

  // An executor object to use instead of executor_uri.
  std::shared_ptr<Executor> executor;

  // Where backends are looked up; holds the built-in ones unless replaced.
  BackendRegistry registry = BackendRegistry::WithBuiltins();

  // Ping reports storage as not ready with fewer free bytes than this where storage can see
  // its disk (config storage.min_free_bytes; 0 = no check). See Storage::CheckSpace.
  int64_t min_free_bytes = int64_t{16} << 20;

  // Defaults: the system clock and a logger that drops everything.
  std::shared_ptr<Clock> clock;
  std::shared_ptr<Logger> logger;
};

// The storage and executor a configuration names: config.EffectiveStorageUri(), and
// config.executor_uri, where a bare "local:" keeps its pods under <data_dir>/pods so that
// every process sharing the data directory shares its pods, and a local executor URI without
// images_dir= gets config.EffectiveImagesDir(); storage.min_free_bytes.
[[nodiscard]] Options OptionsFrom(const Config& config);

// Opens the storage the Options name (their object, or their URI through their registry),
// without migrating it: for tools that work on a backend alone (benchmarks, doctor).
[[nodiscard]] Result<std::shared_ptr<Storage>> OpenStorage(const Options& options);

// Opens the executor the Options name (their object, or their URI through their registry);
// kInvalidArgument when they name none.
[[nodiscard]] Result<std::shared_ptr<Executor>> OpenExecutor(const Options& options);

class Platform {
 public:
  // Opens storage and migrates it, then the executor if the Options name one. Errors:
  // kInvalidArgument (bad or unknown URI), the backend's own errors (kUnavailable for an
  // unreachable server, kDataLoss for a corrupt file, kPermissionDenied for a read-only
  // location), kFailedPrecondition (schema newer than this build). The error's context says
  // which part failed ("cannot open storage sqlite:///...").
  [[nodiscard]] static Result<std::shared_ptr<Platform>> Open(const Options& options);

  Platform(const Platform&) = delete;
  Platform& operator=(const Platform&) = delete;
  ~Platform();

  [[nodiscard]] Storage& storage() const { return *storage_; }
  [[nodiscard]] const std::shared_ptr<Storage>& shared_storage() const { return storage_; }
  // The executor (counting the pods it creates), or null when the Options named none.
  [[nodiscard]] const std::shared_ptr<Executor>& executor() const { return executor_; }
  [[nodiscard]] Clock& clock() const { return *clock_; }
  [[nodiscard]] const std::shared_ptr<Clock>& shared_clock() const { return clock_; }
  [[nodiscard]] Logger& logger() const { return *logger_; }
  [[nodiscard]] const std::shared_ptr<Logger>& shared_logger() const { return logger_; }
  [[nodiscard]] int64_t schema_version() const noexcept { return schema_version_; }

  // Pods this process created through executor() and has not deleted (workspace pods, the
  // warm pool's, one-shot runs): a set insert per pod, the same over every backend, and blind
  // to other processes' pods, unlike Executor::ListPods. The source of codeyard_pods_running.
  [[nodiscard]] std::size_t live_pods() const;

  // Checks that storage answers a trivial query and has room to write (Storage::CheckSpace);
  // for readiness probes.
  [[nodiscard]] Result<void> Ping() const;

 private:
  class PodCounter;
  Platform(std::shared_ptr<Storage> storage, std::shared_ptr<Executor> executor,
           std::shared_ptr<Clock> clock, std::shared_ptr<Logger> logger, int64_t schema_version,
           int64_t min_free_bytes);

  std::shared_ptr<Storage> storage_;
  std::shared_ptr<PodCounter> counter_;
  std::shared_ptr<Executor> executor_;
  std::shared_ptr<Clock> clock_;
  std::shared_ptr<Logger> logger_;
  int64_t schema_version_;
  int64_t min_free_bytes_;
};

// The library version, "MAJOR.MINOR.PATCH".
[[nodiscard]] const char* Version() noexcept;

}  // namespace codeyard
