#include "executor/local/pod/init_loop.hpp"

#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <vector>

#include "core/try.hpp"
#include "executor/local/pod/port_forward.hpp"
#include "executor/local/pod/spawn.hpp"

namespace codeyard::local::pod {
namespace {

namespace json = boost::json;

// epoll keys of the fixed fds; exec ids count up from 1 and never get near these (nor near
// the holders' keys, holders.cpp).
constexpr uint64_t kSignalKey = ~uint64_t{0} - 1;
constexpr uint64_t kTimerKey = ~uint64_t{0} - 2;

// Kills the exec's whole process group: it called setsid, so the group id is its pid.
void KillGroup(pid_t pid) { ::kill(-pid, SIGKILL); }

}  // namespace

Result<void> Watch(int epoll, int fd, uint64_t key) {
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = key;
  return Check(::epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event), "epoll_ctl");
}

Result<void> InitLoop::Open() {
  sigset_t child;
  ::sigemptyset(&child);
  ::sigaddset(&child, SIGCHLD);
  if (container_) ::sigaddset(&child, SIGTERM);  // the container runtime's stop
  const int rc = ::pthread_sigmask(SIG_BLOCK, &child, nullptr);
  if (rc != 0) return std::unexpected(SystemError("block SIGCHLD", rc));
  signals_.Reset(::signalfd(-1, &child, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!signals_.valid()) return std::unexpected(SystemError("signalfd"));
  timer_.Reset(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!timer_.valid()) return std::unexpected(SystemError("timerfd_create"));
  epoll_.Reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_.valid()) return std::unexpected(SystemError("epoll_create1"));
  CY_CHECK(sessions_.Start(epoll_.get()));
  CY_CHECK(Watch(epoll_.get(), signals_.get(), kSignalKey));
  CY_CHECK(Watch(epoll_.get(), timer_.get(), kTimerKey));
  return OpenHolders();
}

Result<void> InitLoop::Run() {
  CY_CHECK(Open());
  std::array<epoll_event, 16> events{};
  while (true) {
    const int count =
        ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), -1);
    if (count < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(SystemError("epoll_wait"));
    }
    for (int i = 0; i < count; ++i) {
      const uint64_t key = events.at(static_cast<size_t>(i)).data.u64;
      const uint32_t mask = events.at(static_cast<size_t>(i)).events;
      if (IsHolderKey(key)) {
        if (!OnHolder(key) || orphaned_) {
          KillAll();
          return {};
        }
      } else if (key == kSignalKey) {
        OnChildren();
      } else if (key == kTimerKey) {
        OnTimer();
      } else if (SessionTable::Owns(key)) {
        sessions_.OnEvent(key, mask);
      } else {
        OnStatus(key);
      }
    }
    if (terminated_) {
      KillAll();
      return {};
    }
  }
}

void InitLoop::KillAll() {
  // PID 1's kill(-1) reaches every other process of the namespace; a container init that
  // is not PID 1 (under a test's pod) reaches every process it may signal there, its own
  // pod's.
  ::kill(-1, SIGKILL);
  if (container_) (void)KillOthers(0, NowMs() + 1000);
}

bool InitLoop::OnControl(int fd) {
  auto received = ReceiveMessage(fd);
  // A broken socket or a malformed message both mean the library side is not sane any more.
  if (!received || !*received) return false;
  Message message = std::move(**received);
  if (container_) {
    ucred peer{};
    socklen_t size = sizeof(peer);
    requester_ = ::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &size) == 0 ? peer.pid : 0;
  }
  if (message.type() == "exec") {
    OnExec(std::move(message));
  } else if (message.type() == "attach" && message.fds.size() == 1) {
    sessions_.Attach(UniqueFd(message.fds.front()));  // session.hpp speaks on that stream
  } else if (message.type() == "forward") {
    ForwardPort(std::move(message));  // port_forward.hpp
  } else if (message.type() == "reset") {
    OnReset(std::move(message));
  } else if (message.type() == "usage") {
    OnUsage(std::move(message));
  } else {
    CloseAll(message.fds);  // nothing else is expected here; ignore it
  }
  return true;
}

void InitLoop::OnExec(Message message) {
  if (message.fds.empty()) return;  // no status socket: nowhere to answer
  UniqueFd status(message.fds.front());
  std::vector<UniqueFd> stdio;
  for (size_t i = 1; i < message.fds.size(); ++i) stdio.emplace_back(message.fds[i]);
  message.fds.clear();
  const auto answer_error = [&status](const Error& error) {
    (void)SendMessage(status.get(), ErrorMessage(error));
  };
  auto request = ExecRequestFromJson(message.body);
  if (!request) return answer_error(request.error());
  if (stdio.size() != (request->tty ? 0U : 3U)) {
    return answer_error(Error(Error::Code::kInvalidArgument,
                              "an exec carries [status] for a terminal, "
                              "[status, stdin, stdout, stderr] for pipes"));
  }
  const int64_t start_ms = NowMs();
  auto started = StartChild(*request, std::move(stdio), filter_);
  if (!started) return answer_error(started.error());
  json::object reply;
  reply["type"] = "started";
  reply["pid"] = started->pid;
  std::vector<int> fds;
  if (started->terminal.valid()) fds.push_back(started->terminal.get());
  const uint64_t id = next_id_++;
  if (!SendMessage(status.get(), reply, fds) || !Watch(epoll_.get(), status.get(), id)) {
    KillGroup(started->pid);  // nobody can see it; reaped like an orphan
    return;
  }
  Exec exec;
  exec.pid = started->pid;
  exec.status = std::move(status);
  exec.start_ms = start_ms;
  if (request->wall_ms) exec.deadline_ms = start_ms + *request->wall_ms;
  exec.cpu_limit_ms = request->cpu_ms;
  execs_.emplace(id, std::move(exec));
  ArmTimer();
}

void InitLoop::OnStatus(uint64_t id) {
  const auto it = execs_.find(id);
  if (it == execs_.end() || !it->second.status.valid()) return;
  Exec& exec = it->second;
  auto received = ReceiveMessage(exec.status.get());
  if (!received || !*received) {
    // The library dropped the process: take its session's group with it; the entry stays
    // until the main process is reaped, without a report.
    KillGroup(exec.pid);
    Forget(exec);
    return;
  }
  Message message = std::move(**received);
  CloseAll(message.fds);
  const auto* signal = message.body.if_contains("signal");
  if (message.type() != "signal" || signal == nullptr || !signal->is_int64()) return;
  const auto number = static_cast<int>(signal->get_int64());
  if (number == SIGKILL) {
    KillGroup(exec.pid);
  } else {
    ::kill(exec.pid, number);
  }
}

void InitLoop::OnChildren() {
  signalfd_siginfo info{};
  while (::read(signals_.get(), &info, sizeof(info)) == sizeof(info)) {
    if (info.ssi_signo == SIGTERM) terminated_ = true;
  }
  // One SIGCHLD may stand for many exits; reap until nothing is left.
  while (true) {
    int wait_status = 0;
    rusage usage{};
    const pid_t pid = ::wait4(-1, &wait_status, WNOHANG, &usage);
    if (pid <= 0) break;
    OnReaped(pid, wait_status, usage);
  }
  ArmTimer();
}

void InitLoop::OnReaped(pid_t pid, int wait_status, const rusage& usage) {
  if (sessions_.OnReaped(pid, wait_status, usage)) return;
  const auto it = std::find_if(execs_.begin(), execs_.end(),
                               [pid](const auto& entry) { return entry.second.pid == pid; });
  if (it == execs_.end()) return;  // an orphan re-parented to PID 1, or a failed start
  Report(it->second, wait_status, usage);
  execs_.erase(it);
}

void InitLoop::Report(Exec& exec, int wait_status, const rusage& usage) {
  if (!exec.status.valid()) return;
  ExitReport report = ReapedReport(wait_status, usage, exec.start_ms, exec.cpu_limit_ms);
  report.time_limit_exceeded = report.time_limit_exceeded || exec.timed_out;
  (void)SendMessage(exec.status.get(), ToJson(report));
  Forget(exec);
}

void InitLoop::Forget(Exec& exec) {
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, exec.status.get(), nullptr);
  exec.status.Reset();
}

void InitLoop::OnTimer() {
  uint64_t expirations = 0;
  (void)::read(timer_.get(), &expirations, sizeof(expirations));
  const int64_t now = NowMs();
  for (auto& [id, exec] : execs_) {
    if (exec.deadline_ms && !exec.timed_out && *exec.deadline_ms <= now) {
      KillGroup(exec.pid);
      exec.timed_out = true;
    }
  }
  ArmTimer();
}

void InitLoop::ArmTimer() {
  std::optional<int64_t> next;
  for (const auto& [id, exec] : execs_) {
    if (exec.deadline_ms && !exec.timed_out)
      next = std::min(next.value_or(*exec.deadline_ms), *exec.deadline_ms);
  }
  ArmTimerAt(timer_.get(), next);
}

}  // namespace codeyard::local::pod
