#include "storage/postgres/postgres_storage.hpp"

#include <libpq-fe.h>

#include <cstdint>
#include <string>
#include <utility>

#include "storage/postgres/postgres_pool.hpp"
#include "storage/postgres/postgres_wire.hpp"
#include "storage/sql/sql_text.hpp"

namespace codeyard {
namespace {

using postgres::BoundParams;
using postgres::ConnectionPool;
using postgres::Lease;
using postgres::PgResult;

// The advisory lock every kSchema transaction holds until it ends, so migrations run one at
// a time across all processes sharing the database. The value is "codeyard" in ASCII; it
// must never change, or old and new versions would migrate side by side.
constexpr int64_t kMigrationLockKey = 0x636f646579617264;

// Read transactions see one snapshot for their whole life, as they do on SQLite.
constexpr const char* kBeginRead = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
constexpr const char* kBeginWrite = "BEGIN";

// Longest statement text quoted in an error; enough to recognize the statement.
constexpr std::size_t kQuotedSqlChars = 160;

std::string ServerVersion(int version) {
  if (version <= 0) return "unknown";
  // From PostgreSQL 10 on, the number is major * 10000 + minor; before, it had three parts.
  if (version >= 100000) {
    return std::to_string(version / 10000) + "." + std::to_string(version % 10000);
  }
  return std::to_string(version / 10000) + "." + std::to_string(version / 100 % 100) + "." +
         std::to_string(version % 100);
}

class PostgresTransaction final : public Transaction {
 public:
  PostgresTransaction(std::shared_ptr<ConnectionPool> pool, Lease lease)
      : pool_(std::move(pool)), lease_(std::move(lease)) {}
  ~PostgresTransaction() override { Rollback(); }
  PostgresTransaction(const PostgresTransaction&) = delete;
  PostgresTransaction& operator=(const PostgresTransaction&) = delete;

  using Transaction::Exec;
  using Transaction::Query;

  [[nodiscard]] Result<Rows> Query(std::string_view sql, std::span<const Value> params) override {
    auto result = Run(sql, params);
    if (!result) return std::unexpected(std::move(result).error());
    auto rows = postgres::DecodeRows(result->get());
    if (!rows) failed_ = true;
    return rows;
  }

  [[nodiscard]] Result<int64_t> Exec(std::string_view sql, std::span<const Value> params) override {
    auto result = Run(sql, params);
    if (!result) return std::unexpected(std::move(result).error());
    return postgres::AffectedRows(result->get());
  }

  [[nodiscard]] Result<void> Commit() override {
    if (finished_) return Fail(Error::Code::kFailedPrecondition, "postgres: transaction finished");
    if (failed_) {
      Rollback();
      return Fail(Error::Code::kFailedPrecondition, "postgres: transaction already failed");
    }
    finished_ = true;
    auto result = postgres::ExecSimple(lease_.get(), "COMMIT");
    Result<void> outcome;
    if (!result) {
      Error error = std::move(result).error();
      if (error.code() == Error::Code::kUnavailable) {
        // The COMMIT may have reached the server before the socket died.
        error = Error(error.code(), error.message() + "; the commit may have been applied");
      }
      outcome = std::unexpected(std::move(error));
    } else if (std::string_view(PQcmdStatus(result->get())) != "COMMIT") {
      // The server answers COMMIT of an aborted transaction with ROLLBACK, not an error.
      outcome = Fail(Error::Code::kAborted, "postgres: the server rolled the transaction back");
    }
    lease_.Return();
    return outcome;
  }

  void Rollback() noexcept override {
    if (finished_) return;
    finished_ = true;
    PGconn* conn = lease_.get();
    // A failed ROLLBACK leaves the connection inside a transaction, and Return() closes it.
    if (PQstatus(conn) == CONNECTION_OK) PQclear(PQexec(conn, "ROLLBACK"));
    lease_.Return();
  }

 private:
  // Runs one statement with binary parameters and results. Any failure poisons the
  // transaction: PostgreSQL itself refuses every statement after an error until ROLLBACK,
  // and we fail the same way for our own errors so callers see one rule.
  Result<PgResult> Run(std::string_view sql, std::span<const Value> params) {
    if (finished_) return Fail(Error::Code::kFailedPrecondition, "postgres: transaction finished");
    if (failed_) {
      return Fail(Error::Code::kFailedPrecondition, "postgres: transaction already failed");
    }
    failed_ = true;  // until the statement succeeds
    int placeholders = 0;
    const std::string text = sql::NumberPlaceholders(sql, &placeholders);
    if (static_cast<std::size_t>(placeholders) != params.size()) {
      return Fail(Error::Code::kInternal, "postgres: " + std::to_string(placeholders) +
                                              " placeholders but " + std::to_string(params.size()) +
                                              " parameters in " + Quote(sql));
    }
    auto bound = BoundParams::Bind(params);
    if (!bound) return std::unexpected(std::move(bound).error());
    PGconn* conn = lease_.get();
    PgResult result(PQexecParams(conn, text.c_str(), bound->size(), bound->types(), bound->values(),
                                 bound->lengths(), bound->formats(),
                                 /*resultFormat=binary*/ 1));
    const ExecStatusType status =
        result != nullptr ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
      failed_ = false;
      return result;
    }
    if (status == PGRES_EMPTY_QUERY) {
      return Fail(Error::Code::kInternal, "postgres: empty statement");
    }
    Error error = postgres::StatementError(conn, result.get());
    // kInternal means our SQL is wrong (a 42xxx); the statement text finds the culprit, and
    // holds no user data since every value is a parameter.
    if (error.code() == Error::Code::kInternal) {
      error = Error(error.code(), error.message() + " in " + Quote(sql));
    }
    return std::unexpected(std::move(error));
  }

  static std::string Quote(std::string_view sql) {
    std::string text = postgres::OneLine(sql);
    if (text.size() > kQuotedSqlChars) text = text.substr(0, kQuotedSqlChars) + "...";
    return "\"" + text + "\"";
  }

  std::shared_ptr<ConnectionPool> pool_;  // keeps the pool alive for lease_
  Lease lease_;
  bool failed_ = false;
  bool finished_ = false;
};

class PostgresStorage final : public Storage {
 public:
  PostgresStorage(std::shared_ptr<ConnectionPool> pool, StorageInfo info)
      : pool_(std::move(pool)), info_(std::move(info)) {}

  [[nodiscard]] Result<std::unique_ptr<Transaction>> Begin(TxKind kind) override {
    auto lease = AcquireAndRun(kind == TxKind::kRead ? kBeginRead : kBeginWrite);
    if (!lease) return std::unexpected(std::move(lease).error());
    auto transaction = std::make_unique<PostgresTransaction>(pool_, std::move(*lease));
    if (kind == TxKind::kSchema) {
      const std::string lock =
          "SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLockKey) + ")";
      auto locked = transaction->Exec(lock, {});
      if (!locked) return std::unexpected(std::move(locked).error());  // rolls back
    }
    return transaction;
  }

  [[nodiscard]] std::string Dialect(std::string_view migration_sql) const override {
    return sql::ExpandTokens(migration_sql, "BYTEA",
                             "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
                             "(pg_current_xact_id()::text::bigint)");
  }

  [[nodiscard]] StorageInfo Info() const override { return info_; }

  [[nodiscard]] Result<void> Maintain() override {
    auto lease = AcquireAndRun("ANALYZE");
    if (!lease) return std::unexpected(std::move(lease).error());
    return {};
  }

 private:
  // Leases a connection and runs `sql` (BEGIN or ANALYZE) on it. A connection that sat idle
  // may have died meanwhile (server restart, idle_session_timeout, a proxy's cut); these
  // statements change nothing when they fail, so they are retried on another connection.
  // At most pool_size connections can be idle, which bounds the retries.
  Result<Lease> AcquireAndRun(const char* sql) {
    for (int attempt = 0;; ++attempt) {
      auto lease = pool_->Acquire();
      if (!lease) return lease;
      auto result = postgres::ExecSimple(lease->get(), sql);
      if (result) return lease;
      if (!lease->reused() || PQstatus(lease->get()) == CONNECTION_OK ||
          attempt >= pool_->options().pool_size) {
        return std::unexpected(std::move(result).error());
      }
      // `lease` closes the dead connection on its way out of scope.
    }
  }

  std::shared_ptr<ConnectionPool> pool_;
  const StorageInfo info_;
};

}  // namespace

Result<std::unique_ptr<Storage>> OpenPostgresStorage(std::string_view uri,
                                                     const BackendContext& context) {
  auto options = postgres::ParsePoolOptions(uri);
  if (!options) return std::unexpected(std::move(options).error());
  auto pool = std::make_shared<ConnectionPool>(std::move(*options), context.logger);
  // The first connection now, so a wrong address fails Open rather than the first request.
  auto lease = pool->Acquire();
  if (!lease) return std::unexpected(std::move(lease).error());
  StorageInfo info{.backend = "postgres",
                   .location = postgres::Location(lease->get()),
                   .server_version = ServerVersion(PQserverVersion(lease->get()))};
  lease->Return();
  if (context.logger != nullptr) {
    context.logger->Info("postgres pool opened",
                         {{"location", info.location},
                          {"server_version", info.server_version},
                          {"pool_size", pool->options().pool_size},
                          {"pool_timeout_ms", pool->options().pool_timeout_ms}});
  }
  return std::make_unique<PostgresStorage>(std::move(pool), std::move(info));
}

}  // namespace codeyard
