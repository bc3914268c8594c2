#include "executor/local/process_plumbing.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "core/errno_text.hpp"

namespace codeyard::local {

void SetNonBlocking(int fd) {
  if (fd < 0) return;
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

std::optional<std::string_view> ReadSome(int fd, char* buffer, std::size_t size) {
  const ssize_t n = ::read(fd, buffer, size);
  if (n > 0) return std::string_view(buffer, static_cast<std::size_t>(n));
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return std::string_view();
  return std::nullopt;
}

Result<int> Poll(pollfd* fds, nfds_t count, int timeout_ms) {
  int ready = 0;
  do {
    ready = ::poll(fds, count, timeout_ms);
  } while (ready < 0 && errno == EINTR);
  if (ready < 0) return Fail(Error::Code::kInternal, std::string("poll: ") + ErrnoText(errno));
  return ready;
}

WakeFd::WakeFd() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

WakeFd::~WakeFd() {
  if (fd_ >= 0) ::close(fd_);
}

void WakeFd::Signal() {
  if (fd_ < 0) return;
  const uint64_t one = 1;
  while (::write(fd_, &one, sizeof(one)) < 0 && errno == EINTR) {
  }
}

void WakeFd::Drain() {
  uint64_t count = 0;
  while (::read(fd_, &count, sizeof(count)) < 0 && errno == EINTR) {
  }
}

Deadline::Deadline(std::optional<std::chrono::milliseconds> timeout) {
  if (timeout) at_ = std::chrono::steady_clock::now() + *timeout;
}

int Deadline::PollMs() const {
  if (!at_) return -1;
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(*at_ - std::chrono::steady_clock::now())
          .count();
  return static_cast<int>(std::max<int64_t>(0, left));
}

bool Deadline::Passed() const { return at_ && std::chrono::steady_clock::now() >= *at_; }

std::size_t OutputCap::Keep(std::size_t size, bool* kill) {
  const uint64_t room = limit_ - std::min(seen_, limit_);
  std::size_t keep = size;
  if (size > room) {
    keep = static_cast<std::size_t>(room);
    truncated_ = true;
    if (kill_on_limit_ && !kill_sent_) {
      kill_sent_ = true;
      *kill = true;
    }
  }
  seen_ += keep;
  return keep;
}

Result<void> CheckSignal(int signal) {
  if (signal <= 0 || signal >= NSIG) {
    return Fail(Error::Code::kInvalidArgument, "no such signal: " + std::to_string(signal));
  }
  return {};
}

Result<void> CheckStdinRoom(std::size_t pending, std::size_t more, std::size_t max_pending) {
  if (pending + more > max_pending) {
    return Fail(Error::Code::kResourceExhausted,
                "more than " + std::to_string(max_pending) + " bytes of input are waiting");
  }
  return {};
}

ExitStatus StatusFromReport(const ExitReport& report, bool output_truncated,
                            const std::shared_ptr<Cgroup>& cgroup, uint64_t oom_kills_before) {
  ExitStatus status;
  status.exit_code = report.exit_code;
  status.signal = report.signal;
  status.cpu_ms = report.cpu_ms;
  status.wall_ms = report.wall_ms;
  status.memory_kb = report.memory_kb;
  status.time_limit_exceeded = report.time_limit_exceeded;
  status.output_truncated = output_truncated;
  if (cgroup && status.signal == SIGKILL) {
    auto usage = cgroup->Usage();
    if (usage && usage->oom_kills > oom_kills_before) {
      status.oom_killed = true;
      status.memory_kb = std::max<uint64_t>(status.memory_kb, usage->memory_peak_bytes / 1024);
    }
  }
  return status;
}

}  // namespace codeyard::local
