// LocalPod::Reset and LocalPod::CpuMs: one request each to the pod's init (protocol.hpp),
// answered on a socket of its own so that the control socket keeps carrying requests one way
// only.
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
// A usage answer is one walk of the pod's /proc: milliseconds, unless the pod is stopped.
constexpr int kUsageTimeoutMs = 5000;

}  // namespace

Result<Message> LocalPod::Ask(std::string_view type, int timeout_ms) {
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
  request["type"] = type;
  auto sent = SendMessage(control, request, {pair[1]});
  ::close(pair[1]);
  const std::string what = std::string(type) + " pod " + info_.id;
  if (!sent) {
    ::close(reply);
    return std::unexpected(sent.error().WithContext(what));
  }
  pollfd p{reply, POLLIN, 0};
  int ready = 0;
  do {
    ready = ::poll(&p, 1, timeout_ms);
  } while (ready < 0 && errno == EINTR);
  if (ready <= 0) {
    ::close(reply);
    // kDeadlineExceeded, as an agent pod's call past its deadline: the holder's usage sampler
    // takes repeated ones as a hung pod (Workspaces::Impl::SampleUsage).
    return Fail(Error::Code::kDeadlineExceeded, what + ": the pod did not answer in time");
  }
  auto answer = ReceiveMessage(reply);
  ::close(reply);
  CY_CHECK(answer);
  if (!*answer) return Fail(Error::Code::kUnavailable, what + ": the pod went away");
  CloseAll((*answer)->fds);
  if ((*answer)->type() == "error") return std::unexpected(ErrorFromMessage((*answer)->body));
  if ((*answer)->type() != type) {
    return Fail(Error::Code::kInternal,
                what + ": unexpected answer " + std::string((*answer)->type()));
  }
  return std::move(**answer);
}

Result<void> LocalPod::Reset() {
  CY_CHECK(Ask("reset", kResetTimeoutMs));
  return {};
}

Result<int64_t> LocalPod::CpuMs() {
  CY_TRY(const Message answer, Ask("usage", kUsageTimeoutMs));
  const auto* cpu = answer.body.if_contains("cpu_ms");
  if (cpu == nullptr || !cpu->is_int64() || cpu->get_int64() < 0) {
    return Fail(Error::Code::kInternal, "usage of pod " + info_.id + ": no cpu_ms in the answer");
  }
  return cpu->get_int64();
}

}  // namespace codeyard::local
