// The SQLite backend's read cache: the rows of statements run in read transactions, kept in
// memory and answered again while the database has not changed, so that a request made of
// point reads (an authenticated file read: the login's standing, the workspace, the file)
// touches no SQLite at all when nothing was written since it was last asked.
//
// "Not changed" is decided exactly, for every writer: in WAL mode every commit, by any
// connection of any process, rewrites the WAL-index header at the start of the shared-memory
// file (`-shm`, mapped by SQLite), and every entry is tagged with the header it was read
// under. A transaction reads the header when it begins (48 bytes, twice, lock-free, the way
// SQLite itself reads it); entries of another header are never answered. `PRAGMA
// data_version` would say the same but costs a read transaction's file locks (about 2 us),
// and does not move for the connection's own commits.
//
// Threads: WalHeader and ReadCache may be used from any thread; a CachedRead, like any
// Transaction, belongs to the thread that began it.
#pragma once

#include <sqlite3.h>

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "codeyard/backend/storage.hpp"

namespace codeyard::sqlite {

// The WAL-index header's 12 words: two equal stamps mean no commit happened in between.
using WalStamp = std::array<uint32_t, 12>;

class WalHeader {
 public:
  // The header of `db`'s main database in the shared memory its VFS maps, or nullopt when the
  // database is not in WAL mode with shared memory (then there is no cache). `db` must have
  // read the database once (so that the memory is mapped) and must outlive every use.
  [[nodiscard]] static std::optional<WalHeader> Map(sqlite3* db);

  // The header now, or nullopt while a writer is rewriting it.
  [[nodiscard]] std::optional<WalStamp> Read() const noexcept;

 private:
  explicit WalHeader(const volatile uint32_t* words) : words_(words) {}
  const volatile uint32_t* words_;
};

class ReadCache {
 public:
  ReadCache(WalHeader header, int64_t max_bytes) : header_(header), max_bytes_(max_bytes) {}

  [[nodiscard]] const WalHeader& header() const { return header_; }

  // The rows stored for `key` under `stamp`; nullopt when absent or filled under another.
  [[nodiscard]] std::optional<Rows> Find(const WalStamp& stamp, const std::string& key);

  // Keeps `rows` for `key`, read in a snapshot whose header was `stamp`. Entries of another
  // header are dropped first, unless `stamp` is no longer the current one.
  void Store(const WalStamp& stamp, std::string key, const Rows& rows);

  [[nodiscard]] ReadCacheStats stats() const;

 private:
  WalHeader header_;
  const int64_t max_bytes_;
  mutable std::mutex mu_;
  WalStamp stamp_{};  // the header the entries were read under
  // Shared so that a hit copies the rows after releasing the lock.
  std::unordered_map<std::string, std::shared_ptr<const Rows>> entries_;
  int64_t bytes_ = 0;
  int64_t hits_ = 0;
  int64_t misses_ = 0;
};

// Where a CachedRead gets a real read transaction when the cache cannot answer.
class ReaderSource {
 public:
  [[nodiscard]] virtual Result<std::unique_ptr<Transaction>> BeginReader() = 0;

 protected:
  ~ReaderSource() = default;
};

// A read transaction whose snapshot is the database as of `stamp` (the header when it began).
// Statements are answered from the cache while it holds them under that stamp; the first
// one it cannot answer begins a real read transaction, whose snapshot is that same state only
// if the header has not moved meanwhile. If it moved after the cache answered a statement,
// the statement fails with kAborted (run the whole transaction again, as store::Transact
// does): answers from two states never mix in one transaction.
class CachedRead final : public Transaction {
 public:
  CachedRead(ReadCache& cache, ReaderSource& source, const WalStamp& stamp)
      : cache_(cache), source_(source), stamp_(stamp) {}

  using Transaction::Exec;
  using Transaction::Query;

  Result<Rows> Query(std::string_view sql, std::span<const Value> params) override;
  Result<int64_t> Exec(std::string_view sql, std::span<const Value> params) override;
  Result<void> Commit() override;
  void Rollback() noexcept override;

 private:
  Result<void> BeginReal();

  ReadCache& cache_;
  ReaderSource& source_;
  const WalStamp stamp_;
  std::unique_ptr<Transaction> real_;
  bool answered_ = false;  // the cache answered a statement
  bool fills_ = false;     // real_'s snapshot is stamp_'s state: its rows may be kept
  bool done_ = false;
};

}  // namespace codeyard::sqlite
