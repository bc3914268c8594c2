// The storage backend interface, for people who write a backend (SQLite and PostgreSQL are
// built in and implement exactly this). Codeyard's data is relational, so a backend offers
// transactions that run parameterized SQL in a small portable dialect; every entity (users,
// workspaces, items, pods, ...) is a versioned migration plus a repository in the core,
// written once against this interface. Adding an entity therefore touches no backend.
//
// The portable dialect, which repositories and migrations keep to:
//   - Placeholders are `?`, bound positionally; a backend rewrites them as it needs
//     (PostgreSQL: `$1, $2, ...`). A `?` never appears inside a string literal.
//   - Column types: BIGINT, DOUBLE PRECISION, TEXT (UTF-8), and the tokens `{blob}` (bytes),
//     `{id}` (auto-increment 64-bit primary key) and `{xact}` (a column default: the writing
//     transaction's id as BIGINT where writers commit concurrently, PostgreSQL's
//     pg_current_xact_id(); 0 where they commit one at a time). Timestamps are BIGINT
//     milliseconds since the epoch.
//   - `{skip_locked}` at the end of a SELECT in a write transaction: lock the rows returned
//     and skip rows another transaction holds (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite,
//     whose one writer is serial: nothing), so concurrent workers take distinct rows.
//   - A backend expands the tokens in every statement a transaction runs (and Dialect()
//     expands them for whoever wants the text), outside quoted literals and comments; a
//     statement without '{' passes untouched, at no cost.
//   - ON CONFLICT ... DO UPDATE / DO NOTHING, RETURNING, LIMIT/OFFSET, `||`, substr(), lower().
//   - A statement in a read transaction depends on the data only (no random(), no clock in
//     SQL: times are parameters), so a backend may answer it again from memory while the
//     data is unchanged (SQLite's read cache does).
//
// Threads: a Storage is shared by all threads. A Transaction belongs to the thread that began
// it until it commits or rolls back; a thread must not begin a second write transaction while
// it holds one (the backend returns kFailedPrecondition rather than deadlock).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "codeyard/error.hpp"

namespace codeyard {

// Bytes, kept apart from text so a backend can bind them as BLOB/BYTEA.
struct Blob {
  std::string bytes;
  friend bool operator==(const Blob&, const Blob&) = default;
};

// A bound parameter or a result cell. NULL is std::monostate.
using Value = std::variant<std::monostate, int64_t, double, std::string, Blob>;

// One result row. Accessors check the type and fail with kInternal on a mismatch, so a
// repository bug shows up as an error, never as garbage.
class Row {
 public:
  Row() = default;
  explicit Row(std::vector<Value> cells) : cells_(std::move(cells)) {}

  [[nodiscard]] std::size_t size() const noexcept { return cells_.size(); }
  [[nodiscard]] bool IsNull(std::size_t i) const { return cells_.at(i).index() == 0; }
  [[nodiscard]] const Value& at(std::size_t i) const { return cells_.at(i); }
  [[nodiscard]] Value& at(std::size_t i) { return cells_.at(i); }

  [[nodiscard]] Result<int64_t> Int(std::size_t i) const;
  [[nodiscard]] Result<double> Double(std::size_t i) const;
  // TEXT as is; a BLOB's bytes are returned too (some backends report TEXT as bytes).
  [[nodiscard]] Result<std::string> Text(std::size_t i) const;
  // Moves the bytes out of the row (for large contents); the cell becomes NULL.
  [[nodiscard]] Result<std::string> TakeBytes(std::size_t i);

 private:
  std::vector<Value> cells_;
};

using Rows = std::vector<Row>;

enum class TxKind {
  kRead,    // a consistent snapshot; statements that write fail
  kWrite,   // reads and writes; one writer at a time on SQLite, many on PostgreSQL
  kSchema,  // like kWrite, and serialized against every other kSchema transaction on the
            // same database in any process (used for migrations)
};

class Transaction {
 public:
  Transaction() = default;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  // Rolls back if neither Commit() nor Rollback() was called.
  virtual ~Transaction() = default;

  // Runs one statement and returns every row it produced (none for most writes).
  // Errors: kAlreadyExists (unique key), kFailedPrecondition (foreign key),
  // kInvalidArgument (CHECK / NOT NULL / bad data), kAborted (deadlock or serialization
  // failure: run the whole transaction again), kUnavailable (busy or disconnected).
  // After any error the transaction can only be rolled back.
  [[nodiscard]] virtual Result<Rows> Query(std::string_view sql, std::span<const Value> params) = 0;

  // Runs one statement and returns how many rows it changed.
  [[nodiscard]] virtual Result<int64_t> Exec(std::string_view sql,
                                             std::span<const Value> params) = 0;

  // Makes the changes durable and visible. On error nothing was applied.
  [[nodiscard]] virtual Result<void> Commit() = 0;

  // Discards the changes. Never fails from the caller's point of view.
  virtual void Rollback() noexcept = 0;

  // Convenience overloads taking parameters inline: tx.Query("... ?", {Value{id}}).
  [[nodiscard]] Result<Rows> Query(std::string_view sql, std::initializer_list<Value> params) {
    return Query(sql, std::span<const Value>(params.begin(), params.size()));
  }
  [[nodiscard]] Result<int64_t> Exec(std::string_view sql, std::initializer_list<Value> params) {
    return Exec(sql, std::span<const Value>(params.begin(), params.size()));
  }
};

// What a backend's cache of read results did, for metrics (SQLite's read cache).
struct ReadCacheStats {
  int64_t hits = 0;    // statements answered from memory
  int64_t misses = 0;  // statements the cache could not answer
  int64_t bytes = 0;   // held now
};

// What a backend says about itself (for `codeyard doctor`, logs and metrics).
struct StorageInfo {
  std::string backend;   // "sqlite", "postgres"
  std::string location;  // a path or host:port/db, never a password
  std::string server_version;
};

class Storage {
 public:
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  // Waits for nothing: every Transaction must be finished before the Storage is destroyed.
  virtual ~Storage() = default;

  // Starts a transaction. Errors: kUnavailable (no connection within the pool timeout),
  // kFailedPrecondition (this thread already holds a write transaction on SQLite).
  [[nodiscard]] virtual Result<std::unique_ptr<Transaction>> Begin(TxKind kind) = 0;

  // Expands the dialect's tokens (`{blob}`, `{id}`, `{skip_locked}`) into this backend's SQL.
  [[nodiscard]] virtual std::string Dialect(std::string_view sql) const = 0;

  [[nodiscard]] virtual StorageInfo Info() const = 0;

  // Optional: reclaim space / refresh planner statistics. Default: kUnimplemented.
  [[nodiscard]] virtual Result<void> Maintain();

  // Optional, for readiness probes: whether there is room to write. kUnavailable with a
  // message starting "storage is full" when a write ran out of space and no room came back
  // since, or, where the backend can see its disk, fewer than `min_free_bytes` are free
  // there. Default: OK. A write that runs out of space fails kUnavailable with such a
  // message on every backend.
  [[nodiscard]] virtual Result<void> CheckSpace(int64_t min_free_bytes);

  // Optional: the counters of the backend's read cache; nullopt where it has none (default).
  [[nodiscard]] virtual std::optional<ReadCacheStats> CacheStats() const { return std::nullopt; }
};

// One read transaction shared by the library's reads on this thread while the scope lives:
// inside it, every read transaction the library runs on `storage` (store::Transact with
// TxKind::kRead) joins one transaction, begun by the first read and ended with the scope,
// instead of beginning its own. For a request made of several short reads, such as an
// authenticated file read (the login's standing, then the file): one BEGIN/COMMIT instead of
// one per read (on SQLite one set of file locks, on PostgreSQL two round trips fewer), and the
// reads see one snapshot. Writes are untouched. A read that fails ends the shared transaction
// (the next read begins a new one), so a failed statement never poisons the reads after it.
// Hold a scope only around reads: on a storage whose reads use its writer (SQLite in memory),
// a write inside the scope waits for the scope's own read. Thread-confined; a scope opened
// inside another one on the same thread does nothing.
class SharedRead {
 public:
  explicit SharedRead(Storage& storage) noexcept;
  ~SharedRead();
  SharedRead(const SharedRead&) = delete;
  SharedRead& operator=(const SharedRead&) = delete;

  // The scope open on this thread for `storage`, or nullptr.
  [[nodiscard]] static SharedRead* Current(const Storage& storage) noexcept;
  // The shared transaction, begun at the first call.
  [[nodiscard]] Result<Transaction*> Get();
  // Ends the shared transaction (after a failed read); the next Get begins another.
  void Drop() noexcept;

 private:
  Storage* storage_ = nullptr;  // null for a scope nested in another (does nothing)
  std::unique_ptr<Transaction> tx_;
};

}  // namespace codeyard
