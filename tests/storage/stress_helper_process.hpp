// Starting the storage stress helper (tests/storage/stress_helper.cpp, a second process on the
// same database) from the storage suites, and waiting for it. Only storage_tests defines
// CODEYARD_STRESS_HELPER, the helper binary's path. Test threads only.
#pragma once

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace codeyard::testing {

// Starts the helper with `args` (its command and operands); returns its pid.
inline pid_t SpawnStressHelper(std::vector<std::string> args) {
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::vector<char*> argv;
    static std::string helper = CODEYARD_STRESS_HELPER;
    argv.push_back(helper.data());
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(helper.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

// The exit code of a process started by SpawnStressHelper (128 + the signal that killed it).
inline int WaitExit(pid_t pid) {
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Runs the helper to its end; returns its exit code.
inline int RunStressHelper(std::vector<std::string> args) {
  return WaitExit(SpawnStressHelper(std::move(args)));
}

}  // namespace codeyard::testing
