// Small system helpers shared by the shim and the init of `codeyard-pod`: an owning file
// descriptor, errno-to-Error conversion (with the failed step named in the message, since
// a pod that fails to start has only that message to explain itself), whole-file writes,
// the monotonic clock in milliseconds and the init's absolute timers. The program is
// single-threaded, so nothing here needs locking.
#pragma once

#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "codeyard/error.hpp"

namespace codeyard::local::pod {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) Reset(other.Release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  [[nodiscard]] int get() const { return fd_; }
  [[nodiscard]] bool valid() const { return fd_ >= 0; }
  [[nodiscard]] int Release() { return std::exchange(fd_, -1); }
  void Reset(int fd = -1);

 private:
  int fd_ = -1;
};

// strerror without its shared buffer.
[[nodiscard]] std::string ErrnoText(int err);

// The code a caller can act on: permission_denied for EPERM/EACCES, resource_exhausted for
// exhausted limits, failed_precondition for what the kernel does not offer, else internal.
[[nodiscard]] Error::Code CodeForErrno(int err);

// "<step>: <strerror(err)>" with CodeForErrno(err).
[[nodiscard]] Error SystemError(std::string_view step, int err);
[[nodiscard]] Error SystemError(std::string_view step);  // uses errno

// Turns a -1 return of a system call into SystemError(step).
[[nodiscard]] Result<void> Check(long rc, std::string_view step);

// Writes `content` to an existing file (a /proc or cgroup file) in one write.
[[nodiscard]] Result<void> WriteExisting(const std::string& path, std::string_view content);

// Creates a new file (never following a symlink) holding `content`.
[[nodiscard]] Result<void> WriteNew(const std::string& path, std::string_view content, mode_t mode);

// Writes all of `data`, retrying short writes and EINTR; false with errno set on failure.
bool WriteAll(int fd, const void* data, size_t size);

// Reads exactly `size` bytes; 0 on EOF before any byte, -1 on error or a short read.
ssize_t ReadExact(int fd, void* data, size_t size);

// CLOCK_MONOTONIC in milliseconds.
[[nodiscard]] int64_t NowMs();
// User plus system CPU time of `usage` in milliseconds, truncated once.
[[nodiscard]] int64_t CpuMs(const rusage& usage);

// Arms the CLOCK_MONOTONIC timerfd `fd` to fire at `at_ms` (NowMs; absolute), or disarms it
// for nullopt.
void ArmTimerAt(int fd, std::optional<int64_t> at_ms);

// The pod's OOM kills so far, read where a container runtime mounts the pod's cgroup (and
// where the local backend's root fs mounts it: root_fs.cpp): cgroup v2's memory.events, else
// v1's memory.oom_control; nullopt when neither is readable. The agent's one-shot execs and
// the init's terminal sessions report `oom_killed` from its rise across a process's life.
[[nodiscard]] std::optional<uint64_t> PodOomKills();

}  // namespace codeyard::local::pod
