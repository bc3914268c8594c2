// The single entry point of the library. `Platform::Open(Options)` opens the storage named
// by URI (or takes a backend object directly), applies schema migrations, and returns the
// platform that every service hangs off. Backends are looked up in the registry that the
// Options carry, so two Platforms in one process never share hidden state. A Platform is
// safe to use from many threads; destroy it only after every call into it has returned.
#pragma once

#include <memory>
#include <string>

#include "codeyard/backend/registry.hpp"
#include "codeyard/backend/storage.hpp"
#include "codeyard/clock.hpp"
#include "codeyard/error.hpp"
#include "codeyard/log.hpp"

namespace codeyard {

struct Options {
  // Which storage to open: "sqlite:///abs/path.db", "sqlite://relative/path.db",
  // "sqlite::memory:", "postgres://user:password@host:port/db?pool_size=8".
  std::string storage_uri = "sqlite::memory:";

  // A backend object to use instead of storage_uri (for embedding apps and tests).
  std::shared_ptr<Storage> storage;

  // Where backends are looked up; holds the built-in ones unless replaced.
  BackendRegistry registry = BackendRegistry::WithBuiltins();

  // Ping reports storage as not ready with fewer free bytes than this where storage can see
  // its disk (config storage.min_free_bytes; 0 = no check). See Storage::CheckSpace.
  int64_t min_free_bytes = int64_t{16} << 20;

  // Defaults: the system clock and a logger that drops everything.
  std::shared_ptr<Clock> clock;
  std::shared_ptr<Logger> logger;
};

class Platform {
 public:
  // Opens storage and migrates it. Errors: kInvalidArgument (bad or unknown URI), the
  // backend's own errors (kUnavailable for an unreachable server, kDataLoss for a corrupt
  // file, kPermissionDenied for a read-only location), kFailedPrecondition (schema newer
  // than this build).
  [[nodiscard]] static Result<std::unique_ptr<Platform>> Open(const Options& options);

  Platform(const Platform&) = delete;
  Platform& operator=(const Platform&) = delete;
  ~Platform();

  [[nodiscard]] Storage& storage() const { return *storage_; }
  [[nodiscard]] const std::shared_ptr<Storage>& shared_storage() const { return storage_; }
  [[nodiscard]] Clock& clock() const { return *clock_; }
  [[nodiscard]] Logger& logger() const { return *logger_; }
  [[nodiscard]] int64_t schema_version() const noexcept { return schema_version_; }

  // Checks that storage answers a trivial query and has room to write (Storage::CheckSpace);
  // for readiness probes.
  [[nodiscard]] Result<void> Ping() const;

 private:
  Platform(std::shared_ptr<Storage> storage, std::shared_ptr<Clock> clock,
           std::shared_ptr<Logger> logger, int64_t schema_version, int64_t min_free_bytes);

  std::shared_ptr<Storage> storage_;
  std::shared_ptr<Clock> clock_;
  std::shared_ptr<Logger> logger_;
  int64_t schema_version_;
  int64_t min_free_bytes_;
};

// The library version, "MAJOR.MINOR.PATCH".
[[nodiscard]] const char* Version() noexcept;

}  // namespace codeyard
