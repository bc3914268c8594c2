// The pod's holders: every control socket open to the init (protocol.hpp). The start-up
// socketpair is the first; a survivable pod takes more on its listening socket, one per
// LocalPod in any process on the host, and lives on without any for the orphan timeout.
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "core/try.hpp"
#include "executor/local/pod/init_loop.hpp"

namespace codeyard::local::pod {
namespace {

// Holder keys sit in their own range, far above exec ids (which count up from 1) and below
// the fixed keys at the top of the range (init_loop.cpp).
// Above the session table's keys (SessionTable::Owns: [2^62, 2^63)) and far from exec ids.
constexpr uint64_t kHolderBase = uint64_t{1} << 63;
constexpr uint64_t kHolderEnd = kHolderBase + (uint64_t{1} << 61);
constexpr uint64_t kListenerKey = kHolderEnd;
constexpr uint64_t kOrphanKey = kHolderEnd + 1;

}  // namespace

Result<void> InitLoop::OpenHolders() {
  next_holder_ = kHolderBase;
  if (!container_) {  // a container init has no start-up holder: agents connect
    const uint64_t first = next_holder_++;
    CY_CHECK(Watch(epoll_.get(), kControlFd, first));
    holders_.emplace(first, UniqueFd(kControlFd));
  }
  if (!listener_.valid()) return {};
  orphan_timer_.Reset(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!orphan_timer_.valid()) return std::unexpected(SystemError("timerfd_create"));
  CY_CHECK(Watch(epoll_.get(), orphan_timer_.get(), kOrphanKey));
  return Watch(epoll_.get(), listener_.get(), kListenerKey);
}

bool InitLoop::IsHolderKey(uint64_t key) { return key >= kHolderBase && key <= kOrphanKey; }

bool InitLoop::OnHolder(uint64_t key) {
  if (key == kListenerKey) {
    OnListener();
    return true;
  }
  if (key == kOrphanKey) {
    OnOrphanTimer();
    return true;
  }
  const auto it = holders_.find(key);
  if (it == holders_.end()) return true;  // a stale event of a holder already dropped
  if (OnControl(it->second.get())) return true;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, it->second.get(), nullptr);
  holders_.erase(it);  // closes it; its execs end as their own status sockets hang up
  if (!holders_.empty()) return true;
  if (!listener_.valid()) return false;  // a one-shot pod ends with its only holder
  ArmOrphanTimer(true);
  return true;
}

void InitLoop::OnListener() {
  UniqueFd peer(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!peer.valid()) return;
  if (container_) {
    // The abstract socket is reachable from the pod's network namespace: only the pod user.
    ucred cred{};
    socklen_t size = sizeof(cred);
    if (::getsockopt(peer.get(), SOL_SOCKET, SO_PEERCRED, &cred, &size) != 0 ||
        cred.uid != ::getuid()) {
      return;
    }
  }
  boost::json::object ready;
  ready["type"] = "ready";
  if (!SendMessage(peer.get(), ready, {workspace_.get()})) return;  // gone already
  const uint64_t key = next_holder_++;
  if (key >= kHolderEnd || !Watch(epoll_.get(), peer.get(), key)) return;
  holders_.emplace(key, std::move(peer));
  ArmOrphanTimer(false);
}

void InitLoop::OnOrphanTimer() {
  uint64_t expirations = 0;
  (void)::read(orphan_timer_.get(), &expirations, sizeof(expirations));
  // A holder that connected as the timer fired has disarmed it already: only a pod that is
  // still without one ends.
  if (holders_.empty()) orphaned_ = true;
}

void InitLoop::ArmOrphanTimer(bool armed) {
  if (!orphan_timer_.valid()) return;
  itimerspec spec{};  // all zero disarms
  if (armed && orphan_timeout_ms_ > 0) {
    spec.it_value.tv_sec = static_cast<time_t>(orphan_timeout_ms_ / 1000);
    spec.it_value.tv_nsec = static_cast<long>((orphan_timeout_ms_ % 1000) * 1'000'000);
  }
  ::timerfd_settime(orphan_timer_.get(), 0, &spec, nullptr);
}

}  // namespace codeyard::local::pod
