// `codeyard backup FILE` and `codeyard restore FILE`: the library's BackupStorage and
// RestoreStorage (codeyard/backup.hpp: SQLite's online backup while servers keep running; on
// PostgreSQL a one-line error naming pg_dump and pg_restore, exit 2), with a progress line on a
// terminal; restore then opens the storage, which applies any migration this release brings.
// The database holds users, workspaces, files, reviews, problems and jobs; `<data>/secret`
// (dev mode's token key) and images are files beside it (docs/operations.md).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "codeyard/backend/registry.hpp"
#include "codeyard/backup.hpp"
#include "commands.hpp"

namespace codeyard::cli {
namespace {

// Draws "what: done/total pages" on a terminal; nothing elsewhere.
BackupProgress ProgressLine(const char* what) {
  if (!StderrIsTty()) return {};
  return [what](int64_t done, int64_t total) {
    std::fprintf(stderr, "\r%s: %lld/%lld pages", what, static_cast<long long>(done),
                 static_cast<long long>(total));
  };
}

void Backup(const std::string& file, const CommonOptions& common) {
  const Config config = common.Load();
  const auto size = BackupStorage(config.EffectiveStorageUri(), file, ProgressLine("backup"));
  if (StderrIsTty()) std::fprintf(stderr, "\n");
  if (!size) Raise(size.error());
  std::printf("backed up %s to %s (%lld bytes)\n", RedactUri(config.EffectiveStorageUri()).c_str(),
              file.c_str(), static_cast<long long>(*size));
}

void Restore(const std::string& file, bool force, const CommonOptions& common) {
  const Config config = common.Load();
  const auto restored =
      RestoreStorage(file, config.EffectiveStorageUri(), force, ProgressLine("restore"));
  if (StderrIsTty()) std::fprintf(stderr, "\n");
  if (!restored) Raise(restored.error());
  // Opening applies any migration a newer binary brings, and proves the copy is a database.
  auto platform = OpenStorage(config);
  std::printf("restored %s into %s (schema version %lld)\n", file.c_str(),
              RedactUri(config.EffectiveStorageUri()).c_str(),
              static_cast<long long>(platform->schema_version()));
}

}  // namespace

void AddBackupCommands(CLI::App& app) {
  auto common = std::make_shared<CommonOptions>();
  auto file = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);

  auto* backup = app.add_subcommand("backup", "copy the SQLite storage to FILE, online");
  backup->footer(
      "Examples:\n  codeyard backup /backups/codeyard-$(date +%F).db --data /var/lib/cy");
  common->AddTo(*backup);
  backup->add_option("file", *file, "the backup file to create")->required();
  backup->callback([common, file] { Backup(*file, *common); });

  auto* restore = app.add_subcommand("restore", "put a backup back into a data directory");
  restore->footer(
      "Examples:\n  codeyard restore /backups/codeyard-2026-12-06.db --data /var/lib/cy-new");
  common->AddTo(*restore);
  restore->add_option("file", *file, "a file made by `codeyard backup`")->required();
  restore->add_flag("--force", *force, "replace an existing database (stop servers first)");
  restore->callback([common, file, force] { Restore(*file, *force, *common); });
}

}  // namespace codeyard::cli
