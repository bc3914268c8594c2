#include "executor/local/local_pod.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <limits>
#include <map>
#include <thread>

#include "core/errno_text.hpp"
#include "core/try.hpp"
#include "executor/local/local_port.hpp"
#include "executor/local/local_process.hpp"
#include "executor/local/local_session.hpp"
#include "executor/local/pod_record.hpp"
#include "executor/local/protocol.hpp"

extern char** environ;

namespace codeyard::local {
namespace {

constexpr int kStartTimeoutMs = 30000;
constexpr int kExecTimeoutMs = 30000;

Error Sys(std::string_view what) {
  return {Error::Code::kInternal, std::string(what) + ": " + ErrnoText(errno)};
}

int PidfdOpen(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

int PidfdSignal(int pidfd, int signal) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0));
}

// Receives one message within `timeout_ms`; kDeadlineExceeded otherwise.
Result<std::optional<Message>> ReceiveWithin(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  int ready = 0;
  do {
    ready = ::poll(&p, 1, timeout_ms);
  } while (ready < 0 && errno == EINTR);
  if (ready == 0) return Fail(Error::Code::kDeadlineExceeded, "the pod did not answer in time");
  if (ready < 0) return std::unexpected(Sys("poll"));
  return ReceiveMessage(fd);
}

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// The address of a pod's control socket. A state directory deep enough to overflow sun_path
// (108 bytes) is reached through /proc/self/fd/<dir fd> instead, which bind and connect
// resolve like any path; `dir` keeps that fd open while the address is used.
struct SocketAddress {
  SocketAddress() = default;
  SocketAddress(SocketAddress&& other) noexcept : address(other.address), dir(other.dir) {
    other.dir = -1;
  }
  SocketAddress(const SocketAddress&) = delete;
  SocketAddress& operator=(const SocketAddress&) = delete;
  SocketAddress& operator=(SocketAddress&&) = delete;
  ~SocketAddress() { CloseFd(dir); }
  sockaddr_un address{};
  int dir = -1;
};

Result<SocketAddress> ControlAddressOf(const std::string& pod_dir) {
  SocketAddress out;
  out.address.sun_family = AF_UNIX;
  std::string path = pod_dir + "/" + kControlSocket;
  if (path.size() >= sizeof(out.address.sun_path)) {
    out.dir = ::open(pod_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (out.dir < 0) return std::unexpected(Sys("open " + pod_dir));
    path = "/proc/self/fd/" + std::to_string(out.dir) + "/" + kControlSocket;
  }
  std::memcpy(out.address.sun_path, path.c_str(), path.size() + 1);
  return out;
}

// The socket a survive_owner pod's init takes its holders on (protocol.hpp). Only its
// creator's user may connect: the socket is 0600 in the state directory.
Result<int> ListenForHolders(const std::string& pod_dir) {
  CY_TRY(const SocketAddress control, ControlAddressOf(pod_dir));
  const sockaddr_un& address = control.address;
  const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::unexpected(Sys("socket"));
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 ||
      ::chmod(address.sun_path, 0600) != 0 || ::listen(fd, 64) != 0) {
    const Error error = Sys(std::string("listen on ") + address.sun_path);
    ::close(fd);
    return std::unexpected(error);
  }
  return fd;
}

}  // namespace

std::vector<std::string> MergedEnvironment(const PodSpec& pod, const ExecSpec& exec) {
  std::map<std::string, std::string> env = {
      {"PATH", "/usr/local/bin:/usr/bin:/bin"},
      {"HOME", kWorkspace},
      {"USER", "runner"},
      {"LOGNAME", "runner"},
      {"LANG", "C.UTF-8"},
      {"TMPDIR", "/tmp"},
  };
  if (exec.tty) env["TERM"] = "xterm-256color";
  for (const auto& [k, v] : pod.env) env[k] = v;
  for (const auto& [k, v] : exec.env) env[k] = v;
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [k, v] : env) {
    std::string item = k;
    item += '=';
    item += v;
    out.push_back(std::move(item));
  }
  return out;
}

LocalPod::LocalPod(PodLaunch launch, std::shared_ptr<Logger> logger)
    : info_(launch.info), launch_(std::move(launch)), logger_(std::move(logger)) {}

Result<std::shared_ptr<LocalPod>> LocalPod::Start(PodLaunch launch,
                                                  std::shared_ptr<Logger> logger) {
  std::shared_ptr<LocalPod> pod(new LocalPod(std::move(launch), std::move(logger)));
  auto started = pod->Launch();
  if (!started) {
    (void)pod->Terminate();
    return std::unexpected(started.error().WithContext("starting pod " + pod->id()));
  }
  pod->info_.phase = PodPhase::kRunning;
  return pod;
}

Result<std::shared_ptr<LocalPod>> LocalPod::Connect(PodLaunch launch, pid_t init_pid,
                                                    uint64_t init_start,
                                                    std::shared_ptr<Logger> logger) {
  std::shared_ptr<LocalPod> pod(new LocalPod(std::move(launch), std::move(logger)));
  // A failure here must not end the pod: it is not ours to end.
  pod->terminated_ = true;
  // The pidfd first, then the start time: a pidfd of a reused pid would name another process.
  pod->init_pidfd_ = PidfdOpen(init_pid);
  if (pod->init_pidfd_ < 0 || ProcessStartTime(init_pid) != init_start) {
    return Fail(Error::Code::kNotFound, "pod " + pod->id() + " is gone");
  }
  CY_TRY(const SocketAddress control, ControlAddressOf(pod->launch_.pod_dir));
  const sockaddr_un& address = control.address;
  const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::unexpected(Sys("socket"));
  pod->control_fd_ = fd;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    // Gone between the record and here (its socket with it), or not taking holders.
    return Fail(errno == ENOENT || errno == ECONNREFUSED ? Error::Code::kNotFound
                                                         : Error::Code::kUnavailable,
                "cannot reach pod " + pod->id() + ": " + ErrnoText(errno));
  }
  CY_TRY(auto message, ReceiveWithin(fd, kStartTimeoutMs));
  if (!message || message->type() != "ready" || message->fds.size() != 1) {
    if (message) CloseAll(message->fds);
    return Fail(Error::Code::kNotFound, "pod " + pod->id() + " ended as it was reached");
  }
  pod->files_ = std::make_unique<WorkspaceFiles>(message->fds[0], pod->launch_.host_uid,
                                                 pod->launch_.host_gid);
  pod->init_pid_ = init_pid;
  pod->terminated_ = false;
  pod->info_.phase = PodPhase::kRunning;
  return pod;
}

Result<void> LocalPod::Launch() {
  const std::string root_dir = launch_.pod_dir + "/root";
  if (::mkdir(root_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return std::unexpected(Sys("mkdir " + root_dir));
  }
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    return std::unexpected(Sys("socketpair"));
  }
  control_fd_ = pair[0];
  int theirs = pair[1];
  if (theirs == kControlFd) {  // dup2 onto itself would keep close-on-exec set
    theirs = ::fcntl(pair[1], F_DUPFD_CLOEXEC, 10);
    ::close(pair[1]);
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  // NOLINTNEXTLINE(concurrency-mt-unsafe): nothing here sets the environment
  if (::getenv("CODEYARD_POD_DEBUG") == nullptr) {
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, theirs, kControlFd);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigset_t all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
  std::string binary = launch_.pod_binary;
  char* argv[] = {binary.data(), nullptr};
  char path_env[] = "PATH=/usr/bin:/bin";
  char* envp[] = {path_env, nullptr};
  const int spawned = ::posix_spawn(&shim_pid_, binary.c_str(), &actions, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(theirs);
  if (spawned != 0) {
    shim_pid_ = -1;
    return Fail(Error::Code::kUnavailable, "cannot start " + binary + ": " + ErrnoText(spawned));
  }
  shim_pidfd_ = PidfdOpen(shim_pid_);  // our child: its pid cannot be reused yet

  PodConfig config;
  config.pod_id = info_.id;
  config.hostname = "pod-" + info_.id.substr(0, 8);
  config.host_uid = launch_.host_uid;
  config.host_gid = launch_.host_gid;
  config.rootless = launch_.rootless;
  config.root_dir = root_dir;
  config.network = info_.spec.network;
  config.workspace_bytes = info_.spec.limits.workspace_bytes.value_or(0);
  config.tmp_bytes = info_.spec.limits.tmp_bytes.value_or(0);
  if (info_.spec.survive_owner) {
    config.orphan_timeout_ms =
        static_cast<uint64_t>(std::max<int64_t>(int64_t{0}, info_.spec.orphan_timeout.count()));
  }
  if (launch_.cgroup) config.cgroup_procs_files = launch_.cgroup->ProcsFiles();
  config.extra_ro_binds = launch_.ro_binds;
  config.image_dir = launch_.image_dir;
  std::vector<int> listener;
  if (info_.spec.survive_owner) {
    CY_TRY(const int fd, ListenForHolders(launch_.pod_dir));
    listener.push_back(fd);
  }
  auto sent = SendMessage(control_fd_, ToJson(config), listener);
  CloseAll(listener);  // the pod holds it now
  CY_CHECK(sent);

  while (true) {
    CY_TRY(auto message, ReceiveWithin(control_fd_, kStartTimeoutMs));
    if (!message) return Fail(Error::Code::kInternal, "codeyard-pod exited during start-up");
    if (message->type() == "error") {
      CloseAll(message->fds);
      return std::unexpected(ErrorFromMessage(message->body));
    }
    if (message->type() == "init") {
      CloseAll(message->fds);
      const auto* pid = message->body.if_contains("pid");
      if (pid == nullptr || !pid->is_int64())
        return Fail(Error::Code::kInternal, "bad init message");
      init_pid_ = static_cast<pid_t>(pid->get_int64());
      init_pidfd_ = PidfdOpen(init_pid_);
      continue;
    }
    if (message->type() == "ready") {
      if (message->fds.size() != 1) {
        CloseAll(message->fds);
        return Fail(Error::Code::kInternal, "ready message without the workspace fd");
      }
      files_ =
          std::make_unique<WorkspaceFiles>(message->fds[0], launch_.host_uid, launch_.host_gid);
      return {};
    }
    CloseAll(message->fds);
  }
}

bool LocalPod::Alive() const {
  if (terminated_ || control_fd_ < 0) return false;
  pollfd p{control_fd_, POLLIN, 0};
  if (::poll(&p, 1, 0) < 0) return false;
  return (p.revents & (POLLHUP | POLLERR)) == 0;
}

PodInfo LocalPod::Info() const {
  std::lock_guard lock(mu_);
  PodInfo info = info_;
  if (!Alive()) {
    info.phase = PodPhase::kTerminated;
    if (info.message.empty()) info.message = terminated_ ? "deleted" : "the pod's init exited";
  }
  return info;
}

Result<std::unique_ptr<Process>> LocalPod::Exec(const ExecSpec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty()) {
    return Fail(Error::Code::kInvalidArgument, "exec needs a program to run");
  }
  if (spec.cwd.empty() || spec.cwd.front() != '/') {
    return Fail(Error::Code::kInvalidArgument, "exec cwd must be absolute: \"" + spec.cwd + "\"");
  }
  int control = -1;
  {
    std::lock_guard lock(mu_);
    if (!Alive())
      return Fail(Error::Code::kFailedPrecondition, "pod " + info_.id + " is not running");
    control = control_fd_;
  }
  ExecRequest request;
  request.argv = spec.argv;
  request.cwd = spec.cwd;
  request.env = MergedEnvironment(info_.spec, spec);
  request.tty = spec.tty;
  request.rows = spec.tty_size.rows;
  request.cols = spec.tty_size.cols;
  if (spec.cpu_time_limit) request.cpu_ms = spec.cpu_time_limit->count();
  if (spec.wall_time_limit) request.wall_ms = spec.wall_time_limit->count();
  request.file_bytes = info_.spec.limits.file_bytes;
  request.open_files = info_.spec.limits.open_files;

  int status_pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, status_pair) != 0) {
    return std::unexpected(Sys("socketpair"));
  }
  ProcessChannels channels;
  channels.status = status_pair[0];
  channels.tty = spec.tty;
  std::vector<int> remote = {status_pair[1]};
  if (!spec.tty) {
    int in[2];
    int out[2];
    int err[2];
    if (::pipe2(in, O_CLOEXEC) != 0) return std::unexpected(Sys("pipe"));
    if (::pipe2(out, O_CLOEXEC) != 0) return std::unexpected(Sys("pipe"));
    if (::pipe2(err, O_CLOEXEC) != 0) return std::unexpected(Sys("pipe"));
    channels.stdin_fd = in[1];
    channels.stdout_fd = out[0];
    channels.stderr_fd = err[0];
    remote.insert(remote.end(), {in[0], out[1], err[1]});
  }
  const uint64_t oom_before = [&] {
    if (!launch_.cgroup) return uint64_t{0};
    auto usage = launch_.cgroup->Usage();
    return usage ? usage->oom_kills : 0;
  }();
  auto sent = SendMessage(control, ToJson(request), remote);
  CloseAll(remote);
  // From here the channels are owned by the process object, whatever happens next.
  auto process = std::make_unique<LocalProcess>(channels, spec, launch_.cgroup, oom_before);
  if (!sent && sent.error().code() == Error::Code::kAborted) {
    // The init died between the check above and the send (fault21: a killed init answered
    // 409 "aborted" to the next exec): the pod is gone, as when it dies before the reply.
    return Fail(Error::Code::kFailedPrecondition, "pod " + info_.id + " went away");
  }
  if (!sent) return std::unexpected(sent.error().WithContext("exec in pod " + info_.id));
  CY_TRY(auto reply, ReceiveWithin(channels.status, kExecTimeoutMs));
  if (!reply) return Fail(Error::Code::kFailedPrecondition, "pod " + info_.id + " went away");
  if (reply->type() == "error") {
    CloseAll(reply->fds);
    return std::unexpected(ErrorFromMessage(reply->body));
  }
  if (reply->type() != "started") {
    CloseAll(reply->fds);
    return Fail(Error::Code::kInternal, "unexpected answer to exec: " + std::string(reply->type()));
  }
  if (spec.tty) {
    if (reply->fds.size() != 1) {
      CloseAll(reply->fds);
      return Fail(Error::Code::kInternal, "terminal exec without the terminal's fd");
    }
    const int master = reply->fds[0];
    const int input = ::fcntl(master, F_DUPFD_CLOEXEC, 0);
    // Re-create the process with the terminal now that the init sent it.
    ProcessChannels tty_channels;
    tty_channels.status = ::fcntl(channels.status, F_DUPFD_CLOEXEC, 0);
    tty_channels.stdout_fd = master;
    tty_channels.stdin_fd = input;
    tty_channels.tty = true;
    process = std::make_unique<LocalProcess>(tty_channels, spec, launch_.cgroup, oom_before);
  } else {
    CloseAll(reply->fds);
  }
  return std::unique_ptr<Process>(std::move(process));
}

Result<SessionAttachment> LocalPod::OpenSession(std::string_view name, const ExecSpec& spec) {
  CY_CHECK(CheckSessionRequest(name, spec));
  int control = -1;
  {
    std::lock_guard lock(mu_);
    if (!Alive())
      return Fail(Error::Code::kFailedPrecondition, "pod " + info_.id + " is not running");
    control = control_fd_;
  }
  const ExecRequest request = SessionRequest(info_.spec, spec);
  return LocalSession::Open(control, name, &request, spec, launch_.cgroup);
}

Result<SessionAttachment> LocalPod::JoinSession(std::string_view name) {
  // The attachment's own side of a spec (it starts nothing): a terminal, and no output cap
  // that would cut a watcher off a long-lived shell.
  ExecSpec spec;
  spec.tty = true;
  spec.output_limit_bytes = std::numeric_limits<uint64_t>::max();
  spec.kill_on_output_limit = false;
  if (!ValidSessionName(name)) {
    return Fail(
        Error::Code::kInvalidArgument,
        "a session name is 1-64 characters of [a-z0-9._-], not \"" + std::string(name) + "\"");
  }
  int control = -1;
  {
    std::lock_guard lock(mu_);
    if (!Alive())
      return Fail(Error::Code::kFailedPrecondition, "pod " + info_.id + " is not running");
    control = control_fd_;
  }
  return LocalSession::Open(control, name, nullptr, spec, launch_.cgroup);
}

Result<std::unique_ptr<PortStream>> LocalPod::ConnectPort(uint16_t port) {
  int control = -1;
  {
    std::lock_guard lock(mu_);
    if (!Alive())
      return Fail(Error::Code::kFailedPrecondition, "pod " + info_.id + " is not running");
    control = control_fd_;
  }
  return ConnectPodPort(control, port);
}

Result<void> LocalPod::PutFiles(std::span<const FileData> files) {
  if (!files_) return Fail(Error::Code::kFailedPrecondition, "pod " + info_.id + " is not running");
  return files_->Put(files);
}

Result<std::vector<FileData>> LocalPod::GetFiles(std::span<const std::string> paths) {
  if (!files_) return Fail(Error::Code::kFailedPrecondition, "pod " + info_.id + " is not running");
  return files_->Get(paths);
}

Result<void> LocalPod::DeleteFiles(std::span<const std::string> paths) {
  if (!files_) return Fail(Error::Code::kFailedPrecondition, "pod " + info_.id + " is not running");
  return files_->Delete(paths);
}

Result<std::vector<FileEntry>> LocalPod::ListFiles(const ListFilesOptions& options) {
  if (!files_) return Fail(Error::Code::kFailedPrecondition, "pod " + info_.id + " is not running");
  return files_->List(options);
}

Result<void> LocalPod::Terminate() {
  std::lock_guard lock(mu_);
  if (terminated_) return {};
  terminated_ = true;
  // Killing PID 1 of the pod's pid namespace kills everything in it; the shim waits for the
  // init, which the kernel lets exit only after every other process of the namespace.
  if (init_pidfd_ >= 0) {
    PidfdSignal(init_pidfd_, SIGKILL);
  } else if (shim_pid_ > 0) {
    ::kill(shim_pid_, SIGKILL);
  }
  CloseFd(control_fd_);
  if (shim_pid_ > 0) {
    // The shim exits once the init has, and the kernel lets the init exit only after every
    // other process of its pid namespace: when the shim is gone, so is the whole pod.
    int status = 0;
    bool exited = false;
    if (shim_pidfd_ >= 0) {
      pollfd p{shim_pidfd_, POLLIN, 0};
      int ready = 0;
      do {
        ready = ::poll(&p, 1, 5000);
      } while (ready < 0 && errno == EINTR);
      exited = ready > 0;
    } else {
      for (int i = 0; i < 2500 && !exited; ++i) {
        const pid_t done = ::waitpid(shim_pid_, &status, WNOHANG);
        exited = done == shim_pid_ || (done < 0 && errno == ECHILD);
        if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    }
    if (!exited) ::kill(shim_pid_, SIGKILL);  // stuck: take the shim down; the init follows
    ::waitpid(shim_pid_, &status, 0);
    shim_pid_ = -1;
  } else if (init_pidfd_ >= 0) {
    // A pod another process started: its shim is not our child, but its init's exit (after every
    // other process of the pod) shows on the pidfd all the same.
    pollfd p{init_pidfd_, POLLIN, 0};
    int ready = 0;
    do {
      ready = ::poll(&p, 1, 5000);
    } while (ready < 0 && errno == EINTR);
  }
  CloseFd(init_pidfd_);
  CloseFd(shim_pidfd_);
  files_.reset();
  Result<void> outcome;
  if (launch_.cgroup) {
    if (auto killed = launch_.cgroup->KillAll(); !killed) outcome = killed;
    if (auto removed = launch_.cgroup->Remove(); !removed && outcome) outcome = removed;
  }
  if (auto removed = RemoveTree(launch_.pod_dir); !removed && outcome) outcome = removed;
  if (!outcome && logger_) {
    logger_->Warn("pod cleanup incomplete",
                  {{"pod", info_.id}, {"error", outcome.error().ToString()}});
  }
  return outcome;
}

void LocalPod::Release() {
  std::lock_guard lock(mu_);
  if (terminated_) return;
  terminated_ = true;
  CloseFd(control_fd_);  // the init counts one holder less
  CloseFd(init_pidfd_);
  files_.reset();
  info_.message = "released by this process";
}

LocalPod::~LocalPod() {
  if (info_.spec.survive_owner) {
    Release();
  } else {
    (void)Terminate();
  }
  CloseFd(control_fd_);  // a failed connection leaves the pod as it was, but not this socket
  CloseFd(init_pidfd_);
  CloseFd(shim_pidfd_);
}

}  // namespace codeyard::local
