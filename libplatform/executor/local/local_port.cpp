#include "executor/local/local_port.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "core/errno_text.hpp"
#include "executor/local/process_plumbing.hpp"
#include "executor/local/protocol.hpp"

namespace codeyard::local {
namespace {

namespace json = boost::json;

// The init answers within its loop's next turn; a connect to loopback completes at once
// unless the program's listen backlog is full.
constexpr std::chrono::seconds kForwardTimeout{5};

Error Errno(std::string_view step, int err) {
  return Error(err == EPIPE || err == ECONNRESET ? Error::Code::kAborted : Error::Code::kInternal,
               "port stream: " + std::string(step) + ": " + ErrnoText(err));
}

// Waits for `events` on `fd`; false on timeout.
Result<bool> Await(int fd, short events, const Deadline& deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, deadline.PollMs());
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return std::unexpected(Errno("poll", errno));
  }
}

class SocketPortStream final : public PortStream {
 public:
  explicit SocketPortStream(int fd) : fd_(fd) {}
  ~SocketPortStream() override { ::close(fd_); }

  Result<void> Write(std::string_view data,
                     std::optional<std::chrono::milliseconds> timeout) override {
    const Deadline deadline(timeout);
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<std::size_t>(n));
        continue;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN) return std::unexpected(Errno("send", errno));
      auto ready = Await(fd_, POLLOUT, deadline);
      if (!ready) return std::unexpected(ready.error());
      if (!*ready) {
        return Fail(Error::Code::kDeadlineExceeded, "port stream: the program takes no input");
      }
    }
    return {};
  }

  Result<std::string> Read(std::size_t max,
                           std::optional<std::chrono::milliseconds> timeout) override {
    const Deadline deadline(timeout);
    std::string out;
    while (true) {
      // Into the string's own room, not zero-filled first: the relay reads 64 KiB at a time,
      // and filling each read's buffer cost as much as the copy it was made for.
      ssize_t n = 0;
      int err = 0;
      out.resize_and_overwrite(max == 0 ? 1 : max, [&](char* room, std::size_t size) {
        n = ::recv(fd_, room, size, 0);
        err = errno;
        return n > 0 ? static_cast<std::size_t>(n) : std::size_t{0};
      });
      if (n >= 0) return out;
      errno = err;
      if (errno == EINTR) continue;
      if (errno == ECONNRESET) return std::string();  // a reset ends the stream too
      if (errno != EAGAIN) return std::unexpected(Errno("recv", errno));
      auto ready = Await(fd_, POLLIN, deadline);
      if (!ready) return std::unexpected(ready.error());
      if (!*ready) return Fail(Error::Code::kDeadlineExceeded, "port stream: nothing to read");
    }
  }

  Result<void> CloseWrite() override {
    if (::shutdown(fd_, SHUT_WR) != 0 && errno != ENOTCONN) {
      return std::unexpected(Errno("shutdown", errno));
    }
    return {};
  }

  void Shutdown() override { ::shutdown(fd_, SHUT_RDWR); }

 private:
  int fd_;
};

}  // namespace

Result<std::unique_ptr<PortStream>> ConnectPodPort(int control, uint16_t port) {
  if (port == 0) return Fail(Error::Code::kInvalidArgument, "port forward: port 0 is not a port");
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    return Fail(Error::Code::kInternal, "port forward: socketpair: " + ErrnoText(errno));
  }
  json::object forward;
  forward["type"] = "forward";
  forward["port"] = port;
  auto sent = SendMessage(control, forward, {pair[1]});
  ::close(pair[1]);
  const int reply = pair[0];
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{reply};
  if (!sent) return std::unexpected(sent.error());
  const Deadline deadline(kForwardTimeout);
  auto answered = Await(reply, POLLIN, deadline);
  if (!answered) return std::unexpected(answered.error());
  if (!*answered) {
    return Fail(Error::Code::kDeadlineExceeded, "port forward: the pod did not answer in time");
  }
  auto received = ReceiveMessage(reply);
  if (!received) return std::unexpected(received.error());
  if (!*received) return Fail(Error::Code::kUnavailable, "port forward: the pod went away");
  Message message = std::move(**received);
  if (message.type() == "error") {
    CloseAll(message.fds);
    return std::unexpected(ErrorFromMessage(message.body));
  }
  if (message.type() != "connected" || message.fds.size() != 1) {
    CloseAll(message.fds);
    return Fail(Error::Code::kInternal, "port forward: the pod answered something else");
  }
  auto stream = std::make_unique<SocketPortStream>(message.fds.front());
  const int fd = message.fds.front();
  // The init's connect may still be under way (a full backlog): wait for its outcome.
  auto writable = Await(fd, POLLOUT, deadline);
  if (!writable) return std::unexpected(writable.error());
  if (!*writable) {
    return Fail(Error::Code::kDeadlineExceeded,
                "port forward: port " + std::to_string(port) + " accepts no connection");
  }
  int err = 0;
  socklen_t len = sizeof(err);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err == ECONNREFUSED) {
    return Fail(Error::Code::kUnavailable,
                "nothing listens on port " + std::to_string(port) + " in the pod");
  }
  if (err != 0) return std::unexpected(Errno("connect", err));
  return std::unique_ptr<PortStream>(std::move(stream));
}

}  // namespace codeyard::local
