// The agent's "exec" (agent_protocol.hpp): asks the init to start the process with pipes (or
// a terminal) the agent holds, relays frames to and from them, and ends with the init's exit
// report. The process's status socket is the agent's: when the stream ends first, the agent
// exits, the socket closes, and the init kills the process group, as for a local Process
// dropped by the library.
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <optional>
#include <vector>

#include "executor/local/pod/agent.hpp"

namespace codeyard::local::pod {
namespace {

namespace json = boost::json;

int64_t IntOr(const json::object& o, std::string_view key, int64_t fallback) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_int64() ? v->get_int64() : fallback;
}

// Output frames waiting for the library before the agent stops reading the process's output.
constexpr size_t kOutputBacklog = size_t{256} * 1024;

void NonBlocking(int fd) {
  if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

class ExecRelay {
 public:
  explicit ExecRelay(AgentStream& stream) : stream_(stream) {}

  int Run(const json::object& open) {
    const auto* exec = open.if_contains("exec");
    if (exec == nullptr || !exec->is_object()) {
      return Refuse(Error(Error::Code::kInvalidArgument, "agent: exec needs \"exec\""));
    }
    auto request = ExecRequestFromJson(exec->get_object());
    if (!request) return Refuse(request.error());
    tty_ = request->tty;
    const auto* stdin_open = open.if_contains("stdin_open");
    bounded_ = stdin_open != nullptr && stdin_open->is_bool() && stdin_open->get_bool();
    auto control = ConnectInit();
    if (!control) return Refuse(control.error());
    oom_kills_before_ = PodOomKills();
    auto started = Start(control->get(), *request);
    if (!started) return Refuse(started.error());
    json::object attached;
    attached["pid"] = *started;
    if (!stream_.SendJson(FrameType::kAttached, attached)) return 0;
    stream_.Unblock();
    return Relay();
  }

 private:
  int Refuse(const Error& error) {
    (void)stream_.SendError(error);
    return 1;
  }

  // Sends the exec to the init and waits for "started": the pid.
  Result<int64_t> Start(int control, const ExecRequest& request) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
      return std::unexpected(SystemError("socketpair"));
    }
    status_.Reset(pair[0]);
    UniqueFd remote_status(pair[1]);
    std::vector<UniqueFd> remote;
    if (!tty_) {
      int in[2];
      int out[2];
      int err[2];
      if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 ||
          ::pipe2(err, O_CLOEXEC) != 0) {
        return std::unexpected(SystemError("pipe"));
      }
      stdin_.Reset(in[1]);
      stdout_.Reset(out[0]);
      stderr_.Reset(err[0]);
      remote.emplace_back(in[0]);
      remote.emplace_back(out[1]);
      remote.emplace_back(err[1]);
    }
    json::object message = ToJson(request);
    message["type"] = "exec";
    std::vector<int> fds = {remote_status.get()};
    for (const auto& fd : remote) fds.push_back(fd.get());
    if (!SendMessage(control, message, fds)) {
      return Fail(Error::Code::kUnavailable, "agent: the init is gone");
    }
    remote.clear();
    remote_status.Reset();
    auto answer = ReceiveMessage(status_.get());
    if (!answer) return std::unexpected(answer.error());
    if (!*answer) return Fail(Error::Code::kUnavailable, "agent: the init did not answer");
    Message reply = std::move(**answer);
    if (reply.type() == "error") {
      CloseAll(reply.fds);
      return std::unexpected(ErrorFromMessage(reply.body));
    }
    if (tty_) {
      if (reply.fds.size() != 1) {
        CloseAll(reply.fds);
        return Fail(Error::Code::kInternal, "agent: no terminal came with started");
      }
      stdout_.Reset(reply.fds.front());
      reply.fds.clear();
    }
    CloseAll(reply.fds);
    NonBlocking(stdin_.get());
    NonBlocking(stdout_.get());
    NonBlocking(stderr_.get());
    return IntOr(reply.body, "pid", 0);
  }

  // The process's input side: its stdin pipe, or the terminal.
  [[nodiscard]] int InputFd() const { return tty_ ? stdout_.get() : stdin_.get(); }

  void Flush() {
    const int fd = InputFd();
    size_t taken = 0;
    while (fd >= 0 && !pending_.empty()) {
      const ssize_t n = ::write(fd, pending_.data(), pending_.size());
      if (n > 0) {
        pending_.erase(0, static_cast<size_t>(n));
        taken += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      taken += pending_.size();  // the process stopped reading: dropped, room again
      pending_.clear();
    }
    if (taken > 0 && !stream_.Send(FrameType::kTaken, std::to_string(taken))) gone_ = true;
    if (pending_.empty() && close_after_pending_) stdin_.Reset();
  }

  // One frame from the library; false when the stream ended.
  bool OnFrame() {
    auto frame = stream_.Await();
    if (!frame) return false;
    switch (frame->type) {
      case FrameType::kInput:
        if (bounded_ && pending_.size() + frame->payload.size() > kAgentMaxPendingInput) {
          // The library counts kTaken and never gets here; a client that does loses the frame.
          (void)stream_.SendError(Error(Error::Code::kResourceExhausted,
                                        "agent: more than " +
                                            std::to_string(kAgentMaxPendingInput) +
                                            " bytes of input are waiting; input dropped"));
          break;
        }
        pending_ += frame->payload;
        Flush();
        break;
      case FrameType::kEnd:
        if (!tty_) {
          close_after_pending_ = true;
          Flush();
        }
        break;
      case FrameType::kResize: {
        boost::system::error_code ec;
        const json::value size = json::parse(frame->payload, ec);
        if (!ec && size.is_object() && tty_ && stdout_.valid()) {
          winsize window{};
          window.ws_row = static_cast<unsigned short>(IntOr(size.get_object(), "rows", 24));
          window.ws_col = static_cast<unsigned short>(IntOr(size.get_object(), "cols", 80));
          ::ioctl(stdout_.get(), TIOCSWINSZ, &window);
        }
        break;
      }
      case FrameType::kSignal: {
        boost::system::error_code ec;
        const json::value signal = json::parse(frame->payload, ec);
        if (!ec && signal.is_object() && status_.valid()) {
          json::object message;
          message["type"] = "signal";
          message["signal"] = IntOr(signal.get_object(), "signal", SIGKILL);
          (void)SendMessage(status_.get(), message);
        }
        break;
      }
      default:
        break;
    }
    return true;
  }

  // Output of `fd` as frames of `type`; false at its end.
  bool Pump(UniqueFd& fd, FrameType type) {
    char buffer[64 * 1024];
    while (fd.valid()) {
      const ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
      if (n > 0) {
        if (!stream_.Send(type, std::string_view(buffer, static_cast<size_t>(n)))) gone_ = true;
        return true;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return true;
      fd.Reset();  // EOF, or EIO from a terminal whose slave side is all closed
    }
    return false;
  }

  void ReadStatus() {
    auto message = ReceiveMessage(status_.get());
    if (!message || !*message) {
      ExitReport gone;  // the init went away without a report: the pod is ending
      gone.signal = SIGKILL;
      report_ = gone;
      status_.Reset();
      return;
    }
    CloseAll((*message)->fds);
    if ((*message)->type() == "exit") {
      report_ = ExitReportFromJson((*message)->body).value_or(ExitReport{});
      status_.Reset();
    }
  }

  int Relay() {
    while (!report_ && !gone_) {
      // Output is read only while the library takes it (the backlog has room), as an unread
      // pipe would stop the process; the library's frames are read all along, so input,
      // signals and resizes still arrive while output waits.
      const short out = stream_.backlog() < kOutputBacklog ? POLLIN : 0;
      // A terminal takes input on the same descriptor its output comes from.
      const short tty_in = tty_ && !pending_.empty() ? POLLOUT : 0;
      pollfd fds[6] = {
          {STDIN_FILENO, POLLIN, 0},
          {status_.get(), POLLIN, 0},
          {stdout_.get(), static_cast<short>(out | tty_in), 0},
          {stderr_.get(), out, 0},
          {!pending_.empty() && !tty_ ? stdin_.get() : -1, POLLOUT, 0},
          {stream_.backlog() > 0 ? STDOUT_FILENO : -1, POLLOUT, 0},
      };
      if (fds[2].events == 0) fds[2].fd = -1;
      if (fds[3].events == 0) fds[3].fd = -1;
      if (::poll(fds, 6, -1) < 0) {
        if (errno == EINTR) continue;
        return 1;
      }
      if (fds[0].revents != 0 && !OnFrame()) return stream_.broken() ? 2 : 0;
      if ((fds[2].revents & ~POLLOUT) != 0) Pump(stdout_, FrameType::kOutput);
      if ((fds[2].revents & POLLOUT) != 0) Flush();
      if (fds[3].revents != 0) Pump(stderr_, FrameType::kStderr);
      if (fds[4].revents != 0) Flush();
      if (fds[5].revents != 0 && !stream_.Drain()) gone_ = true;
      if (fds[1].revents != 0) ReadStatus();
    }
    if (gone_) return 0;
    // What the process wrote before it exited is in the pipes already; background processes
    // that still hold them are not waited for.
    while (stdout_.valid() && Pump(stdout_, FrameType::kOutput) && HasData(stdout_)) {
    }
    while (stderr_.valid() && Pump(stderr_, FrameType::kStderr) && HasData(stderr_)) {
    }
    json::object exit = ToJson(*report_);
    // A SIGKILL while the container's OOM count rose: the kernel's, for the memory limit.
    // Another process of the pod may have been the victim at the same moment; the count
    // cannot tell them apart, as on the local backend.
    const auto oom_kills_after = report_->signal == SIGKILL ? PodOomKills() : std::nullopt;
    exit["oom_killed"] =
        oom_kills_before_ && oom_kills_after && *oom_kills_after > *oom_kills_before_;
    return stream_.SendJson(FrameType::kExit, exit) && stream_.Flush() ? 0 : 1;
  }

  static bool HasData(const UniqueFd& fd) {
    if (!fd.valid()) return false;
    pollfd p{fd.get(), POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }

  AgentStream& stream_;
  bool tty_ = false;
  UniqueFd status_;
  UniqueFd stdin_;
  UniqueFd stdout_;  // or the terminal
  UniqueFd stderr_;
  std::string pending_;
  // Input comes as the library writes it (stdin_open), so it is held to kAgentMaxPendingInput;
  // otherwise it is the ExecSpec's stdin_data, sent whole with the open.
  bool bounded_ = false;
  bool close_after_pending_ = false;
  bool gone_ = false;  // the stream broke while sending
  std::optional<ExitReport> report_;
  std::optional<uint64_t> oom_kills_before_;
};

}  // namespace

int ServeExec(AgentStream& stream, const json::object& open) { return ExecRelay(stream).Run(open); }

}  // namespace codeyard::local::pod
