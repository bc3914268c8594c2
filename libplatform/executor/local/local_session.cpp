#include "executor/local/local_session.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "core/errno_text.hpp"
#include "core/try.hpp"
#include "executor/local/local_pod.hpp"

namespace codeyard::local {
namespace {

namespace json = boost::json;

constexpr auto kOpenTimeout = std::chrono::seconds(30);
// Output read ahead of the caller. Past it the stream is left unread while the caller blocks
// in WriteStdin, so the init (which bounds what it queues per attachment) holds the rest.
constexpr size_t kReadAhead = size_t{256} * 1024;
// Detaching sends what is still queued for the shell (at most the terminal's
// max_pending_input, 1 MiB by default) while the init takes it: for at most kDetachFlush, and
// not past kDetachStall without progress (a shell that stopped reading). A shell reading a
// paste line by line (bash's here-document, about 100 KiB a second) takes 1 MiB in 10 s.
constexpr auto kDetachFlush = std::chrono::seconds(15);
constexpr auto kDetachStall = std::chrono::seconds(2);

std::optional<json::object> ParseObject(std::string_view text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.get_object());
}

}  // namespace

Result<void> CheckSessionRequest(std::string_view name, const ExecSpec& spec) {
  if (!ValidSessionName(name)) {
    return Fail(
        Error::Code::kInvalidArgument,
        "a session name is 1-64 characters of [a-z0-9._-], not \"" + std::string(name) + "\"");
  }
  if (!spec.tty) return Fail(Error::Code::kInvalidArgument, "a session needs a terminal (tty)");
  if (spec.argv.empty() || spec.argv[0].empty()) {
    return Fail(Error::Code::kInvalidArgument, "a session needs a program to run");
  }
  if (spec.cwd.empty() || spec.cwd.front() != '/') {
    return Fail(Error::Code::kInvalidArgument, "exec cwd must be absolute: \"" + spec.cwd + "\"");
  }
  if (spec.wall_time_limit) {
    return Fail(Error::Code::kInvalidArgument,
                "a session has no wall-time limit: it lives until its shell exits");
  }
  return {};
}

ExecRequest SessionRequest(const PodSpec& pod, const ExecSpec& spec) {
  ExecRequest request;
  request.argv = spec.argv;
  request.cwd = spec.cwd;
  request.env = MergedEnvironment(pod, spec);
  request.tty = true;
  request.rows = spec.tty_size.rows;
  request.cols = spec.tty_size.cols;
  if (spec.cpu_time_limit) request.cpu_ms = spec.cpu_time_limit->count();
  request.file_bytes = pod.limits.file_bytes;
  request.open_files = pod.limits.open_files;
  return request;
}

LocalSession::LocalSession(int stream, const ExecSpec& spec, std::shared_ptr<Cgroup> cgroup)
    : stream_(stream), cap_(spec), cgroup_(std::move(cgroup)) {
  SetNonBlocking(stream_);
  if (cgroup_) {
    if (auto usage = cgroup_->Usage()) oom_kills_before_ = usage->oom_kills;
  }
}

LocalSession::~LocalSession() {
  // Only detaches: the init keeps the shell and its other attachments. What was queued for
  // the shell (a paste just before its viewer left, a hang-up) still goes while the init
  // takes it: the init reads a closed stream to its end, but bytes never sent are lost.
  // Output meanwhile is read and dropped (the pod keeps the scrollback), or the shell would
  // wait for this attachment to read it and stop taking its input.
  if (stream_ < 0) return;
  const Deadline overall(kDetachFlush);
  Deadline stalled(kDetachStall);
  char discard[65536];
  while (!out_.empty() && !overall.Passed() && !stalled.Passed()) {
    pollfd fd{stream_, POLLOUT | POLLIN, 0};
    auto ready = Poll(&fd, 1, std::min(overall.PollMs(), stalled.PollMs()));
    if (!ready) break;
    if ((fd.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      const auto data = ReadSome(stream_, discard, sizeof(discard));
      if (!data) break;  // the init closed the stream: nothing more goes
    }
    const size_t before = out_.size();
    if ((fd.revents & POLLOUT) != 0) FlushOut();
    if (out_.size() < before) stalled = Deadline(kDetachStall);
  }
  ::close(stream_);
}

Result<SessionAttachment> LocalSession::Open(int control, std::string_view name,
                                             const ExecRequest* request, const ExecSpec& spec,
                                             std::shared_ptr<Cgroup> cgroup) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    return Fail(Error::Code::kInternal, std::string("socketpair: ") + ErrnoText(errno));
  }
  json::object attach;
  attach["type"] = "attach";
  auto sent = SendMessage(control, attach, {pair[1]});
  ::close(pair[1]);
  if (!sent) {
    ::close(pair[0]);
    // A closed control socket: the pod's init died since the caller's check (as in Exec).
    if (sent.error().code() == Error::Code::kAborted) {
      return Fail(Error::Code::kFailedPrecondition,
                  "session " + std::string(name) + ": the pod went away");
    }
    return std::unexpected(sent.error());
  }
  std::unique_ptr<LocalSession> session(new LocalSession(pair[0], spec, std::move(cgroup)));
  json::object open;
  open["name"] = name;
  if (request != nullptr) {
    open["exec"] = ToJson(*request);
  } else {
    open["join"] = true;
  }
  session->QueueFrame(FrameType::kOpen, json::serialize(open));
  const Deadline deadline(kOpenTimeout);
  while (!session->started_ && !session->refused_ && !session->eof_) {
    if (deadline.Passed()) {
      return Fail(Error::Code::kDeadlineExceeded,
                  "session " + std::string(name) + ": the pod did not answer in time");
    }
    CY_TRY(const bool progressed, session->PollOnce(deadline.PollMs()));
    (void)progressed;
  }
  if (session->refused_) return std::unexpected(*session->refused_);
  if (!session->started_) {
    // Closed before it answered: the pod's init died (as when the attach cannot be sent).
    return Fail(Error::Code::kFailedPrecondition,
                "session " + std::string(name) + ": the pod went away");
  }
  const bool started = *session->started_;
  if (started && !spec.stdin_data.empty()) CY_CHECK(session->WriteStdin(spec.stdin_data));
  return SessionAttachment{std::move(session), started};
}

void LocalSession::QueueFrame(FrameType type, std::string_view payload) {
  do {
    const std::string_view piece = payload.substr(0, kMaxFramePayload);
    AppendFrame(out_, type, piece);
    payload.remove_prefix(piece.size());
  } while (!payload.empty());
  FlushOut();
}

void LocalSession::FlushOut() {
  while (!out_.empty() && stream_ >= 0) {
    const ssize_t n = ::send(stream_, out_.data(), out_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      out_.erase(0, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;
    } else {
      out_.clear();  // the init is gone; the read side sees the end
      return;
    }
  }
}

Result<bool> LocalSession::PollOnce(int timeout_ms) {
  if (eof_) return false;
  pollfd fds[2];
  short events = 0;
  if (ready_bytes_ < kReadAhead) events |= POLLIN;
  if (!out_.empty()) events |= POLLOUT;
  fds[0] = pollfd{stream_, events, 0};
  fds[1] = pollfd{wake_.fd(), POLLIN, 0};
  CY_TRY(const int ready, Poll(fds, 2, timeout_ms));
  if (ready == 0) return false;
  if (fds[1].revents != 0) {
    wake_.Drain();
    interrupted_ = true;
  }
  if ((fds[0].revents & POLLOUT) != 0) FlushOut();
  if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
    char buffer[65536];
    const auto data = ReadSome(stream_, buffer, sizeof(buffer));
    if (data && !data->empty()) {
      reader_.Feed(*data);
      while (auto frame = reader_.Next()) Take(std::move(*frame));
      if (reader_.broken()) {
        eof_ = true;
        return Fail(Error::Code::kInternal, "session: the pod sent a malformed frame");
      }
    } else if (!data) {
      eof_ = true;  // the init closed the stream: after kExit, or the pod is gone
    }
  }
  return true;
}

void LocalSession::Take(Frame frame) {
  switch (frame.type) {
    case FrameType::kAttached: {
      const auto body = ParseObject(frame.payload);
      const auto* started = body ? body->if_contains("started") : nullptr;
      started_ = started != nullptr && started->is_bool() && started->get_bool();
      return;
    }
    case FrameType::kError: {
      const auto body = ParseObject(frame.payload);
      refused_ = body ? ErrorFromMessage(*body)
                      : Error(Error::Code::kInternal, "session: malformed error from the pod");
      return;
    }
    case FrameType::kOutput: {
      bool kill = false;
      const size_t keep = cap_.Keep(frame.payload.size(), &kill);
      if (kill) (void)Signal(SIGKILL);
      if (keep == 0) return;
      frame.payload.resize(keep);
      ready_bytes_ += keep;
      ready_.push_back(OutputChunk{OutputStream::kStdout, std::move(frame.payload)});
      return;
    }
    case FrameType::kGap: {
      // The terminal has lost what it skipped; say so where the viewer looks.
      const auto body = ParseObject(frame.payload);
      const auto* skipped = body ? body->if_contains("skipped") : nullptr;
      std::string note = "\r\n[codeyard: this view fell behind; ";
      if (skipped != nullptr && (skipped->is_uint64() || skipped->is_int64())) {
        note += std::to_string(skipped->to_number<uint64_t>()) + " bytes of ";
      }
      note += "output skipped]\r\n";
      ready_bytes_ += note.size();
      ready_.push_back(OutputChunk{OutputStream::kStdout, std::move(note)});
      return;
    }
    case FrameType::kExit: {
      const auto body = ParseObject(frame.payload);
      auto report = body ? ExitReportFromJson(*body) : Result<ExitReport>();
      if (body && report) {
        report_ = *report;
        const auto* oom = body->if_contains("oom_killed");
        init_oom_killed_ = oom != nullptr && oom->is_bool() && oom->get_bool();
      } else {
        ExitReport unknown;
        unknown.signal = SIGKILL;
        report_ = unknown;
      }
      return;
    }
    default:
      return;  // not meant for this side; ignore
  }
}

Result<std::optional<OutputChunk>> LocalSession::ReadOutput(
    std::optional<std::chrono::milliseconds> timeout) {
  const Deadline deadline(timeout);
  while (true) {
    if (interrupted_) {
      interrupted_ = false;
      return Fail(Error::Code::kAborted, "interrupted");
    }
    if (!ready_.empty()) {
      OutputChunk chunk = std::move(ready_.front());
      ready_.pop_front();
      ready_bytes_ -= chunk.data.size();
      return std::optional<OutputChunk>(std::move(chunk));
    }
    if (Ended()) return std::optional<OutputChunk>();
    CY_TRY(const bool progressed, PollOnce(deadline.PollMs()));
    if (!progressed && deadline.Passed()) {
      return Fail(Error::Code::kDeadlineExceeded, "no output within the timeout");
    }
  }
}

Result<void> LocalSession::WriteStdin(std::string_view data) {
  if (Ended()) return Fail(Error::Code::kAborted, "the session's shell has ended");
  QueueFrame(FrameType::kInput, data);
  // Blocks while the shell does not take its input, as a pipe would; output meanwhile is
  // read ahead (up to kReadAhead) and then left to the init's bounded queue.
  while (!out_.empty()) {
    CY_TRY(const bool progressed, PollOnce(-1));
    (void)progressed;
    if (eof_) return Fail(Error::Code::kAborted, "the session's shell has ended");
  }
  return {};
}

Result<void> LocalSession::QueueStdin(std::string_view data, std::size_t max_pending) {
  if (Ended()) return Fail(Error::Code::kAborted, "the session's shell has ended");
  CY_CHECK(CheckStdinRoom(out_.size(), data.size(), max_pending));
  QueueFrame(FrameType::kInput, data);
  return {};
}

Result<void> LocalSession::CloseStdin() {
  // A terminal has no separate input to close: end-of-file the way a keyboard sends it.
  if (Ended()) return {};
  return WriteStdin("\x04");
}

void LocalSession::Interrupt() { wake_.Signal(); }

Result<void> LocalSession::Resize(TerminalSize size) {
  if (Ended()) return Fail(Error::Code::kFailedPrecondition, "the terminal is closed");
  json::object body;
  body["rows"] = size.rows;
  body["cols"] = size.cols;
  QueueFrame(FrameType::kResize, json::serialize(body));
  return {};
}

Result<void> LocalSession::Signal(int signal) {
  CY_CHECK(CheckSignal(signal));
  if (Ended()) return Fail(Error::Code::kFailedPrecondition, "the session's shell has ended");
  json::object body;
  body["signal"] = signal;
  QueueFrame(FrameType::kSignal, json::serialize(body));
  return {};
}

Result<ExitStatus> LocalSession::Wait() {
  if (final_) return *final_;
  while (!Ended()) {
    ready_.clear();  // dropped, as Process::Wait says
    ready_bytes_ = 0;
    CY_TRY(const bool progressed, PollOnce(-1));
    (void)progressed;
  }
  ready_.clear();
  ready_bytes_ = 0;
  ExitReport report;
  if (report_) {
    report = *report_;
  } else {
    report.signal = SIGKILL;  // the stream ended without a report: the pod went away
  }
  ExitStatus status = StatusFromReport(report, cap_.truncated(), cgroup_, oom_kills_before_);
  // The host's count (since this attachment) or the init's (since the shell started).
  status.oom_killed = status.oom_killed || init_oom_killed_;
  final_ = status;
  return status;
}

}  // namespace codeyard::local
