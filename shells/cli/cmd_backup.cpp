// `codeyard backup FILE` and `codeyard restore FILE`: a consistent copy of a SQLite storage,
// taken with SQLite's online backup API while servers keep running (it copies pages in steps
// and starts over by itself if a writer changes the database meanwhile), and put back into a
// data directory that has no database yet. PostgreSQL has its own tools: both commands print
// the pg_dump / pg_restore lines to use and exit 2. The database holds users, workspaces,
// files, reviews, problems and jobs; `<data>/secret` (dev mode's token key) and images are
// files beside it (docs/cli.md).
#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "commands.hpp"

namespace codeyard::cli {
namespace {

constexpr int kPagesPerStep = 256;

struct Db {
  sqlite3* db = nullptr;
  ~Db() { sqlite3_close_v2(db); }
};

// The file of a sqlite:// URI, or raises: PostgreSQL gets the guidance, anything else is usage.
std::string SqlitePath(const std::string& uri, const char* command) {
  if (uri.starts_with("postgres")) {
    std::fprintf(stderr,
                 "codeyard: %s: the storage is PostgreSQL; use its own tools:\n"
                 "  pg_dump --format=custom --file=codeyard.dump '<storage.uri>'\n"
                 "  pg_restore --clean --if-exists --dbname='<storage.uri>' codeyard.dump\n"
                 "then run `codeyard migrate` against the restored database.\n",
                 command);
    throw CommandFailed(kExitBadInput, "");
  }
  std::string rest = uri.substr(std::string("sqlite:").size());
  if (const auto q = rest.find('?'); q != std::string::npos) rest.resize(q);
  if (!rest.starts_with("//") || rest == "//") {
    Raise(Error(Error::Code::kInvalidArgument,
                std::string(command) + ": needs a SQLite file storage, not " + uri));
  }
  return rest.substr(2);
}

void Open(Db& db, const std::string& path, int flags) {
  if (sqlite3_open_v2(path.c_str(), &db.db, flags, nullptr) != SQLITE_OK) {
    Raise(Error(Error::Code::kNotFound,
                "cannot open " + path + ": " + (db.db ? sqlite3_errmsg(db.db) : "out of memory")));
  }
  sqlite3_busy_timeout(db.db, 5000);
}

// Copies `from` into `to` in steps, drawing a progress line on a terminal.
void Copy(Db& from, Db& to, const char* what) {
  sqlite3_backup* backup = sqlite3_backup_init(to.db, "main", from.db, "main");
  if (backup == nullptr) {
    Raise(Error(Error::Code::kInternal, std::string(what) + ": " + sqlite3_errmsg(to.db)));
  }
  const bool tty = StderrIsTty();
  int rc = SQLITE_OK;
  do {
    rc = sqlite3_backup_step(backup, kPagesPerStep);
    if (tty) {
      const int total = sqlite3_backup_pagecount(backup);
      const int done = total - sqlite3_backup_remaining(backup);
      std::fprintf(stderr, "\r%s: %d/%d pages", what, done, total);
    }
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(50);
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  if (tty) std::fprintf(stderr, "\n");
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) {
    Raise(Error(Error::Code::kInternal, std::string(what) + ": " + sqlite3_errstr(rc)));
  }
}

void Backup(const std::string& file, const CommonOptions& common) {
  const Config config = common.Load();
  const std::string db_path = SqlitePath(config.EffectiveStorageUri(), "backup");
  if (!std::filesystem::exists(db_path)) {
    Raise(Error(Error::Code::kNotFound, "backup: no database at " + db_path));
  }
  if (std::filesystem::exists(file)) {
    Raise(Error(Error::Code::kAlreadyExists, "backup: " + file + " exists; not overwriting it"));
  }
  Db from;
  Db to;
  Open(from, db_path, SQLITE_OPEN_READONLY);
  Open(to, file, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  Copy(from, to, "backup");
  std::printf("backed up %s to %s (%lld bytes)\n", db_path.c_str(), file.c_str(),
              static_cast<long long>(std::filesystem::file_size(file)));
}

void Restore(const std::string& file, bool force, const CommonOptions& common) {
  const Config config = common.Load();
  const std::string db_path = SqlitePath(config.EffectiveStorageUri(), "restore");
  if (!std::filesystem::exists(file)) {
    Raise(Error(Error::Code::kNotFound, "restore: no backup at " + file));
  }
  if (std::filesystem::exists(db_path) && !force) {
    Raise(
        Error(Error::Code::kAlreadyExists,
              "restore: " + db_path + " exists; stop the servers and give --force to replace it"));
  }
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(db_path).parent_path(), ec);
  {
    Db from;
    Db to;
    Open(from, file, SQLITE_OPEN_READONLY);
    Open(to, db_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    Copy(from, to, "restore");
  }
  // Opening applies any migration a newer binary brings, and proves the copy is a database.
  auto platform = OpenStorage(config);
  std::printf("restored %s into %s (schema version %lld)\n", file.c_str(), db_path.c_str(),
              static_cast<long long>(platform->schema_version()));
}

}  // namespace

void AddBackupCommands(CLI::App& app) {
  auto common = std::make_shared<CommonOptions>();
  auto file = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);

  auto* backup = app.add_subcommand("backup", "copy the SQLite storage to FILE, online");
  backup->footer("Example:\n  codeyard backup /backups/codeyard-$(date +%F).db --data /var/lib/cy");
  common->AddTo(*backup);
  backup->add_option("file", *file, "the backup file to create")->required();
  backup->callback([common, file] { Backup(*file, *common); });

  auto* restore = app.add_subcommand("restore", "put a backup back into a data directory");
  restore->footer(
      "Example:\n  codeyard restore /backups/codeyard-2026-12-06.db --data /var/lib/cy-new");
  common->AddTo(*restore);
  restore->add_option("file", *file, "a file made by `codeyard backup`")->required();
  restore->add_flag("--force", *force, "replace an existing database (stop servers first)");
  restore->callback([common, file, force] { Restore(*file, *force, *common); });
}

}  // namespace codeyard::cli
