// Applying the schema's history. The migrations themselves are files, one each, in
// migrations/ (embedded at build time): never edit one that has shipped, add a new one.
#include <string>

#include "codeyard/backend/schema.hpp"
#include "core/store/audit.hpp"
#include "storage/sql/sql_text.hpp"

namespace codeyard {

// Generated from migrations/*.sql (migrations/embed_migrations.cmake).
std::span<const Migration> EmbeddedMigrations();

namespace {

constexpr std::string_view kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

Result<int64_t> CurrentVersion(Transaction& tx) {
  auto rows = tx.Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {});
  if (!rows) return Fail(rows.error());
  if (rows->empty()) return 0;
  return rows->front().Int(0);
}

}  // namespace

std::span<const Migration> BuiltinMigrations() { return EmbeddedMigrations(); }

Result<int64_t> SchemaVersion(Storage& storage) {
  auto tx = storage.Begin(TxKind::kRead);
  if (!tx) return Fail(tx.error());
  auto version = CurrentVersion(**tx);
  (*tx)->Rollback();
  return version;
}

Result<int64_t> ApplyMigrations(Storage& storage, const Clock& clock,
                                std::span<const Migration> migrations) {
  const int64_t latest = migrations.empty() ? 0 : migrations.back().version;
  // Fast path: most opens find the schema current and need no write lock.
  if (auto current = SchemaVersion(storage); current && *current == latest) return latest;

  auto tx = storage.Begin(TxKind::kSchema);
  if (!tx) return Fail(tx.error().WithContext("migrations"));
  if (auto r = (*tx)->Exec(kCreateMigrationsTable, {}); !r) {
    return Fail(r.error().WithContext("migrations: creating schema_migrations"));
  }
  auto current = CurrentVersion(**tx);
  if (!current) return Fail(current.error().WithContext("migrations"));
  if (*current > latest) {
    return Fail(Error::Code::kFailedPrecondition,
                "migrations: the database has schema version " + std::to_string(*current) +
                    " but this build knows only up to " + std::to_string(latest) +
                    "; upgrade Codeyard before opening it");
  }
  for (const Migration& m : migrations) {
    if (m.version <= *current) continue;
    const std::string context =
        "migration " + std::to_string(m.version) + " (" + std::string(m.name) + ")";
    for (const std::string& statement : sql::SplitStatements(storage.Dialect(m.sql))) {
      if (auto r = (*tx)->Exec(statement, {}); !r) return Fail(r.error().WithContext(context));
    }
    // admin20: migration 19's triggers, whose syntax is the engine's own (audit.hpp).
    if (m.version == store::audit::kGuardMigration) {
      for (const std::string_view statement :
           store::audit::GuardStatements(storage.Info().backend)) {
        if (auto r = (*tx)->Exec(statement, {}); !r) return Fail(r.error().WithContext(context));
      }
    }
    if (auto r = (*tx)->Exec(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
            {Value{m.version}, Value{std::string(m.name)}, Value{clock.NowMillis()}});
        !r) {
      return Fail(r.error().WithContext(context));
    }
  }
  if (auto r = (*tx)->Commit(); !r) return Fail(r.error().WithContext("migrations: commit"));
  return latest;
}

}  // namespace codeyard
