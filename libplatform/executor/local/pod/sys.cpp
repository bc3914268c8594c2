#include "executor/local/pod/sys.hpp"

#include "core/errno_text.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <fstream>
#include <string>
#include <system_error>

namespace codeyard::local::pod {

void UniqueFd::Reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

std::string ErrnoText(int err) { return codeyard::ErrnoText(err); }

Error::Code CodeForErrno(int err) {
  switch (err) {
    case EPERM:
    case EACCES:
    case EROFS:
      return Error::Code::kPermissionDenied;
    case ENOMEM:
    case ENOSPC:
    case EAGAIN:
    case EMFILE:
    case ENFILE:
    case EUSERS:
      return Error::Code::kResourceExhausted;
    case ENOSYS:
    case EOPNOTSUPP:
    case ENODEV:
      return Error::Code::kFailedPrecondition;
    default:
      return Error::Code::kInternal;
  }
}

Error SystemError(std::string_view step, int err) {
  std::string message(step);
  message += ": ";
  message += ErrnoText(err);
  return {CodeForErrno(err), std::move(message)};
}

Error SystemError(std::string_view step) { return SystemError(step, errno); }

Result<void> Check(long rc, std::string_view step) {
  if (rc == -1) return std::unexpected(SystemError(step));
  return {};
}

Result<void> WriteExisting(const std::string& path, std::string_view content) {
  const UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return std::unexpected(SystemError("open " + path));
  if (!WriteAll(fd.get(), content.data(), content.size())) {
    return std::unexpected(SystemError("write " + path));
  }
  return {};
}

Result<void> WriteNew(const std::string& path, std::string_view content, mode_t mode) {
  const UniqueFd fd(
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd.valid()) return std::unexpected(SystemError("create " + path));
  if (!WriteAll(fd.get(), content.data(), content.size())) {
    return std::unexpected(SystemError("write " + path));
  }
  // The umask may have taken bits away; the files of the pod's /etc need exactly `mode`.
  return Check(::fchmod(fd.get(), mode), "chmod " + path);
}

bool WriteAll(int fd, const void* data, size_t size) {
  const auto* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, bytes, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

ssize_t ReadExact(int fd, void* data, size_t size) {
  auto* bytes = static_cast<char*>(data);
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, bytes + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) return done == 0 ? 0 : -1;
    done += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(done);
}

int64_t NowMs() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t{now.tv_sec} * 1000 + now.tv_nsec / 1'000'000;
}

int64_t CpuMs(const rusage& usage) {
  const auto us = [](const timeval& t) { return int64_t{t.tv_sec} * 1'000'000 + t.tv_usec; };
  return (us(usage.ru_utime) + us(usage.ru_stime)) / 1000;
}

void ArmTimerAt(int fd, std::optional<int64_t> at_ms) {
  itimerspec spec{};  // all zero disarms
  if (at_ms) {
    const int64_t at = std::max<int64_t>(*at_ms, 1);
    spec.it_value.tv_sec = at / 1000;
    spec.it_value.tv_nsec = (at % 1000) * 1'000'000;
  }
  ::timerfd_settime(fd, TFD_TIMER_ABSTIME, &spec, nullptr);
}

std::optional<uint64_t> PodOomKills() {
  for (const char* path :
       {"/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control"}) {
    std::ifstream file(path);
    std::string key;
    uint64_t value = 0;
    while (file >> key >> value) {
      if (key == "oom_kill") return value;
    }
  }
  return std::nullopt;
}

}  // namespace codeyard::local::pod
