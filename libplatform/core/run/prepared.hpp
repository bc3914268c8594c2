// Internals of Runner::Prepare: where a prepared program's pods come from, and the program
// itself (see PreparedProgram in codeyard/run.hpp). Thread-safety as PreparedProgram's.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "codeyard/run.hpp"

namespace codeyard::run {

// Hands out a fresh pod per run and takes used ones back for deletion.
class PodSource {
 public:
  virtual ~PodSource() = default;
  [[nodiscard]] virtual Result<std::shared_ptr<Pod>> Acquire() = 0;
  virtual void Release(std::shared_ptr<Pod> pod) = 0;
};

struct Collected {
  ExitStatus status;
  std::string out;
  std::string err;
};

// Runs spec to the end, stdout and stderr kept apart.
[[nodiscard]] Result<Collected> ExecAndCollect(Pod& pod, const ExecSpec& spec);

// The ExecSpec of argv under `limits` (ApplyRunLimits).
[[nodiscard]] ExecSpec SpecFor(std::vector<std::string> argv, const RunLimits& limits);

// `files` are what every run gets (sources and, compiled, the binary); `compile` the outcome
// of preparing (verdict kOk: ready). `pods` may be null when not ready.
[[nodiscard]] std::unique_ptr<PreparedProgram> MakePrepared(Language language, RunLimits limits,
                                                            std::vector<FileData> files,
                                                            RunResult compile,
                                                            std::unique_ptr<PodSource> pods);

}  // namespace codeyard::run
