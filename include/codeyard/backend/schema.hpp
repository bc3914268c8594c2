// The database schema as an ordered list of versioned migrations, and the function that
// brings a database up to date. `Platform::Open` calls ApplyMigrations; a backend writer
// calls it in tests to get the real schema. Migrations run inside one kSchema transaction
// each, so two processes opening the same database at once both succeed: one applies, the
// other waits and then finds nothing left to do.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "codeyard/backend/storage.hpp"
#include "codeyard/clock.hpp"
#include "codeyard/error.hpp"

namespace codeyard {

struct Migration {
  int64_t version;        // 1, 2, 3, ... with no gaps
  std::string_view name;  // short, for the schema_migrations table and logs
  std::string_view sql;   // statements separated by ';', in the portable dialect
};

// Every migration the library knows, oldest first.
[[nodiscard]] std::span<const Migration> BuiltinMigrations();

// Applies the migrations not yet recorded in the database and returns the schema version.
// Errors: kFailedPrecondition when the database holds a newer schema than this build knows
// (an older binary must not write to it), else the backend's error with the migration named.
[[nodiscard]] Result<int64_t> ApplyMigrations(
    Storage& storage, const Clock& clock,
    std::span<const Migration> migrations = BuiltinMigrations());

// The highest applied version, 0 for an empty database.
[[nodiscard]] Result<int64_t> SchemaVersion(Storage& storage);

}  // namespace codeyard
