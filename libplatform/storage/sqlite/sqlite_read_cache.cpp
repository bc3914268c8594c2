#include "storage/sqlite/sqlite_read_cache.hpp"

#include <atomic>
#include <cstring>
#include <variant>

namespace codeyard::sqlite {
namespace {

// SQLite's WAL-index header (walformat.html, "the WAL-index header"): two copies of 48 bytes at
// the start of the shared memory. A writer writes copy 2 (words 12-23), then copy 1; a reader
// reads copy 1, then copy 2, and trusts them only when they are equal. Word 3's first byte is
// isInit.
constexpr std::size_t kWords = 12;
constexpr int kRegionBytes = 32768;  // the size SQLite maps its shared memory in

// Statements that read no table (`SELECT 1`, a readiness probe) cost nothing to run and are
// asked for their own sake: only those naming a table ("FROM") are kept.
bool NamesTable(std::string_view sql) {
  for (std::size_t i = 0; i + 4 <= sql.size(); ++i) {
    if ((sql[i] | 0x20) == 'f' && (sql[i + 1] | 0x20) == 'r' && (sql[i + 2] | 0x20) == 'o' &&
        (sql[i + 3] | 0x20) == 'm') {
      return true;
    }
  }
  return false;
}

// The statement and its parameters, each parameter with its type and length, so that no two
// different calls share a key.
std::string KeyOf(std::string_view sql, std::span<const Value> params) {
  std::string key;
  std::size_t size = sql.size() + 1;
  for (const Value& v : params) {
    if (const auto* s = std::get_if<std::string>(&v)) size += s->size();
    if (const auto* b = std::get_if<Blob>(&v)) size += b->bytes.size();
    size += 1 + sizeof(uint64_t);
  }
  key.reserve(size);
  key.append(sql);
  key.push_back('\0');
  const auto append_word = [&key](uint64_t word) {
    char bytes[sizeof word];
    std::memcpy(bytes, &word, sizeof word);
    key.append(bytes, sizeof word);
  };
  for (const Value& v : params) {
    key.push_back(static_cast<char>('0' + v.index()));
    if (const auto* n = std::get_if<int64_t>(&v)) {
      append_word(static_cast<uint64_t>(*n));
    } else if (const auto* d = std::get_if<double>(&v)) {
      uint64_t bits = 0;
      std::memcpy(&bits, d, sizeof bits);
      append_word(bits);
    } else if (const auto* s = std::get_if<std::string>(&v)) {
      append_word(s->size());
      key.append(*s);
    } else if (const auto* b = std::get_if<Blob>(&v)) {
      append_word(b->bytes.size());
      key.append(b->bytes);
    }
  }
  return key;
}

// What an entry holds in memory, roughly: its key, its cells and their contents.
int64_t SizeOf(const std::string& key, const Rows& rows) {
  std::size_t size = key.size() + 64;
  for (const Row& row : rows) {
    size += sizeof(Row) + row.size() * sizeof(Value);
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (const auto* s = std::get_if<std::string>(&row.at(i))) size += s->size();
      if (const auto* b = std::get_if<Blob>(&row.at(i))) size += b->bytes.size();
    }
  }
  return static_cast<int64_t>(size);
}

}  // namespace

std::optional<WalHeader> WalHeader::Map(sqlite3* db) {
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK ||
      file == nullptr || file->pMethods == nullptr || file->pMethods->iVersion < 2 ||
      file->pMethods->xShmMap == nullptr) {
    return std::nullopt;
  }
  const char* mode = nullptr;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr) != SQLITE_OK) {
    return std::nullopt;
  }
  const bool wal =
      sqlite3_step(stmt) == SQLITE_ROW &&
      (mode = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))) != nullptr &&
      std::strcmp(mode, "wal") == 0;
  sqlite3_finalize(stmt);
  if (!wal) return std::nullopt;
  // Region 0 is mapped once per process and file and stays at its address until the last
  // connection to the file closes; later regions are mapped apart from it.
  void volatile* region = nullptr;
  if (file->pMethods->xShmMap(file, 0, kRegionBytes, 0, &region) != SQLITE_OK ||
      region == nullptr) {
    return std::nullopt;
  }
  WalHeader header(static_cast<const volatile uint32_t*>(region));
  if (!header.Read()) return std::nullopt;
  return header;
}

std::optional<WalStamp> WalHeader::Read() const noexcept {
  WalStamp first;
  WalStamp second;
  for (std::size_t i = 0; i < kWords; ++i) first[i] = words_[i];
  // As SQLite's walShmBarrier: the second copy is read after the first.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  for (std::size_t i = 0; i < kWords; ++i) second[i] = words_[kWords + i];
  uint8_t is_init = 0;
  std::memcpy(&is_init, &first[3], 1);
  if (first != second || is_init == 0) return std::nullopt;
  return first;
}

std::optional<Rows> ReadCache::Find(const WalStamp& stamp, const std::string& key) {
  std::shared_ptr<const Rows> found;
  {
    const std::lock_guard lock(mu_);
    if (stamp == stamp_) {
      if (const auto it = entries_.find(key); it != entries_.end()) found = it->second;
    }
    ++(found ? hits_ : misses_);
  }
  if (!found) return std::nullopt;
  return *found;
}

void ReadCache::Store(const WalStamp& stamp, std::string key, const Rows& rows) {
  const int64_t size = SizeOf(key, rows);
  if (size > max_bytes_ / 8) return;  // a few large results would evict everything else
  auto entry = std::make_shared<const Rows>(rows);
  const std::lock_guard lock(mu_);
  if (stamp != stamp_) {
    // A transaction that began before the last commit keeps what it read to itself.
    const std::optional<WalStamp> now = header_.Read();
    if (!now || *now != stamp) return;
    entries_.clear();
    bytes_ = 0;
    stamp_ = stamp;
  }
  if (bytes_ + size > max_bytes_) {
    entries_.clear();
    bytes_ = 0;
  }
  if (entries_.try_emplace(std::move(key), std::move(entry)).second) bytes_ += size;
}

ReadCacheStats ReadCache::stats() const {
  const std::lock_guard lock(mu_);
  return {hits_, misses_, bytes_};
}

Result<void> CachedRead::BeginReal() {
  auto tx = source_.BeginReader();
  if (!tx) return Fail(tx.error());
  real_ = std::move(*tx);
  // The reader's snapshot is taken (BeginReader) between two readings of the header: when
  // both are stamp_, no commit came between and the snapshot is stamp_'s state.
  const std::optional<WalStamp> now = cache_.header().Read();
  fills_ = now && *now == stamp_;
  if (!fills_ && answered_) {
    real_.reset();
    done_ = true;
    return Fail(Error::Code::kAborted,
                "sqlite: the database changed during a read the read cache had begun to answer; "
                "run the transaction again");
  }
  return {};
}

Result<Rows> CachedRead::Query(std::string_view sql, std::span<const Value> params) {
  if (done_) return Fail(Error::Code::kFailedPrecondition, "sqlite: transaction already finished");
  const bool keep = NamesTable(sql);
  std::string key;
  if (keep && (real_ == nullptr || fills_)) key = KeyOf(sql, params);
  if (real_ == nullptr) {
    if (keep) {
      if (auto rows = cache_.Find(stamp_, key)) {
        answered_ = true;
        return std::move(*rows);
      }
    }
    if (auto begun = BeginReal(); !begun) return Fail(begun.error());
  }
  auto rows = real_->Query(sql, params);
  if (rows && keep && fills_) cache_.Store(stamp_, std::move(key), *rows);
  return rows;
}

Result<int64_t> CachedRead::Exec(std::string_view sql, std::span<const Value> params) {
  if (done_) return Fail(Error::Code::kFailedPrecondition, "sqlite: transaction already finished");
  if (real_ == nullptr) {
    if (auto begun = BeginReal(); !begun) return Fail(begun.error());
  }
  return real_->Exec(sql, params);
}

Result<void> CachedRead::Commit() {
  done_ = true;
  if (real_ == nullptr) return {};
  auto committed = real_->Commit();
  real_.reset();
  return committed;
}

void CachedRead::Rollback() noexcept {
  done_ = true;
  if (real_ == nullptr) return;
  real_->Rollback();
  real_.reset();
}

}  // namespace codeyard::sqlite
