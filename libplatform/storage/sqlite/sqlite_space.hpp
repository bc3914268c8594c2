// Room to write for the SQLite backend. A full disk must not stop deletes, which are how an
// operator or a user makes room again, but in WAL mode even a delete appends pages to the
// -wal file, and after a restart SQLite must create that file anew. So the backend keeps a
// reserve file beside the database (`<db>.reserve`, `reserve_bytes` of the URI, 4 MiB by
// default) and gives it back to the filesystem the moment a write fails for want of space.
// From then on the storage is "full": the database may not grow past its current pages
// (PRAGMA max_page_count; pages freed by deletes can be reused), each commit checkpoints so
// the WAL is reused from its start instead of growing, and readiness says so. When twice the
// reserve is free again, the reserve is made anew and writes grow the database again.
// Thread-safe; the file operations run under the storage's writer lock.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "codeyard/error.hpp"

namespace codeyard::sqlite {

class Space {
 public:
  // `db_path` empty (an in-memory database): never full, no reserve.
  Space(const std::string& db_path, int64_t reserve_bytes);

  // At open: makes the reserve when there is room for it, else releases it and starts full.
  void Open();

  [[nodiscard]] bool full() const { return full_.load(); }

  // A write ran out of space: releases the reserve and marks the storage full.
  void MarkFull();

  // When full and, checked at most once a second, twice the reserve is free: makes the
  // reserve again and clears the mark. Returns true when it did.
  [[nodiscard]] bool TryRecover();

  // kUnavailable "storage is full: ..." when full, or when fewer than `min_free_bytes` are
  // free in the database's directory.
  [[nodiscard]] Result<void> Check(int64_t min_free_bytes) const;

  // Bytes free to an unprivileged writer in the database's directory; -1 if unknown.
  [[nodiscard]] int64_t FreeBytes() const;

 private:
  bool MakeReserve();
  void ReleaseReserve();

  std::string dir_;
  std::string reserve_path_;
  int64_t reserve_bytes_;
  std::atomic<bool> full_{false};
  std::mutex recover_mu_;
  std::chrono::steady_clock::time_point next_try_{};
};

}  // namespace codeyard::sqlite
