// Test backends for the storage conformance suite. Every TEMPLATE_TEST_CASE over
// kStorageBackends runs its body once per backend, each time on a fresh, empty, migrated
// database: a new SQLite file in its own temp dir, or a new schema in the PostgreSQL
// server named by CODEYARD_TEST_POSTGRES_URI (./scripts/test starts one). The PostgreSQL
// variant fails, never skips, when that variable is missing.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "codeyard/backend/storage.hpp"
#include "storage/temp_dir.hpp"

namespace codeyard::testing {

// One fresh database. `uri` opens the same database again (from another Storage or process).
class TestDatabase {
 public:
  virtual ~TestDatabase() = default;
  [[nodiscard]] virtual std::string uri() const = 0;
  // The storage opened on uri() with migrations applied (none for CreateEmpty).
  [[nodiscard]] Storage& storage() const { return *storage_; }
  [[nodiscard]] std::shared_ptr<Storage> shared() const { return storage_; }

 protected:
  void OpenAndMigrate(bool migrate = true);
  std::shared_ptr<Storage> storage_;
};

// Create: a migrated database. CreateEmpty: one with no schema at all, for tests that
// build an older release's schema (ApplyMigrations with the first N) and migrate it.
struct SqliteBackend {
  static constexpr const char* kName = "sqlite";
  static std::unique_ptr<TestDatabase> Create();
  static std::unique_ptr<TestDatabase> CreateEmpty();
};

struct PostgresBackend {
  static constexpr const char* kName = "postgres";
  static std::unique_ptr<TestDatabase> Create();
  static std::unique_ptr<TestDatabase> CreateEmpty();
};

// The server URI for PostgreSQL tests; REQUIREs that it is set.
[[nodiscard]] std::string PostgresServerUri();

// Opens a URI with the built-in registry, REQUIRE-ing success.
[[nodiscard]] std::unique_ptr<Storage> OpenOrDie(const std::string& uri);

}  // namespace codeyard::testing

#define CODEYARD_STORAGE_BACKENDS \
  codeyard::testing::SqliteBackend, codeyard::testing::PostgresBackend
