// One SQLite connection with its prepared-statement cache, and the mapping of SQLite result
// codes to codeyard::Error. Used by one thread at a time (the owner serializes access).
#pragma once

#include <sqlite3.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "codeyard/backend/storage.hpp"

namespace codeyard::sqlite {

// Maps the connection's last error (extended code + message) to an Error.
[[nodiscard]] Error ErrorFrom(sqlite3* db, int rc, std::string_view what);

// Whether the last error on `db` was a full disk (SQLITE_FULL, or an I/O error with ENOSPC or
// EDQUOT underneath). Such errors are kUnavailable "sqlite: storage is full: ...".
[[nodiscard]] bool IsDiskFull(sqlite3* db);

class Connection {
 public:
  // Opens `path` ("" or ":memory:" for a private in-memory database) and applies the
  // per-connection pragmas. `create` allows creating the file.
  [[nodiscard]] static Result<std::unique_ptr<Connection>> Open(const std::string& path,
                                                                bool create, int busy_timeout_ms,
                                                                bool query_only);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Runs one statement; `rows` may be null when results are not wanted.
  [[nodiscard]] Result<int64_t> Run(std::string_view sql, std::span<const Value> params,
                                    Rows* rows);

  // Runs statements without parameters or results (BEGIN, COMMIT, pragmas).
  [[nodiscard]] Result<void> Execute(const char* sql);

  [[nodiscard]] sqlite3* handle() const { return db_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  [[nodiscard]] Result<sqlite3_stmt*> Prepare(std::string_view sql);

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace codeyard::sqlite
