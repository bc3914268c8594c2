// LocalPod::Reset: one "reset" request to the pod's init (protocol.hpp), answered on a socket
// of its own so that the control socket keeps carrying requests one way only.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "core/errno_text.hpp"
#include "core/try.hpp"
#include "executor/local/local_pod.hpp"
#include "executor/local/protocol.hpp"

namespace codeyard::local {
namespace {

// The init gives the pod's processes 5 s to die (pod/reset.cpp), then empties the scratch
// directories; past this the pod is taken as stuck.
constexpr int kResetTimeoutMs = 15000;

}  // namespace

Result<void> LocalPod::Reset() {
  int control = -1;
  {
    std::lock_guard lock(mu_);
    if (!Alive())
      return Fail(Error::Code::kFailedPrecondition, "pod " + info_.id + " is not running");
    control = control_fd_;
  }
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    return Fail(Error::Code::kInternal, "socketpair: " + ErrnoText(errno));
  }
  const int reply = pair[0];
  boost::json::object request;
  request["type"] = "reset";
  auto sent = SendMessage(control, request, {pair[1]});
  ::close(pair[1]);
  if (!sent) {
    ::close(reply);
    return std::unexpected(sent.error().WithContext("reset pod " + info_.id));
  }
  pollfd p{reply, POLLIN, 0};
  int ready = 0;
  do {
    ready = ::poll(&p, 1, kResetTimeoutMs);
  } while (ready < 0 && errno == EINTR);
  if (ready <= 0) {
    ::close(reply);
    return Fail(Error::Code::kUnavailable, "pod " + info_.id + " did not finish its reset in time");
  }
  auto answer = ReceiveMessage(reply);
  ::close(reply);
  CY_CHECK(answer);
  if (!*answer) return Fail(Error::Code::kUnavailable, "pod " + info_.id + " went away in reset");
  CloseAll((*answer)->fds);
  if ((*answer)->type() == "error") return std::unexpected(ErrorFromMessage((*answer)->body));
  if ((*answer)->type() != "reset") {
    return Fail(Error::Code::kInternal,
                "unexpected answer to reset: " + std::string((*answer)->type()));
  }
  return {};
}

}  // namespace codeyard::local
