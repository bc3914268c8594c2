#include "executor/local/pod/agent.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "core/try.hpp"

namespace codeyard::local::pod {
namespace {

namespace json = boost::json;

constexpr size_t kReadSize = 64 * 1024;
// What a relay holds for each direction: a destination that does not read stops only the
// reading of its own source, never the other direction (a terminal whose viewer stalls still
// takes its keys, Ctrl-C included).
constexpr size_t kRelayBuffer = 256 * 1024;

void NonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Appends what `fd` has to `out`: the byte count, 0 at its end (or on an error), -1 when
// nothing is there yet.
ssize_t ReadAppend(int fd, std::string& out) {
  char buffer[kReadSize];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return -1;
    if (n <= 0) return 0;
    out.append(buffer, static_cast<size_t>(n));
    return n;
  }
}

// Writes what `fd` takes now of `out`; false once `fd` is gone.
bool Drain(int fd, std::string& out) {
  while (!out.empty()) {
    const ssize_t n = ::write(fd, out.data(), out.size());
    if (n > 0) {
      out.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && errno == EAGAIN;
  }
  return true;
}

// Writes the rest of `out` to a non-blocking `fd`, waiting up to `timeout_ms` for it to take
// it (a relay's last bytes; a reader that never takes them does not keep the agent alive).
void Finish(int fd, std::string& out, int timeout_ms) {
  const int64_t deadline = NowMs() + timeout_ms;
  while (!out.empty() && Drain(fd, out) && !out.empty()) {
    const int64_t left = deadline - NowMs();
    pollfd p{fd, POLLOUT, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) return;
  }
}

constexpr int kFinishMs = 5000;

// ReadExact that also waits out EAGAIN: stdin is non-blocking when it shares its file
// description with stdout (a runtime may hand both ends of one socket), which Unblock made so.
ssize_t ReadWhole(int fd, char* data, size_t size) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, data + done, size - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n == 0) return done == 0 ? 0 : -1;
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return -1;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, -1) < 0 && errno != EINTR) return -1;
  }
  return static_cast<ssize_t>(done);
}

// "session": raw bytes both ways between the stream and an attachment of the init; stdin's
// end detaches (the shell keeps running), the attachment's end ends the agent.
int ServeSession() {
  auto control = ConnectInit();
  AgentStream stream;
  if (!control) {
    (void)stream.SendError(control.error());
    return 1;
  }
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    (void)stream.SendError(SystemError("socketpair"));
    return 1;
  }
  UniqueFd ours(pair[0]);
  UniqueFd theirs(pair[1]);
  json::object attach;
  attach["type"] = "attach";
  if (!SendMessage(control->get(), attach, {theirs.get()})) {
    (void)stream.SendError(Error(Error::Code::kUnavailable, "agent: the init is gone"));
    return 1;
  }
  theirs.Reset();
  NonBlocking(STDIN_FILENO);
  NonBlocking(STDOUT_FILENO);
  NonBlocking(ours.get());
  std::string up;        // from the library, for the session
  std::string down;      // from the session, for the library
  bool hung_up = false;  // the init closed the attachment; its last bytes wait for room
  while (true) {
    const bool read_up = up.size() < kRelayBuffer;
    const bool read_down = down.size() < kRelayBuffer;
    pollfd fds[3] = {
        {read_up ? STDIN_FILENO : -1, POLLIN, 0},
        {ours.get(), static_cast<short>((read_down ? POLLIN : 0) | (up.empty() ? 0 : POLLOUT)), 0},
        {down.empty() ? -1 : STDOUT_FILENO, POLLOUT, 0}};
    // A hang-up is reported whatever was asked: not polled again until it can be read.
    if (fds[1].events == 0 || (hung_up && !read_down)) fds[1].fd = -1;
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (fds[0].revents != 0 && ReadAppend(STDIN_FILENO, up) == 0) {
      Finish(ours.get(), up, kFinishMs);
      return 0;  // detach
    }
    if ((fds[1].revents & (POLLHUP | POLLERR)) != 0) hung_up = true;
    if ((fds[1].revents & POLLOUT) != 0 && !Drain(ours.get(), up)) return 0;
    if ((fds[1].revents & ~POLLOUT) != 0 && read_down && ReadAppend(ours.get(), down) == 0) {
      Finish(STDOUT_FILENO, down, kFinishMs);  // the session closed the attachment
      return 0;
    }
    if (fds[2].revents != 0 && !Drain(STDOUT_FILENO, down)) return 0;
  }
}

Result<UniqueFd> ConnectPort(const json::object& open) {
  const auto* value = open.if_contains("port");
  if (value == nullptr || !value->is_int64() || value->get_int64() < 1 ||
      value->get_int64() > 65535) {
    return Fail(Error::Code::kInvalidArgument, "agent: a port is from 1 to 65535");
  }
  const auto port = static_cast<uint16_t>(value->get_int64());
  UniqueFd connection(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!connection.valid()) return std::unexpected(SystemError("socket"));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(connection.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) !=
      0) {
    if (errno == ECONNREFUSED) {
      return Fail(Error::Code::kUnavailable,
                  "nothing listens on port " + std::to_string(port) + " in the pod");
    }
    return std::unexpected(SystemError("connect to port " + std::to_string(port)));
  }
  return connection;
}

// "port": frames from the stream to the connection and back; kEnd half-closes either way.
int ServePort(AgentStream& stream, const json::object& open) {
  auto connection = ConnectPort(open);
  if (!connection) {
    (void)stream.SendError(connection.error());
    return 1;
  }
  if (!stream.Send(FrameType::kAttached, "{}")) return 1;
  const int socket = connection->get();
  NonBlocking(STDIN_FILENO);
  NonBlocking(STDOUT_FILENO);
  NonBlocking(socket);
  FrameReader frames;      // the library's frames, cut from stdin
  std::string up;          // kInput bytes for the connection
  std::string down;        // frames for the library
  bool up_ended = false;   // kEnd came: shut the connection's write side once `up` is out
  bool stdin_open = true;  // the library may still send
  bool from_port_open = true;
  std::string bytes;
  while (stdin_open || from_port_open || !down.empty()) {
    if (up_ended && up.empty()) {
      ::shutdown(socket, SHUT_WR);
      up_ended = false;
      stdin_open = false;
    }
    const bool read_up = stdin_open && !up_ended && up.size() < kRelayBuffer;
    const bool read_down = from_port_open && down.size() < kRelayBuffer;
    pollfd fds[3] = {
        {read_up ? STDIN_FILENO : -1, POLLIN, 0},
        {socket, static_cast<short>((read_down ? POLLIN : 0) | (up.empty() ? 0 : POLLOUT)), 0},
        {down.empty() ? -1 : STDOUT_FILENO, POLLOUT, 0}};
    if (fds[1].events == 0) fds[1].fd = -1;
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (fds[0].revents != 0) {
      bytes.clear();
      if (ReadAppend(STDIN_FILENO, bytes) == 0) return 0;  // the library went away
      frames.Feed(bytes);
      while (auto frame = frames.Next()) {
        if (frame->type == FrameType::kInput) {
          up += frame->payload;
        } else if (frame->type == FrameType::kEnd) {
          up_ended = true;
        }
      }
      if (frames.broken()) return 2;
    }
    if ((fds[1].revents & POLLOUT) != 0 && !Drain(socket, up)) {
      up.clear();  // the program closed its side: what it would not take is dropped
    }
    if ((fds[1].revents & ~POLLOUT) != 0 && read_down) {
      bytes.clear();
      const ssize_t n = ReadAppend(socket, bytes);
      if (n == 0) {
        from_port_open = false;
        AppendFrame(down, FrameType::kEnd, "");
      } else if (n > 0) {
        AppendChunked(down, FrameType::kOutput, bytes);
      }
    }
    if (fds[2].revents != 0 && !Drain(STDOUT_FILENO, down)) return 0;
  }
  return 0;
}

}  // namespace

std::optional<Frame> AgentStream::Await() {
  char header[kFrameHeader];
  const ssize_t got = ReadWhole(STDIN_FILENO, header, sizeof(header));
  if (got != static_cast<ssize_t>(sizeof(header))) {
    broken_ = got != 0;  // a stream cut inside a frame
    return std::nullopt;
  }
  uint32_t size = 0;
  for (size_t i = 1; i < kFrameHeader; ++i)
    size = (size << 8) | static_cast<unsigned char>(header[i]);
  if (size > kMaxFramePayload) {
    broken_ = true;
    (void)SendError(Error(Error::Code::kInvalidArgument,
                          "agent: a frame of " + std::to_string(size) + " bytes, past the " +
                              std::to_string(kMaxFramePayload) + " allowed"));
    return std::nullopt;
  }
  Frame frame;
  frame.type = static_cast<FrameType>(header[0]);
  frame.payload.resize(size);
  if (size > 0 && ReadWhole(STDIN_FILENO, frame.payload.data(), size) != size) {
    broken_ = true;
    return std::nullopt;
  }
  return frame;
}

bool AgentStream::Send(FrameType type, std::string_view payload) {
  if (unblocked_) {
    AppendChunked(outbox_, type, payload);
    return Drain();
  }
  std::string out;
  AppendChunked(out, type, payload);
  return WriteAll(STDOUT_FILENO, out.data(), out.size());
}

void AgentStream::Unblock() {
  unblocked_ = true;
  NonBlocking(STDOUT_FILENO);
}

bool AgentStream::Drain() { return ::codeyard::local::pod::Drain(STDOUT_FILENO, outbox_); }

bool AgentStream::Flush() {
  while (!outbox_.empty()) {
    if (!Drain()) return false;
    pollfd p{STDOUT_FILENO, POLLOUT, 0};
    if (!outbox_.empty() && ::poll(&p, 1, -1) < 0 && errno != EINTR) return false;
  }
  return true;
}

bool AgentStream::SendJson(FrameType type, const json::object& object) {
  return Send(type, json::serialize(object));
}

bool AgentStream::SendError(const Error& error) {
  return SendJson(FrameType::kError, ErrorMessage(error));
}

bool AgentStream::SendBody(const AgentBody& body) {
  std::string out;
  AppendChunked(out, FrameType::kOutput, EncodeBody(body));
  AppendFrame(out, FrameType::kEnd, "");
  return WriteAll(STDOUT_FILENO, out.data(), out.size());
}

Result<UniqueFd> ConnectInit(UniqueFd* workspace) {
  UniqueFd control(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!control.valid()) return std::unexpected(SystemError("socket"));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path + 1, kAgentSocket.data(), kAgentSocket.size());
  const auto length =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + kAgentSocket.size());
  if (::connect(control.get(), reinterpret_cast<const sockaddr*>(&address), length) != 0) {
    return Fail(Error::Code::kUnavailable, "agent: the pod's init does not answer on @" +
                                               std::string(kAgentSocket) + ": " + ErrnoText(errno));
  }
  CY_TRY(auto ready, ReceiveMessage(control.get()));
  if (!ready || ready->type() != "ready") {
    if (ready) CloseAll(ready->fds);
    return Fail(Error::Code::kUnavailable, "agent: the pod's init did not say ready");
  }
  if (workspace != nullptr && ready->fds.size() == 1) {
    workspace->Reset(ready->fds.front());
    ready->fds.clear();
  }
  CloseAll(ready->fds);
  return control;
}

int RunAgent() {
  ::signal(SIGPIPE, SIG_IGN);  // a closed stream shows up as EPIPE
  AgentStream stream;
  auto open = stream.Await();
  if (!open) return stream.broken() ? 2 : 1;
  if (open->type != FrameType::kOpen) {
    (void)stream.SendError(Error(Error::Code::kInvalidArgument, "agent: expected an open frame"));
    return 2;
  }
  boost::system::error_code ec;
  json::value parsed = json::parse(open->payload, ec);
  const json::object* request = !ec && parsed.is_object() ? &parsed.get_object() : nullptr;
  const json::value* op = request != nullptr ? request->if_contains("op") : nullptr;
  if (op == nullptr || !op->is_string()) {
    (void)stream.SendError(
        Error(Error::Code::kInvalidArgument, "agent: an open frame is {\"op\":...}"));
    return 2;
  }
  const std::string_view name = op->get_string();
  if (name == "exec") return ServeExec(stream, *request);
  if (name == "session") {
    return ServeSession();
  }
  if (name == "port") return ServePort(stream, *request);
  if (name == "files") return ServeCalls(stream);
  return ServeCall(stream, name);
}

}  // namespace codeyard::local::pod
