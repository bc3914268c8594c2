#include "storage/sqlite/sqlite_connection.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

namespace codeyard::sqlite {
namespace {

// Dynamic SQL could grow the cache without bound; repositories use a fixed set of texts.
constexpr std::size_t kMaxCachedStatements = 256;

Error::Code CodeFor(int extended, int sys_errno) {
  switch (extended) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return Error::Code::kAlreadyExists;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return Error::Code::kFailedPrecondition;
    case SQLITE_BUSY_SNAPSHOT:
      return Error::Code::kAborted;
    default:
      break;
  }
  switch (extended & 0xff) {
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
      return Error::Code::kInvalidArgument;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_PROTOCOL:
      return Error::Code::kUnavailable;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Error::Code::kDataLoss;
    case SQLITE_FULL:
      // The disk, not the caller's input: retry once space is freed (sqlite_space.hpp).
      return Error::Code::kUnavailable;
    case SQLITE_TOOBIG:
    case SQLITE_NOMEM:
      return Error::Code::kResourceExhausted;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return Error::Code::kPermissionDenied;
    case SQLITE_CANTOPEN:
      return (sys_errno == EACCES || sys_errno == EROFS || sys_errno == EPERM)
                 ? Error::Code::kPermissionDenied
                 : Error::Code::kUnavailable;
    case SQLITE_IOERR:
      return Error::Code::kUnavailable;
    case SQLITE_INTERRUPT:
      return Error::Code::kDeadlineExceeded;
    default:
      return Error::Code::kInternal;
  }
}

}  // namespace

bool IsDiskFull(sqlite3* db) {
  const int extended = sqlite3_extended_errcode(db);
  if ((extended & 0xff) == SQLITE_FULL) return true;
  const int sys_errno = sqlite3_system_errno(db);
  return (extended & 0xff) == SQLITE_IOERR && (sys_errno == ENOSPC || sys_errno == EDQUOT);
}

Error ErrorFrom(sqlite3* db, int rc, std::string_view what) {
  const int extended = db != nullptr ? sqlite3_extended_errcode(db) : rc;
  const int sys_errno = db != nullptr ? sqlite3_system_errno(db) : 0;
  std::string message = "sqlite: ";
  if (db != nullptr && IsDiskFull(db)) message += "storage is full: ";
  message += std::string(what) + ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  if (sys_errno != 0 &&
      ((extended & 0xff) == SQLITE_CANTOPEN || (extended & 0xff) == SQLITE_IOERR)) {
    message += " (";
    message += std::strerror(sys_errno);  // NOLINT(concurrency-mt-unsafe): glibc's is safe
    message += ")";
  }
  if ((extended & 0xff) == SQLITE_BUSY) {
    message += " (another connection held the write lock past busy_timeout_ms)";
  }
  return Error(CodeFor(extended, sys_errno), std::move(message));
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path, bool create,
                                                     int busy_timeout_ms, bool query_only) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) |
                    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  std::unique_ptr<Connection> conn(new Connection(db));
  if (rc != SQLITE_OK) return Fail(ErrorFrom(db, rc, "cannot open " + path));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  // journal_mode is persistent in the file; setting it also proves the file is a database.
  // Two processes switching a new file to WAL at once can deadlock on the upgrade to an
  // exclusive lock; SQLite then answers SQLITE_BUSY at once, without its busy handler, so
  // retry within the busy timeout here.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms);
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON",
                             "PRAGMA synchronous=NORMAL", "PRAGMA temp_store=MEMORY"}) {
    while (true) {
      auto r = conn->Execute(pragma);
      if (r) break;
      if (r.error().code() != Error::Code::kUnavailable ||
          std::chrono::steady_clock::now() >= deadline) {
        return Fail(r.error().WithContext(path));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  if (query_only) {
    if (auto r = conn->Execute("PRAGMA query_only=ON"); !r) return Fail(r.error());
  }
  return conn;
}

Connection::~Connection() {
  for (auto& [_, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Result<void> Connection::Execute(const char* sql) {
  // Every transaction runs these: prepared once (Run's cache), not parsed again by
  // sqlite3_exec each time, which was a tenth of a quick read's time (docs/benchmarks.md).
  const std::string_view text(sql);
  if (text == "BEGIN" || text == "BEGIN IMMEDIATE" || text == "COMMIT" || text == "ROLLBACK") {
    auto prepared = Prepare(text);
    if (!prepared) return Fail(prepared.error());
    const int rc = sqlite3_step(*prepared);
    if (rc == SQLITE_DONE) {
      sqlite3_reset(*prepared);
      return {};
    }
    Error error = ErrorFrom(db_, rc, sql);  // before the reset, which keeps the code anyway
    sqlite3_reset(*prepared);
    return Fail(std::move(error));
  }
  char* errmsg = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &errmsg);
  sqlite3_free(errmsg);
  if (rc != SQLITE_OK) return Fail(ErrorFrom(db_, rc, sql));
  return {};
}

Result<sqlite3_stmt*> Connection::Prepare(std::string_view sql) {
  const std::string key(sql);
  if (auto it = statements_.find(key); it != statements_.end()) return it->second;
  if (statements_.size() >= kMaxCachedStatements) {
    for (auto& [_, stmt] : statements_) sqlite3_finalize(stmt);
    statements_.clear();
  }
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
  if (rc != SQLITE_OK) return Fail(ErrorFrom(db_, rc, "prepare"));
  if (stmt == nullptr) return Fail(Error::Code::kInternal, "sqlite: empty statement");
  statements_.emplace(key, stmt);
  return stmt;
}

Result<int64_t> Connection::Run(std::string_view sql, std::span<const Value> params, Rows* rows) {
  auto prepared = Prepare(sql);
  if (!prepared) return Fail(prepared.error());
  sqlite3_stmt* stmt = *prepared;
  const int expected = sqlite3_bind_parameter_count(stmt);
  if (expected != static_cast<int>(params.size())) {
    return Fail(Error::Code::kInternal, "sqlite: statement takes " + std::to_string(expected) +
                                            " parameters, given " + std::to_string(params.size()));
  }
  // Values outlive the statement's execution, so SQLITE_STATIC avoids copying contents.
  for (int i = 0; i < expected; ++i) {
    const Value& v = params[static_cast<std::size_t>(i)];
    int rc = SQLITE_OK;
    if (const auto* n = std::get_if<int64_t>(&v)) {
      rc = sqlite3_bind_int64(stmt, i + 1, *n);
    } else if (const auto* d = std::get_if<double>(&v)) {
      rc = sqlite3_bind_double(stmt, i + 1, *d);
    } else if (const auto* s = std::get_if<std::string>(&v)) {
      rc = sqlite3_bind_text64(stmt, i + 1, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
    } else if (const auto* b = std::get_if<Blob>(&v)) {
      rc = sqlite3_bind_blob64(stmt, i + 1, b->bytes.data(), b->bytes.size(), SQLITE_STATIC);
    } else {
      rc = sqlite3_bind_null(stmt, i + 1);
    }
    if (rc != SQLITE_OK) {
      sqlite3_clear_bindings(stmt);
      return Fail(ErrorFrom(db_, rc, "bind"));
    }
  }
  const int columns = sqlite3_column_count(stmt);
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    if (rows == nullptr) continue;
    std::vector<Value> cells;
    cells.reserve(static_cast<std::size_t>(columns));
    for (int c = 0; c < columns; ++c) {
      switch (sqlite3_column_type(stmt, c)) {
        case SQLITE_INTEGER:
          cells.emplace_back(sqlite3_column_int64(stmt, c));
          break;
        case SQLITE_FLOAT:
          cells.emplace_back(sqlite3_column_double(stmt, c));
          break;
        case SQLITE_TEXT: {
          const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
          cells.emplace_back(
              std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
          break;
        }
        case SQLITE_BLOB: {
          const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, c));
          const auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt, c));
          cells.emplace_back(Blob{p == nullptr ? std::string() : std::string(p, n)});
          break;
        }
        default:
          cells.emplace_back(std::monostate{});
          break;
      }
    }
    rows->emplace_back(std::move(cells));
  }
  const int64_t changed = sqlite3_changes64(db_);
  Error error = rc == SQLITE_DONE ? Error(Error::Code::kInternal, "") : ErrorFrom(db_, rc, "step");
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  if (rc != SQLITE_DONE) return Fail(std::move(error));
  return changed;
}

}  // namespace codeyard::sqlite
