// What crosses the wire between a PostgreSQL transaction and libpq: binding Values as binary
// parameters, decoding binary result rows into Values by column type, and mapping a failed
// PGresult to an Error by SQLSTATE. Binary in both directions so bytes never pay for hex
// encoding and numbers never round-trip through text. Pure functions over libpq objects;
// thread-safety is that of the PGconn/PGresult passed in.
#pragma once

#include <libpq-fe.h>

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/backend/storage.hpp"
#include "codeyard/error.hpp"

namespace codeyard::postgres {

struct ResultDeleter {
  void operator()(PGresult* result) const noexcept { PQclear(result); }
};
// Owns a PGresult; PQclear on destruction.
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

// Parameters laid out as PQexecParams wants them. The values point into the Values passed
// to Bind() (strings and blobs are not copied), so those must outlive the statement.
class BoundParams {
 public:
  // Errors: kInvalidArgument for a string or blob above PostgreSQL's 1 GiB field limit,
  // kInternal for more parameters than the protocol carries (65535).
  [[nodiscard]] static Result<BoundParams> Bind(std::span<const Value> params);

  [[nodiscard]] int size() const noexcept { return static_cast<int>(values_.size()); }
  [[nodiscard]] const Oid* types() const noexcept { return types_.data(); }
  [[nodiscard]] const char* const* values() const noexcept { return values_.data(); }
  [[nodiscard]] const int* lengths() const noexcept { return lengths_.data(); }
  [[nodiscard]] const int* formats() const noexcept { return formats_.data(); }

 private:
  std::vector<Oid> types_;
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
  // Big-endian images of the numeric parameters; sized once so pointers stay valid.
  std::vector<std::array<char, 8>> numbers_;
};

// Every row of a PGRES_TUPLES_OK result fetched in binary format. kInternal names the column
// for a type the portable dialect does not produce (numeric, timestamps, arrays, ...).
[[nodiscard]] Result<Rows> DecodeRows(const PGresult* result);

// The row count of a command tag ("UPDATE 3" -> 3); 0 for statements that report none.
[[nodiscard]] int64_t AffectedRows(PGresult* result);

// The Error for a failed statement. `result` may be null (libpq could not even build one).
[[nodiscard]] Error StatementError(const PGconn* conn, const PGresult* result);

// Runs `sql` through the simple protocol (no parameters; BEGIN, COMMIT, ANALYZE, ...) and
// returns the result if it succeeded, else the mapped Error.
[[nodiscard]] Result<PgResult> ExecSimple(PGconn* conn, const char* sql);

// Joins a multi-line libpq message into one line ("a\n\tb\n" -> "a; b").
[[nodiscard]] std::string OneLine(std::string_view text);

}  // namespace codeyard::postgres
