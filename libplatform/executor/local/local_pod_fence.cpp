// LocalPod::Fenced (faults21): the pod's fencing token lives in <pod dir>/fence, a file of the
// state directory that every process reaching the pod opens (the replicas of one host share
// the state directory). flock(LOCK_EX) on it makes the check, the raise and the caller's file
// calls one step against every other fenced caller, in this process or another; the kernel
// drops the lock with the descriptor, so a caller killed mid-call blocks nobody.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string>

#include "core/errno_text.hpp"
#include "executor/local/local_pod.hpp"

namespace codeyard::local {
namespace {

class LockedFile {
 public:
  explicit LockedFile(int fd) : fd_(fd) {}
  LockedFile(const LockedFile&) = delete;
  LockedFile& operator=(const LockedFile&) = delete;
  ~LockedFile() {
    if (fd_ >= 0) ::close(fd_);  // drops the flock
  }
  [[nodiscard]] int fd() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

Result<void> LocalPod::Fenced(int64_t token, const std::function<Result<void>()>& calls) {
  const std::string path = launch_.pod_dir + "/fence";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 && errno == ENOENT) {
    return Fail(Error::Code::kFailedPrecondition, "pod " + info_.id + " is not running");
  }
  if (fd < 0) return Fail(Error::Code::kInternal, "open " + path + ": " + ErrnoText(errno));
  const LockedFile file(fd);
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno != EINTR)
      return Fail(Error::Code::kInternal, "flock " + path + ": " + ErrnoText(errno));
  }
  char text[24] = {};
  const ssize_t got = ::pread(fd, text, sizeof(text) - 1, 0);
  if (got < 0) return Fail(Error::Code::kInternal, "read " + path + ": " + ErrnoText(errno));
  int64_t seen = 0;
  (void)std::from_chars(text, text + got, seen);  // an empty file: no token yet
  if (token < seen) {
    return Fail(Error::Code::kFailedPrecondition,
                "pod " + info_.id + ": " + std::string(kStaleFencingToken) + " " +
                    std::to_string(token) + " (the pod has seen " + std::to_string(seen) + ")");
  }
  if (token > seen) {
    const std::string now = std::to_string(token);
    if (::pwrite(fd, now.data(), now.size(), 0) != static_cast<ssize_t>(now.size()) ||
        ::ftruncate(fd, static_cast<off_t>(now.size())) != 0) {
      return Fail(Error::Code::kInternal, "write " + path + ": " + ErrnoText(errno));
    }
  }
  return calls();
}

}  // namespace codeyard::local
