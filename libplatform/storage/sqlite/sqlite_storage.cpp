#include "storage/sqlite/sqlite_storage.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "core/uri_query.hpp"
#include "storage/sql/sql_text.hpp"
#include "storage/sqlite/sqlite_connection.hpp"
#include "storage/sqlite/sqlite_read_cache.hpp"
#include "storage/sqlite/sqlite_space.hpp"

namespace codeyard {
namespace {

using sqlite::Connection;

// The portable dialect's tokens (storage.hpp), expanded in every statement. The one writer
// is serial, so row locks and skipping locked rows have nothing to do.
constexpr sql::Tokens kTokens{"BLOB", "INTEGER PRIMARY KEY AUTOINCREMENT", "", "0"};

struct SqliteParams {
  std::string path;  // ":memory:" for an in-memory database
  int readers = 4;
  int busy_timeout_ms = 5000;
  int64_t reserve_bytes = int64_t{4} << 20;     // see sqlite_space.hpp
  int64_t read_cache_bytes = int64_t{8} << 20;  // see sqlite_read_cache.hpp; 0: none
};

Error BadUri(std::string_view uri, std::string why) {
  return Error(Error::Code::kInvalidArgument,
               "sqlite: bad URI \"" + std::string(uri) + "\": " + std::move(why));
}

Result<SqliteParams> ParseUri(std::string_view uri) {
  SqliteParams p;
  std::string_view rest = uri.substr(std::string_view("sqlite:").size());
  std::string_view query;
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (rest == ":memory:") {
    p.path = ":memory:";
    p.readers = 0;
  } else if (rest.starts_with("//") && rest.size() > 2) {
    p.path = std::string(rest.substr(2));  // "///abs" -> "/abs", "//rel" -> "rel"
  } else {
    return Fail(BadUri(uri,
                       "expected sqlite:///absolute/path.db, sqlite://relative/path.db "
                       "or sqlite::memory:"));
  }
  for (const auto& [key, value] : SplitQuery(query)) {
    int64_t n = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    const bool numeric = ec == std::errc() && end == value.data() + value.size();
    if (key == "readers" && numeric && n >= 0 && n <= 64) {
      if (p.path != ":memory:") p.readers = static_cast<int>(n);
    } else if (key == "busy_timeout_ms" && numeric && n >= 0 && n <= 3600000) {
      p.busy_timeout_ms = static_cast<int>(n);
    } else if (key == "reserve_bytes" && numeric && n >= 0 && n <= (int64_t{1} << 34)) {
      p.reserve_bytes = n;
    } else if (key == "read_cache_bytes" && numeric && n >= 0 && n <= (int64_t{1} << 30)) {
      p.read_cache_bytes = n;
    } else if (key == "readers" || key == "busy_timeout_ms" || key == "reserve_bytes" ||
               key == "read_cache_bytes") {
      return Fail(BadUri(uri, std::string(key) +
                                  " must be a number (readers: 0-64, reserve_bytes: at most "
                                  "16 GiB, read_cache_bytes: at most 1 GiB), got \"" +
                                  std::string(value) + "\""));
    } else {
      return Fail(BadUri(uri, "unknown parameter \"" + std::string(key) +
                                  "\" (known: readers, busy_timeout_ms, reserve_bytes, "
                                  "read_cache_bytes)"));
    }
  }
  return p;
}

// Explains up front what SQLite would report as a bare "unable to open database file".
Result<void> CheckLocation(const std::string& path) {
  const auto slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Fail(Error::Code::kFailedPrecondition,
                "sqlite: the directory " + dir + " of database " + path + " does not exist");
  }
  const bool exists = access(path.c_str(), F_OK) == 0;
  if (exists && access(path.c_str(), R_OK | W_OK) != 0) {
    return Fail(Error::Code::kPermissionDenied,
                "sqlite: database file " + path + " is not readable and writable: " +
                    std::strerror(errno));  // NOLINT(concurrency-mt-unsafe)
  }
  // WAL mode creates path-wal and path-shm beside the database, so the directory itself must
  // be writable even when the file exists.
  if (access(dir.c_str(), W_OK) != 0) {
    return Fail(Error::Code::kPermissionDenied,
                "sqlite: the directory " + dir + " is read-only (" +
                    std::strerror(errno) +  // NOLINT(concurrency-mt-unsafe)
                    "); the database and its -wal/-shm files must be created there");
  }
  return {};
}

class SqliteStorage;

class SqliteTransaction final : public Transaction {
 public:
  SqliteTransaction(SqliteStorage* owner, Connection* conn, bool writer)
      : owner_(owner), conn_(conn), writer_(writer) {}
  ~SqliteTransaction() override { Rollback(); }

  using Transaction::Exec;
  using Transaction::Query;

  Result<Rows> Query(std::string_view sql, std::span<const Value> params) override {
    if (auto r = Usable(); !r) return Fail(r.error());
    Rows rows;
    const std::string expanded = sql::MayHoldTokens(sql) ? sql::ExpandTokens(sql, kTokens) : "";
    auto n = conn_->Run(expanded.empty() ? sql : expanded, params, &rows);
    if (!n) return Fail(Poison(n.error()));
    return rows;
  }

  Result<int64_t> Exec(std::string_view sql, std::span<const Value> params) override {
    if (auto r = Usable(); !r) return Fail(r.error());
    const std::string expanded = sql::MayHoldTokens(sql) ? sql::ExpandTokens(sql, kTokens) : "";
    auto n = conn_->Run(expanded.empty() ? sql : expanded, params, nullptr);
    if (!n) return Fail(Poison(n.error()));
    return *n;
  }

  Result<void> Commit() override;
  void Rollback() noexcept override;

 private:
  Result<void> Usable() const {
    if (conn_ == nullptr) {
      return Fail(Error::Code::kFailedPrecondition, "sqlite: transaction already finished");
    }
    if (failed_) {
      return Fail(Error::Code::kFailedPrecondition,
                  "sqlite: transaction already failed; roll it back");
    }
    return {};
  }
  Error Poison(Error e) {
    failed_ = true;
    NoteDiskFull();
    return e;
  }
  void NoteDiskFull();
  void Release();

  SqliteStorage* owner_;
  Connection* conn_;
  bool writer_;
  bool failed_ = false;
};

class SqliteStorage final : public Storage, public sqlite::ReaderSource {
 public:
  SqliteStorage(SqliteParams params, std::unique_ptr<Connection> writer,
                std::vector<std::unique_ptr<Connection>> readers, std::shared_ptr<Logger> logger)
      : params_(std::move(params)),
        writer_(std::move(writer)),
        readers_(std::move(readers)),
        space_(params_.path, params_.reserve_bytes),
        logger_(std::move(logger)) {
    for (auto& r : readers_) free_readers_.push_back(r.get());
    OpenReadCache();
    if (params_.reserve_bytes > 0 && params_.path != ":memory:") {
      // Committed frames in the WAL need room again in the database when they are
      // checkpointed; keeping them under the reserve's size means the released reserve is
      // enough to empty the WAL on a full disk. A WAL grown by one big transaction is cut
      // back to that size too.
      const int64_t pages = std::max<int64_t>(64, params_.reserve_bytes / 4096);
      (void)writer_->Execute(("PRAGMA wal_autocheckpoint = " + std::to_string(pages)).c_str());
      (void)writer_->Execute(
          ("PRAGMA journal_size_limit = " + std::to_string(params_.reserve_bytes)).c_str());
    }
    space_.Open();
    if (space_.full()) {
      ShrinkWal();
      PinPages();
      if (logger_)
        logger_->Warn("sqlite: storage is full at open; only deletes will work",
                      {{"path", params_.path}});
    }
  }

  Result<void> CheckSpace(int64_t min_free_bytes) override {
    // A probe may be what notices that space came back (no write may come first). It never
    // waits for the writer: a busy writer means the next write will notice instead.
    if (space_.full() && writer_mu_.try_lock()) {
      if (space_.TryRecover()) Unpin();
      writer_mu_.unlock();
    }
    return space_.Check(min_free_bytes);
  }

  void Unpin() {
    (void)writer_->Execute("PRAGMA max_page_count = 4294967294");
    if (logger_) logger_->Info("sqlite: space is free again", {{"path", params_.path}});
  }

  // A write of the transaction that holds the writer ran out of space. The reserve goes back
  // to the filesystem now; the page cap waits until the writer is released.
  void OnDiskFull() {
    if (!space_.full() && logger_) {
      logger_->Error("sqlite: storage is full; the reserve is released so deletes can run",
                     {{"path", params_.path}, {"free_bytes", space_.FreeBytes()}});
    }
    space_.MarkFull();
    pin_pending_ = true;
  }

  // While full, each commit moves the WAL into the database and empties it, so the -wal file
  // holds one transaction at most and its space comes back at once.
  void AfterCommit() {
    if (space_.full()) ShrinkWal();
  }

  // Copies the committed frames into the database (growing it with the pages they add, out of
  // the released reserve) and truncates the -wal file, which gives back what it held, the
  // frames of the transaction that ran out of space included.
  void ShrinkWal() { (void)writer_->Execute("PRAGMA wal_checkpoint(TRUNCATE)"); }

  Result<std::unique_ptr<Transaction>> Begin(TxKind kind) override {
    const bool use_writer = kind != TxKind::kRead || readers_.empty();
    if (use_writer) {
      if (writer_owner_.load() == std::this_thread::get_id()) {
        return Fail(Error::Code::kFailedPrecondition,
                    "sqlite: this thread already holds the write transaction; finish it first");
      }
      writer_mu_.lock();
      writer_owner_.store(std::this_thread::get_id());
      if (space_.full() && kind != TxKind::kRead && space_.TryRecover()) Unpin();
      const char* begin = kind == TxKind::kRead ? "BEGIN" : "BEGIN IMMEDIATE";
      if (auto r = writer_->Execute(begin); !r) {
        if (sqlite::IsDiskFull(writer_->handle())) OnDiskFull();
        ReleaseWriter();
        return Fail(r.error());
      }
      if (kind == TxKind::kRead) {
        // Single-connection (in-memory) mode: reads share the writer but must not write.
        if (auto r = writer_->Execute("PRAGMA query_only=ON"); !r) {
          (void)writer_->Execute("ROLLBACK");
          writer_query_only_ = true;
          ReleaseWriter();
          return Fail(r.error());
        }
      }
      writer_query_only_ = kind == TxKind::kRead;
      return std::make_unique<SqliteTransaction>(this, writer_.get(), true);
    }
    if (cache_) {
      // No stamp while a writer is rewriting the header: this read goes to SQLite.
      if (const auto stamp = cache_->header().Read()) {
        return std::make_unique<sqlite::CachedRead>(*cache_, *this, *stamp);
      }
    }
    return BeginOnReader(false);
  }

  // For a CachedRead: a read transaction whose snapshot is already taken (the cache must know
  // which state it reads), i.e. BEGIN and one statement that reads the database.
  Result<std::unique_ptr<Transaction>> BeginReader() override { return BeginOnReader(true); }

  Result<std::unique_ptr<Transaction>> BeginOnReader(bool snapshot) {
    Connection* conn = nullptr;
    {
      std::unique_lock lock(readers_mu_);
      readers_cv_.wait(lock, [&] { return !free_readers_.empty(); });
      conn = free_readers_.back();
      free_readers_.pop_back();
    }
    if (auto r = conn->Execute("BEGIN"); !r) {
      ReturnReader(conn);
      return Fail(r.error());
    }
    auto tx = std::make_unique<SqliteTransaction>(this, conn, false);
    if (snapshot) {
      if (auto r = tx->Query("SELECT 1 FROM sqlite_schema LIMIT 0", {}); !r) return Fail(r.error());
    }
    return tx;
  }

  std::optional<ReadCacheStats> CacheStats() const override {
    if (!cache_) return std::nullopt;
    return cache_->stats();
  }

  std::string Dialect(std::string_view sql) const override {
    return sql::ExpandTokens(sql, kTokens);
  }

  StorageInfo Info() const override { return {"sqlite", params_.path, sqlite3_libversion()}; }

  Result<void> Maintain() override {
    std::lock_guard lock(writer_mu_);
    if (auto r = writer_->Execute("PRAGMA optimize"); !r) return r;
    return writer_->Execute("PRAGMA wal_checkpoint(TRUNCATE)");
  }

  // The database may not grow past the pages it has: a delete frees pages that later writes
  // may reuse, but nothing eats the room the released reserve gave back.
  void PinPages() {
    Rows rows;
    if (auto n = writer_->Run("PRAGMA page_count", {}, &rows); n && !rows.empty()) {
      if (auto pages = rows.front().Int(0)) {
        (void)writer_->Execute(("PRAGMA max_page_count = " + std::to_string(*pages)).c_str());
      }
    }
  }

  void ReleaseWriter() {
    if (pin_pending_) {
      pin_pending_ = false;
      if (sqlite3_get_autocommit(writer_->handle())) {
        ShrinkWal();
        PinPages();
      }
    }
    // Only after a read on the writer (in-memory mode): setting a pragma expires every
    // prepared statement of the connection, which would defeat the statement cache.
    if (writer_query_only_) (void)writer_->Execute("PRAGMA query_only=OFF");
    writer_query_only_ = false;
    writer_owner_.store(std::thread::id());
    writer_mu_.unlock();
  }

  // The cache needs the WAL-index header, which the readers' VFS maps once one has read.
  void OpenReadCache() {
    if (params_.read_cache_bytes <= 0 || readers_.empty()) return;
    Connection& reader = *readers_.front();
    Rows rows;
    if (!reader.Run("SELECT 1 FROM sqlite_schema LIMIT 0", {}, &rows)) return;
    if (auto header = sqlite::WalHeader::Map(reader.handle())) {
      cache_ = std::make_unique<sqlite::ReadCache>(*header, params_.read_cache_bytes);
    } else if (logger_) {
      logger_->Warn("sqlite: no WAL shared memory; the read cache is off",
                    {{"path", params_.path}});
    }
  }

  void ReturnReader(Connection* conn) {
    {
      std::lock_guard lock(readers_mu_);
      free_readers_.push_back(conn);
    }
    readers_cv_.notify_one();
  }

 private:
  SqliteParams params_;
  std::unique_ptr<Connection> writer_;
  std::mutex writer_mu_;
  std::atomic<std::thread::id> writer_owner_{};
  bool writer_query_only_ = false;  // guarded by writer_mu_
  std::vector<std::unique_ptr<Connection>> readers_;
  std::mutex readers_mu_;
  std::condition_variable readers_cv_;
  std::vector<Connection*> free_readers_;
  sqlite::Space space_;
  bool pin_pending_ = false;  // guarded by writer_mu_
  std::shared_ptr<Logger> logger_;
  std::unique_ptr<sqlite::ReadCache> cache_;  // null: off (read_cache_bytes=0, no readers, no WAL)
};

Result<void> SqliteTransaction::Commit() {
  if (auto r = Usable(); !r) {
    Rollback();
    return r;
  }
  auto r = conn_->Execute("COMMIT");
  if (!r) {
    failed_ = true;
    NoteDiskFull();
    Rollback();
    return r;
  }
  if (writer_) owner_->AfterCommit();
  Release();
  return {};
}

void SqliteTransaction::NoteDiskFull() {
  if (writer_ && conn_ != nullptr && sqlite::IsDiskFull(conn_->handle())) owner_->OnDiskFull();
}

void SqliteTransaction::Rollback() noexcept {
  if (conn_ == nullptr) return;
  // A failed COMMIT or statement may already have ended the transaction; ROLLBACK then
  // reports "no transaction is active", which is harmless.
  if (!sqlite3_get_autocommit(conn_->handle())) (void)conn_->Execute("ROLLBACK");
  Release();
}

void SqliteTransaction::Release() {
  if (conn_ == nullptr) return;
  if (writer_) {
    owner_->ReleaseWriter();
  } else {
    owner_->ReturnReader(conn_);
  }
  conn_ = nullptr;
}

}  // namespace

Result<std::unique_ptr<Storage>> OpenSqliteStorage(std::string_view uri,
                                                   const BackendContext& context) {
  auto params = ParseUri(uri);
  if (!params) return Fail(params.error());
  if (params->path != ":memory:") {
    if (auto r = CheckLocation(params->path); !r) return Fail(r.error());
  }
  auto writer = Connection::Open(params->path, true, params->busy_timeout_ms, false);
  if (!writer) {
    if (writer.error().code() == Error::Code::kDataLoss) {
      return Fail(Error::Code::kDataLoss, "sqlite: " + params->path +
                                              " is not a SQLite database or is corrupt (" +
                                              writer.error().message() + ")");
    }
    return Fail(writer.error());
  }
  std::vector<std::unique_ptr<Connection>> readers;
  for (int i = 0; i < params->readers; ++i) {
    auto reader = Connection::Open(params->path, false, params->busy_timeout_ms, true);
    if (!reader) return Fail(reader.error());
    readers.push_back(std::move(*reader));
  }
  if (context.logger) {
    context.logger->Info("sqlite storage opened",
                         {{"path", params->path}, {"readers", params->readers}});
  }
  return std::make_unique<SqliteStorage>(std::move(*params), std::move(*writer), std::move(readers),
                                         context.logger);
}

}  // namespace codeyard
