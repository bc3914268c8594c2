#include "storage/sqlite/sqlite_space.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>

namespace codeyard::sqlite {

Space::Space(const std::string& db_path, int64_t reserve_bytes) : reserve_bytes_(reserve_bytes) {
  if (db_path.empty() || db_path == ":memory:") return;
  const auto slash = db_path.rfind('/');
  dir_ = slash == std::string::npos ? "." : (slash == 0 ? "/" : db_path.substr(0, slash));
  if (reserve_bytes_ > 0) reserve_path_ = db_path + ".reserve";
}

int64_t Space::FreeBytes() const {
  if (dir_.empty()) return -1;
  struct statvfs st {};
  if (statvfs(dir_.c_str(), &st) != 0) return -1;
  return static_cast<int64_t>(st.f_bavail) * static_cast<int64_t>(st.f_frsize);
}

bool Space::MakeReserve() {
  if (reserve_path_.empty()) return true;
  if (access(reserve_path_.c_str(), F_OK) == 0) return true;
  // An unnamed file, given its name only once its blocks are taken: a process that dies
  // midway leaves nothing behind, and two processes opening one new database at once cannot
  // undo each other's file (a shared temporary name did: one unlinked the other's).
  int fd = ::open(dir_.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  std::string tmp;  // only where the filesystem has no O_TMPFILE
  if (fd < 0) {
    tmp = reserve_path_ + ".tmp." + std::to_string(::getpid());
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return false;
  }
  // posix_fallocate really takes the blocks (a sparse file would give nothing back).
  bool made = posix_fallocate(fd, 0, reserve_bytes_) == 0 && ::fsync(fd) == 0;
  if (made && tmp.empty()) {
    const std::string self = "/proc/self/fd/" + std::to_string(fd);
    made =
        ::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, reserve_path_.c_str(), AT_SYMLINK_FOLLOW) == 0 ||
        errno == EEXIST;  // another process made it first: one reserve is enough
  } else if (made) {
    made = ::rename(tmp.c_str(), reserve_path_.c_str()) == 0;
  }
  ::close(fd);
  if (!tmp.empty() && !made) ::unlink(tmp.c_str());
  return made;
}

void Space::ReleaseReserve() {
  if (!reserve_path_.empty()) ::unlink(reserve_path_.c_str());
}

void Space::Open() {
  if (dir_.empty()) return;
  const bool have = reserve_path_.empty() || access(reserve_path_.c_str(), F_OK) == 0;
  const int64_t free = FreeBytes();
  if (have) {
    // Opening writes the -wal and -shm files: on a disk with less than a reserve left, the
    // reserve goes now, or not even a delete could run.
    if (free >= 0 && free < reserve_bytes_) MarkFull();
    return;
  }
  if (free >= 2 * reserve_bytes_ && MakeReserve()) return;
  full_.store(true);
}

void Space::MarkFull() {
  ReleaseReserve();
  full_.store(true);
}

bool Space::TryRecover() {
  if (!full_.load()) return false;
  std::lock_guard lock(recover_mu_);
  const auto now = std::chrono::steady_clock::now();
  if (now < next_try_) return false;
  next_try_ = now + std::chrono::seconds(1);
  const int64_t free = FreeBytes();
  if (free < 2 * reserve_bytes_ || free <= 0 || !MakeReserve()) return false;
  full_.store(false);
  return true;
}

Result<void> Space::Check(int64_t min_free_bytes) const {
  if (full_.load()) {
    return Fail(Error::Code::kUnavailable,
                "sqlite: storage is full: a write ran out of space in " + dir_ +
                    "; deletes still work, and writes resume once space is freed");
  }
  const int64_t free = FreeBytes();
  if (min_free_bytes > 0 && free >= 0 && free < min_free_bytes) {
    return Fail(Error::Code::kUnavailable,
                "sqlite: storage is nearly full: " + std::to_string(free) + " bytes free in " +
                    dir_ + ", below storage.min_free_bytes (" + std::to_string(min_free_bytes) +
                    ")");
  }
  return {};
}

}  // namespace codeyard::sqlite
