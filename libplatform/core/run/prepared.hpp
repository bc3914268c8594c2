// Internals of Runner::Prepare: where a prepared program's pods come from, and the program
// itself (see PreparedProgram in codeyard/run.hpp). Thread-safety as PreparedProgram's.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "codeyard/log.hpp"
#include "codeyard/run.hpp"

namespace codeyard::run {

// Hands out a pod per run and takes used ones back (for deletion, or a reset and the next run).
class PodSource {
 public:
  virtual ~PodSource() = default;
  [[nodiscard]] virtual Result<std::shared_ptr<Pod>> Acquire() = 0;
  virtual void Release(std::shared_ptr<Pod> pod) = 0;
};

// Runs take turns in pods reset between them (PrepareRequest::reuse_pods). `fresh` hands out
// the pods and takes back those whose reset failed (for deletion); the first kUnimplemented
// reset (an executor that cannot) switches to `fallback`'s fresh pods for good.
[[nodiscard]] std::unique_ptr<PodSource> MakeReusingSource(
    std::unique_ptr<PodSource> fresh, std::function<std::unique_ptr<PodSource>()> fallback,
    std::shared_ptr<Logger> logger);

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
