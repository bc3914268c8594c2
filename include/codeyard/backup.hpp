// Consistent copies of a storage, for `codeyard backup` and `codeyard restore`
// (docs/operations.md). A SQLite database is copied with SQLite's online backup API while
// servers keep using it: the copy goes in steps, and starts over by itself when a writer
// changes the database meanwhile, so the result is always one consistent state, never a torn
// file. PostgreSQL has its own tools (pg_dump, pg_restore): both calls refuse it with a
// message naming them. The functions are independent of each other and of any open Platform;
// any thread, but a progress callback runs on the caller's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "codeyard/error.hpp"

namespace codeyard {

// Called after each step of a copy: database pages copied so far, and pages in all.
using BackupProgress = std::function<void(int64_t done, int64_t total)>;

// Copies the SQLite database of `storage_uri` ("sqlite:///path.db", parameters ignored) into
// the new file `file`; returns its size in bytes. Errors: kInvalidArgument for a PostgreSQL
// storage (the message gives the pg_dump and pg_restore lines) and for one that is not a
// SQLite file (sqlite::memory:); kNotFound when the database does not exist; kAlreadyExists
// when `file` does (a backup is never overwritten); kInternal when SQLite fails.
[[nodiscard]] Result<int64_t> BackupStorage(std::string_view storage_uri, const std::string& file,
                                            const BackupProgress& progress = {});

// Copies the backup `file` into the SQLite database of `storage_uri`, creating its folder.
// kAlreadyExists when that database exists and `replace` is false (servers must be stopped
// before a replace); kNotFound without `file`; kInvalidArgument as for BackupStorage, and
// when `file` is not a SQLite database. Migrations are not applied here: opening the
// storage afterwards (Platform::Open) brings an older backup up to this release's schema.
[[nodiscard]] Result<void> RestoreStorage(const std::string& file, std::string_view storage_uri,
                                          bool replace, const BackupProgress& progress = {});

}  // namespace codeyard
