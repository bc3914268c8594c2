// Shared set-up for the executor suites: a real local executor on a private state
// directory (so tests never see each other's pods), plus helpers to run a command in a
// pod and collect what it printed. Nothing here is faked: pods are real sandboxes.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "codeyard/backend/executor.hpp"

namespace codeyard::testing {

struct Ran {
  ExitStatus status;
  std::string out;
  std::string err;
};

class PodFixture {
 public:
  PodFixture();
  ~PodFixture();
  PodFixture(const PodFixture&) = delete;
  PodFixture& operator=(const PodFixture&) = delete;

  [[nodiscard]] Executor& executor() const { return *executor_; }
  [[nodiscard]] std::shared_ptr<Executor> shared() const { return executor_; }
  [[nodiscard]] const std::filesystem::path& state_dir() const { return state_dir_; }
  [[nodiscard]] std::string uri() const { return "local:?state_dir=" + state_dir_.string(); }

  // A pod with small, safe limits (memory 256 MiB, 64 pids, 64 MiB disk) unless overridden.
  [[nodiscard]] std::shared_ptr<Pod> NewPod(PodSpec spec = DefaultSpec());
  [[nodiscard]] static PodSpec DefaultSpec();

  // The host uid a pod's user maps to (from the pod's record in the state directory).
  [[nodiscard]] uint32_t HostUid(const Pod& pod) const;

 private:
  std::filesystem::path state_dir_;
  std::shared_ptr<Executor> executor_;
};

// Runs argv to completion (wall limit 30 s unless the spec says otherwise); REQUIREs that
// the exec started.
Ran RunIn(Pod& pod, std::vector<std::string> argv, const std::string& stdin_data = "");
Ran RunSpec(Pod& pod, const ExecSpec& spec);

// `sh -c script`.
Ran Shell(Pod& pod, const std::string& script);

// Host processes (pid list) running as `uid`.
std::vector<int> HostProcessesOf(uint32_t uid);

}  // namespace codeyard::testing
