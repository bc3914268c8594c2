#include "executor/local/local_process.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "core/errno_text.hpp"
#include "core/try.hpp"

namespace codeyard::local {
namespace {

// write(2) that never raises SIGPIPE in the embedding process: the signal is blocked for
// this thread and a pending one is consumed before unblocking.
ssize_t WriteNoSigpipe(int fd, const char* data, size_t size) {
  sigset_t pipe_set;
  sigset_t old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  const ssize_t n = ::write(fd, data, size);
  const int saved = errno;
  if (n < 0 && saved == EPIPE) {
    const timespec zero{0, 0};
    while (sigtimedwait(&pipe_set, nullptr, &zero) == SIGPIPE) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  errno = saved;
  return n;
}

}  // namespace

LocalProcess::LocalProcess(ProcessChannels channels, const ExecSpec& spec,
                           std::shared_ptr<Cgroup> cgroup, uint64_t oom_kills_before)
    : status_fd_(channels.status),
      stdin_fd_(channels.stdin_fd),
      stdout_fd_(channels.stdout_fd),
      stderr_fd_(channels.stderr_fd),
      tty_(channels.tty),
      cap_(spec),
      cgroup_(std::move(cgroup)),
      oom_kills_before_(oom_kills_before) {
  SetNonBlocking(stdin_fd_);
  SetNonBlocking(stdout_fd_);
  SetNonBlocking(stderr_fd_);
  if (!spec.stdin_open) {
    pending_stdin_ = spec.stdin_data;
    close_stdin_after_pending_ = !tty_;
  }
  FlushPendingStdin();
}

LocalProcess::~LocalProcess() {
  // Closing the status socket before the exit report makes the init kill the process group.
  CloseFd(status_fd_);
  CloseFd(stdin_fd_);
  CloseFd(stdout_fd_);
  CloseFd(stderr_fd_);
}

void LocalProcess::CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

void LocalProcess::FlushPendingStdin() {
  while (stdin_fd_ >= 0 && !pending_stdin_.empty()) {
    const ssize_t n = WriteNoSigpipe(stdin_fd_, pending_stdin_.data(), pending_stdin_.size());
    if (n > 0) {
      pending_stdin_.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    pending_stdin_.clear();  // the process stopped reading (EPIPE) or the pty went away
  }
  if (pending_stdin_.empty() && close_stdin_after_pending_) {
    CloseFd(stdin_fd_);
    close_stdin_after_pending_ = false;
  }
}

std::optional<OutputChunk> LocalProcess::Accept(OutputStream stream, const char* data,
                                                size_t size) {
  bool kill = false;
  const size_t keep = cap_.Keep(size, &kill);
  if (kill) (void)Signal(SIGKILL);
  if (keep == 0) return std::nullopt;
  return OutputChunk{stream, std::string(data, keep)};
}

Result<void> LocalProcess::ReadStatus() {
  CY_TRY(auto message, ReceiveMessage(status_fd_));
  if (!message) {
    // The init went away without a report: the pod was deleted under the process.
    if (!report_) {
      ExitReport gone;
      gone.signal = SIGKILL;
      report_ = gone;
    }
    CloseFd(status_fd_);
    return {};
  }
  CloseAll(message->fds);
  if (message->type() == "exit") {
    CY_TRY(auto report, ExitReportFromJson(message->body));
    report_ = report;
    CloseFd(status_fd_);
  }
  return {};
}

Result<bool> LocalProcess::PollOnce(int timeout_ms, std::optional<OutputChunk>& chunk) {
  pollfd fds[5];
  nfds_t count = 0;
  const auto add = [&](int fd, short events) {
    if (fd >= 0) fds[count++] = pollfd{fd, events, 0};
  };
  add(stdout_fd_, POLLIN);
  add(stderr_fd_, POLLIN);
  add(status_fd_, POLLIN);
  if (!pending_stdin_.empty() && stdin_fd_ >= 0 && stdin_fd_ != stdout_fd_) add(stdin_fd_, POLLOUT);
  if (count == 0) return false;
  add(wake_.fd(), POLLIN);
  CY_TRY(const int ready, Poll(fds, count, timeout_ms));
  if (ready == 0) return false;
  for (nfds_t i = 0; i < count; ++i) {
    if (fds[i].revents == 0) continue;
    const int fd = fds[i].fd;
    if (fd == wake_.fd()) {
      wake_.Drain();
      interrupted_ = true;
    } else if (fd == status_fd_) {
      CY_CHECK(ReadStatus());
    } else if (fd == stdin_fd_ && (fds[i].events & POLLOUT) != 0) {
      FlushPendingStdin();
    } else if (!chunk && (fd == stdout_fd_ || fd == stderr_fd_)) {
      char buffer[65536];
      const auto data = ReadSome(fd, buffer, sizeof(buffer));
      if (data && !data->empty()) {
        chunk = Accept(fd == stdout_fd_ ? OutputStream::kStdout : OutputStream::kStderr,
                       data->data(), data->size());
      } else if (!data) {
        if (fd == stdout_fd_) {
          if (tty_ && stdin_fd_ >= 0) CloseFd(stdin_fd_);
          CloseFd(stdout_fd_);
        } else {
          CloseFd(stderr_fd_);
        }
      }
    }
  }
  if (!pending_stdin_.empty() && tty_) FlushPendingStdin();
  return true;
}

Result<std::optional<OutputChunk>> LocalProcess::ReadOutput(
    std::optional<std::chrono::milliseconds> timeout) {
  const Deadline deadline(timeout);
  while (OutputOpen()) {
    if (TakeInterrupt()) return Fail(Error::Code::kAborted, "interrupted");
    if (report_) {
      // The process ended: hand over what it wrote, but do not wait for background
      // processes it left holding the pipes.
      std::optional<OutputChunk> chunk;
      CY_TRY(const bool progressed, PollOnce(0, chunk));
      if (chunk) return chunk;
      if (!progressed) break;
      continue;
    }
    std::optional<OutputChunk> chunk;
    CY_TRY(const bool progressed, PollOnce(deadline.PollMs(), chunk));
    if (chunk) return chunk;
    if (!progressed && deadline.Passed()) {
      return Fail(Error::Code::kDeadlineExceeded, "no output within the timeout");
    }
  }
  return std::optional<OutputChunk>();
}

Result<void> LocalProcess::WriteStdin(std::string_view data) {
  if (stdin_fd_ < 0) return Fail(Error::Code::kFailedPrecondition, "stdin is closed");
  pending_stdin_.append(data);
  FlushPendingStdin();
  // Block until written, reading output meanwhile is the caller's job: wait for room only.
  while (!pending_stdin_.empty() && stdin_fd_ >= 0) {
    pollfd p{stdin_fd_, POLLOUT, 0};
    if (::poll(&p, 1, 1000) < 0 && errno != EINTR) break;
    if ((p.revents & (POLLERR | POLLHUP)) != 0) {
      pending_stdin_.clear();
      return Fail(Error::Code::kAborted, "the process no longer reads its input");
    }
    FlushPendingStdin();
    if (report_) break;
  }
  return {};
}

Result<void> LocalProcess::QueueStdin(std::string_view data, std::size_t max_pending) {
  if (stdin_fd_ < 0) return Fail(Error::Code::kFailedPrecondition, "stdin is closed");
  CY_CHECK(CheckStdinRoom(pending_stdin_.size(), data.size(), max_pending));
  pending_stdin_.append(data);
  FlushPendingStdin();
  return {};
}

bool LocalProcess::TakeInterrupt() {
  const bool was = interrupted_;
  interrupted_ = false;
  return was;
}

void LocalProcess::Interrupt() { wake_.Signal(); }

Result<void> LocalProcess::CloseStdin() {
  if (tty_) {
    // A terminal has no separate input to close: send end-of-file the way a keyboard does.
    if (stdin_fd_ >= 0) return WriteStdin("\x04");
    return {};
  }
  if (pending_stdin_.empty()) {
    CloseFd(stdin_fd_);
  } else {
    close_stdin_after_pending_ = true;
  }
  return {};
}

Result<void> LocalProcess::Resize(TerminalSize size) {
  if (!tty_) return Fail(Error::Code::kFailedPrecondition, "the process has no terminal");
  if (stdout_fd_ < 0) return Fail(Error::Code::kFailedPrecondition, "the terminal is closed");
  winsize ws{};
  ws.ws_row = size.rows;
  ws.ws_col = size.cols;
  if (::ioctl(stdout_fd_, TIOCSWINSZ, &ws) != 0) {
    return Fail(Error::Code::kInternal, std::string("TIOCSWINSZ: ") + ErrnoText(errno));
  }
  return {};
}

Result<void> LocalProcess::Signal(int signal) {
  CY_CHECK(CheckSignal(signal));
  if (report_ || status_fd_ < 0) return Fail(Error::Code::kFailedPrecondition, "the process ended");
  boost::json::object message;
  message["type"] = "signal";
  message["signal"] = signal;
  return SendMessage(status_fd_, message);
}

Result<ExitStatus> LocalProcess::Wait() {
  if (final_) return *final_;
  std::optional<OutputChunk> dropped;
  while (!report_) {
    dropped.reset();
    CY_TRY(const bool progressed, PollOnce(-1, dropped));
    if (!progressed && status_fd_ < 0 && !report_) {
      return Fail(Error::Code::kInternal, "lost the process's status channel");
    }
  }
  // What the process wrote before it ended is already in the pipes: take it without waiting
  // for background processes that may still hold them open.
  while (OutputOpen()) {
    dropped.reset();
    CY_TRY(const bool progressed, PollOnce(0, dropped));
    if (!progressed) break;
  }
  ExitStatus status = StatusFromReport(*report_, cap_.truncated(), cgroup_, oom_kills_before_);
  final_ = status;
  return status;
}

}  // namespace codeyard::local
