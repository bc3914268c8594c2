// Running other programs from a benchmark: start a long-lived child (codeyard-server) with its
// output sent to files, stop it with a signal and a deadline, and run a short one (wrk) to the
// end capturing its stdout. POSIX fork/exec; errors throw std::runtime_error with the reason.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace codeyard::bench {

class ChildProcess {
 public:
  // Starts argv[0] (a path) with exactly `env` ("NAME=value"), stdin from /dev/null, stdout to
  // /dev/null and stderr appended to `stderr_path`.
  ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env,
               const std::string& stderr_path);
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();  // Stop() if still running

  // True while the child has not exited.
  [[nodiscard]] bool Running();

  // Sends SIGTERM and waits up to `grace` for the exit, then SIGKILL. Returns the exit code
  // (128 + signal when a signal ended it).
  int Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

 private:
  pid_t pid_ = -1;
  int status_ = -1;  // set once reaped
};

// Runs argv to the end with the caller's environment; returns its stdout. `exit_code` gets the
// exit code (128 + signal for a signal). stderr is inherited.
[[nodiscard]] std::string RunCapture(const std::vector<std::string>& argv, int* exit_code);

// Runs argv (looked up in PATH) to the end with the caller's environment: stdin from
// `stdin_path` (empty: inherited), stdout to /dev/null, stderr too when `quiet`. True when it
// exited 0. For the baselines that time bare programs: no exception, so no cost in the timing.
[[nodiscard]] bool RunToSuccess(const std::vector<std::string>& argv,
                                const std::string& stdin_path = {}, bool quiet = true);

// This process's environment without CODEYARD_* variables (they would be read as config).
[[nodiscard]] std::vector<std::string> EnvironmentWithoutCodeyard();

}  // namespace codeyard::bench
