// SQLite's online backup for BackupStorage / RestoreStorage (see codeyard/backup.hpp).
#include <sqlite3.h>

#include <filesystem>

#include "codeyard/backup.hpp"

namespace codeyard {
namespace {

constexpr int kPagesPerStep = 256;

struct Db {
  sqlite3* db = nullptr;
  Db() = default;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db() { sqlite3_close_v2(db); }
};

// The database file of a sqlite:// URI, or why there is none to copy.
Result<std::string> SqlitePath(std::string_view uri, std::string_view what) {
  const std::string verb(what);
  if (uri.starts_with("postgres")) {
    return Fail(Error::Code::kInvalidArgument,
                verb +
                    ": the storage is PostgreSQL; use its own tools: pg_dump --format=custom "
                    "--file=codeyard.dump '<storage.uri>' to back up, pg_restore --clean "
                    "--if-exists --dbname='<storage.uri>' codeyard.dump to restore, then "
                    "codeyard migrate");
  }
  if (!uri.starts_with("sqlite:")) {
    return Fail(Error::Code::kInvalidArgument,
                verb + ": needs a SQLite file storage, not " + std::string(uri));
  }
  std::string_view rest = uri.substr(std::string_view("sqlite:").size());
  if (const auto q = rest.find('?'); q != std::string_view::npos) rest = rest.substr(0, q);
  if (!rest.starts_with("//") || rest == "//") {
    return Fail(Error::Code::kInvalidArgument,
                verb + ": needs a SQLite file storage, not " + std::string(uri));
  }
  return std::string(rest.substr(2));
}

Result<void> Open(Db& db, const std::string& path, int flags) {
  if (sqlite3_open_v2(path.c_str(), &db.db, flags, nullptr) != SQLITE_OK) {
    return Fail(Error::Code::kNotFound,
                "cannot open " + path + ": " + (db.db ? sqlite3_errmsg(db.db) : "out of memory"));
  }
  sqlite3_busy_timeout(db.db, 5000);
  return {};
}

Result<void> Copy(Db& from, Db& to, std::string_view what, const BackupProgress& progress) {
  sqlite3_backup* backup = sqlite3_backup_init(to.db, "main", from.db, "main");
  if (backup == nullptr) {
    return Fail(Error::Code::kInternal, std::string(what) + ": " + sqlite3_errmsg(to.db));
  }
  int rc = SQLITE_OK;
  do {
    rc = sqlite3_backup_step(backup, kPagesPerStep);
    if (progress) {
      const int total = sqlite3_backup_pagecount(backup);
      progress(total - sqlite3_backup_remaining(backup), total);
    }
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(50);
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  sqlite3_backup_finish(backup);
  if (rc == SQLITE_NOTADB) {
    return Fail(Error::Code::kInvalidArgument, std::string(what) + ": not a SQLite database");
  }
  if (rc != SQLITE_DONE) {
    return Fail(Error::Code::kInternal, std::string(what) + ": " + sqlite3_errstr(rc));
  }
  return {};
}

}  // namespace

Result<int64_t> BackupStorage(std::string_view storage_uri, const std::string& file,
                              const BackupProgress& progress) {
  auto db_path = SqlitePath(storage_uri, "backup");
  if (!db_path) return Fail(db_path.error());
  std::error_code ec;
  if (!std::filesystem::exists(*db_path, ec)) {
    return Fail(Error::Code::kNotFound, "backup: no database at " + *db_path);
  }
  if (std::filesystem::exists(file, ec)) {
    return Fail(Error::Code::kAlreadyExists, "backup: " + file + " exists; not overwriting it");
  }
  {
    Db from;
    Db to;
    if (auto r = Open(from, *db_path, SQLITE_OPEN_READONLY); !r) return Fail(r.error());
    if (auto r = Open(to, file, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE); !r) {
      return Fail(r.error());
    }
    if (auto r = Copy(from, to, "backup", progress); !r) {
      std::filesystem::remove(file, ec);  // no half copy left to be mistaken for a backup
      return Fail(r.error());
    }
  }
  return static_cast<int64_t>(std::filesystem::file_size(file, ec));
}

Result<void> RestoreStorage(const std::string& file, std::string_view storage_uri, bool replace,
                            const BackupProgress& progress) {
  auto db_path = SqlitePath(storage_uri, "restore");
  if (!db_path) return Fail(db_path.error());
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    return Fail(Error::Code::kNotFound, "restore: no backup at " + file);
  }
  const bool existed = std::filesystem::exists(*db_path, ec);
  if (existed && !replace) {
    return Fail(
        Error::Code::kAlreadyExists,
        "restore: " + *db_path + " exists; stop the servers and give --force to replace it");
  }
  const std::filesystem::path parent = std::filesystem::path(*db_path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  Result<void> copied;
  {
    Db from;
    Db to;
    if (auto r = Open(from, file, SQLITE_OPEN_READONLY); !r) return Fail(r.error());
    if (auto r = Open(to, *db_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE); !r) {
      return Fail(r.error());
    }
    copied = Copy(from, to, "restore", progress);
  }
  if (!copied && !existed) {
    // Leave no empty database behind that a retry would have to --force over.
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      std::filesystem::remove(*db_path + suffix, ec);
    }
  }
  return copied;
}

}  // namespace codeyard
