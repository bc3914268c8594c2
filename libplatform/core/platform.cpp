#include "codeyard/platform.hpp"

#include "codeyard/backend/schema.hpp"

namespace codeyard {

Result<std::unique_ptr<Platform>> Platform::Open(const Options& options) {
  auto clock = options.clock ? options.clock : DefaultClock();
  auto logger = options.logger ? options.logger : NullLogger();
  std::shared_ptr<Storage> storage = options.storage;
  if (!storage) {
    auto opened = options.registry.OpenStorage(options.storage_uri, {logger, clock});
    if (!opened) return Fail(opened.error());
    storage = std::move(*opened);
  }
  auto version = ApplyMigrations(*storage, *clock);
  if (!version) return Fail(version.error());
  const StorageInfo info = storage->Info();
  logger->Info(
      "storage ready",
      {{"backend", info.backend}, {"location", info.location}, {"schema_version", *version}});
  return std::unique_ptr<Platform>(new Platform(
      std::move(storage), std::move(clock), std::move(logger), *version, options.min_free_bytes));
}

Platform::Platform(std::shared_ptr<Storage> storage, std::shared_ptr<Clock> clock,
                   std::shared_ptr<Logger> logger, int64_t schema_version, int64_t min_free_bytes)
    : storage_(std::move(storage)),
      clock_(std::move(clock)),
      logger_(std::move(logger)),
      schema_version_(schema_version),
      min_free_bytes_(min_free_bytes) {}

Platform::~Platform() = default;

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
