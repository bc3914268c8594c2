#include "executor/local/pod/spawn.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <string>

#include "core/try.hpp"

namespace codeyard::local::pod {
namespace {

constexpr const char* kDefaultPath = "PATH=/usr/local/bin:/usr/bin:/bin";

enum class Step : int { kSession, kTerminal, kStdio, kOomScore, kLimits, kCwd, kSeccomp, kExec };

// What a failed child writes on its error pipe.
struct Failure {
  Step step = Step::kExec;
  int err = 0;
};

struct Limit {
  int resource = 0;
  rlimit value{};
};

// Everything the child needs, prepared before the fork so the child makes system calls only.
struct ChildPlan {
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::string path_entry;             // "PATH=..." that execvpe searches
  std::array<char*, 2> lookup_env{};  // {path_entry, nullptr}: `environ` in the child
  const char* cwd = nullptr;
  std::array<int, 3> stdio{-1, -1, -1};
  bool terminal = false;
  std::vector<Limit> limits;
  int error_fd = -1;
  const ChildFilter* filter = nullptr;
};

std::string_view StepName(Step step) {
  switch (step) {
    case Step::kSession:
      return "setsid";
    case Step::kTerminal:
      return "set the controlling terminal";
    case Step::kStdio:
      return "set up stdio";
    case Step::kOomScore:
      return "reset oom_score_adj";
    case Step::kLimits:
      return "setrlimit";
    case Step::kCwd:
      return "chdir";
    case Step::kSeccomp:
      return "load the seccomp filter";
    case Step::kExec:
      return "exec";
  }
  return "start";
}

// execve() takes char* const[] but never writes through it.
std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// Requested limits, each capped at the current hard limit (raising one would need
// CAP_SYS_RESOURCE; the request can only ever tighten).
std::vector<Limit> PlanLimits(const ExecRequest& request) {
  std::vector<Limit> limits;
  const auto add = [&limits](int resource, uint64_t soft, uint64_t hard) {
    rlimit current{};
    if (::getrlimit(resource, &current) != 0) current.rlim_max = RLIM_INFINITY;
    limits.push_back(
        {resource,
         {std::min<rlim_t>(soft, current.rlim_max), std::min<rlim_t>(hard, current.rlim_max)}});
  };
  add(RLIMIT_CORE, 0, 0);
  if (request.file_bytes) add(RLIMIT_FSIZE, *request.file_bytes, *request.file_bytes);
  if (request.open_files) add(RLIMIT_NOFILE, *request.open_files, *request.open_files);
  if (request.cpu_ms) {
    // Whole seconds, rounded up; the hard limit's SIGKILL backs a SIGXCPU that is ignored.
    const auto seconds =
        static_cast<uint64_t>((std::max<int64_t>(*request.cpu_ms, 1) + 999) / 1000);
    add(RLIMIT_CPU, seconds, seconds + 1);
  }
  return limits;
}

ChildPlan MakePlan(const ExecRequest& request, const ChildFilter& filter) {
  ChildPlan plan;
  plan.argv = CStrings(request.argv);
  plan.envp = CStrings(request.env);
  plan.path_entry = kDefaultPath;
  const auto path =
      std::find_if(request.env.begin(), request.env.end(),
                   [](const std::string& entry) { return entry.starts_with("PATH="); });
  if (path != request.env.end()) plan.path_entry = *path;  // the first, as getenv() finds it
  plan.lookup_env = {plan.path_entry.data(), nullptr};
  plan.cwd = request.cwd.c_str();
  plan.limits = PlanLimits(request);
  plan.filter = &filter;
  return plan;
}

[[noreturn]] void Abort(int error_fd, Step step) {
  const Failure failure{step, errno};
  (void)WriteAll(error_fd, &failure, sizeof(failure));
  ::_exit(127);
}

void ResetSignals() {
  struct sigaction action {};
  action.sa_handler = SIG_DFL;
  // SIGKILL, SIGSTOP and glibc's internal signals refuse; nothing to undo there.
  for (int signal = 1; signal < NSIG; ++signal) ::sigaction(signal, &action, nullptr);
  sigset_t none;
  ::sigemptyset(&none);
  ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
}

// The init runs at oom_score_adj -1000 (root mode) so the OOM killer takes pod processes
// instead; a child inherits that and must come back to 0. Opening its own /proc file for
// writing needs the dumpable flag the init cleared (execve sets it again anyway).
bool ResetOomScore() {
  if (::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0) return false;
  const UniqueFd fd(::open("/proc/self/oom_score_adj", O_RDWR | O_CLOEXEC));
  if (!fd.valid()) return false;
  std::array<char, 16> text{};
  if (::read(fd.get(), text.data(), text.size() - 1) < 0) return false;
  if (std::atoi(text.data()) >= 0) return true;  // rootless: whatever the caller had
  return WriteAll(fd.get(), "0", 1);
}

[[noreturn]] void RunChild(const ChildPlan& plan) {
  const int error_fd = plan.error_fd;
  ResetSignals();
  if (::setsid() < 0) Abort(error_fd, Step::kSession);
  if (plan.terminal && ::ioctl(plan.stdio[0], TIOCSCTTY, 0) < 0) Abort(error_fd, Step::kTerminal);
  // The received fds are all above 2 (fds 0-2 of the init are always open), so no dup2
  // here overwrites a source still needed.
  for (int target = 0; target < 3; ++target) {
    if (::dup2(plan.stdio[target], target) < 0) Abort(error_fd, Step::kStdio);
  }
  // Nothing of the init's survives: its control socket, other execs' fds, epoll, signalfd.
  if (error_fd > 3 && ::close_range(3, error_fd - 1, 0) != 0) Abort(error_fd, Step::kStdio);
  if (::close_range(error_fd + 1, ~0U, 0) != 0) Abort(error_fd, Step::kStdio);
  if (!ResetOomScore()) Abort(error_fd, Step::kOomScore);
  for (const Limit& limit : plan.limits) {
    if (::setrlimit(limit.resource, &limit.value) != 0) Abort(error_fd, Step::kLimits);
  }
  if (::chdir(plan.cwd) != 0) Abort(error_fd, Step::kCwd);
  const int rc = plan.filter->Load();
  if (rc != 0) {
    errno = -rc;
    Abort(error_fd, Step::kSeccomp);
  }
  // execvpe searches the caller's PATH, not envp's: point `environ` at the request's.
  environ = const_cast<char**>(plan.lookup_env.data());
  ::execvpe(plan.argv[0], plan.argv.data(), plan.envp.data());
  Abort(error_fd, Step::kExec);
}

struct Terminal {
  UniqueFd master;
  UniqueFd slave;
};

Result<Terminal> OpenTerminal(uint16_t rows, uint16_t cols) {
  Terminal terminal;
  terminal.master.Reset(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!terminal.master.valid()) return std::unexpected(SystemError("open /dev/ptmx"));
  CY_CHECK(Check(::unlockpt(terminal.master.get()), "unlockpt"));  // grantpt: nothing on devpts
  winsize size{};
  size.ws_row = rows;
  size.ws_col = cols;
  CY_CHECK(Check(::ioctl(terminal.master.get(), TIOCSWINSZ, &size), "set the terminal size"));
  // TIOCGPTPEER opens the slave from the master itself, with no path to race on.
  terminal.slave.Reset(::ioctl(terminal.master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!terminal.slave.valid()) return std::unexpected(SystemError("open the terminal slave"));
  return terminal;
}

Error DescribeFailure(const ExecRequest& request, const Failure& failure) {
  const std::string& program = request.argv.front();
  if (failure.step == Step::kCwd && (failure.err == ENOENT || failure.err == ENOTDIR)) {
    return {Error::Code::kNotFound, "cwd " + request.cwd + " does not exist"};
  }
  if (failure.step == Step::kExec) {
    Error::Code code = Error::Code::kInternal;
    if (failure.err == ENOENT || failure.err == ENOTDIR) code = Error::Code::kNotFound;
    if (failure.err == EACCES || failure.err == EPERM) code = Error::Code::kPermissionDenied;
    return {code, program + ": " + ErrnoText(failure.err)};
  }
  return SystemError(program + ": " + std::string(StepName(failure.step)), failure.err);
}

}  // namespace

Result<StartedChild> StartChild(const ExecRequest& request, std::vector<UniqueFd> stdio,
                                const ChildFilter& filter) {
  ChildPlan plan = MakePlan(request, filter);
  StartedChild started;
  UniqueFd slave;
  if (request.tty) {
    CY_TRY(Terminal terminal, OpenTerminal(request.rows, request.cols));
    started.terminal = std::move(terminal.master);
    slave = std::move(terminal.slave);
    plan.stdio = {slave.get(), slave.get(), slave.get()};
    plan.terminal = true;
  } else {
    if (stdio.size() != 3)
      return Fail(Error::Code::kInvalidArgument, "exec without its three stdio fds");
    for (size_t i = 0; i < 3; ++i) plan.stdio.at(i) = stdio[i].get();
  }
  std::array<int, 2> pipe_fds{};
  CY_CHECK(Check(::pipe2(pipe_fds.data(), O_CLOEXEC), "pipe"));
  const UniqueFd error_read(pipe_fds[0]);
  UniqueFd error_write(pipe_fds[1]);
  plan.error_fd = error_write.get();
  const pid_t pid = ::fork();
  if (pid < 0) return std::unexpected(SystemError("fork"));
  if (pid == 0) RunChild(plan);
  // Only the child may hold these now: their EOF is how the other side sees the end.
  error_write.Reset();
  slave.Reset();
  stdio.clear();
  Failure failure;
  const ssize_t n = ReadExact(error_read.get(), &failure, sizeof(failure));
  if (n == 0) {
    started.pid = pid;
    return started;
  }
  if (n < 0) {
    ::kill(pid, SIGKILL);  // untracked otherwise; reaped as an orphan
    return Fail(Error::Code::kInternal, "lost the start report of " + request.argv[0]);
  }
  return std::unexpected(DescribeFailure(request, failure));
}

ExitReport ReapedReport(int wait_status, const rusage& usage, int64_t start_ms,
                        std::optional<int64_t> cpu_limit_ms) {
  ExitReport report;
  if (WIFEXITED(wait_status)) report.exit_code = WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) report.signal = WTERMSIG(wait_status);
  // Summed in microseconds, truncated once: two truncated halves could lose 2 ms.
  report.cpu_ms = CpuMs(usage);
  report.wall_ms = NowMs() - start_ms;
  report.memory_kb = static_cast<uint64_t>(usage.ru_maxrss);
  report.time_limit_exceeded =
      report.signal == SIGXCPU ||
      (report.signal == SIGKILL && cpu_limit_ms && report.cpu_ms >= *cpu_limit_ms);
  return report;
}

}  // namespace codeyard::local::pod
