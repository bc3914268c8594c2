// One-shot runs: source files in, a verdict out (what Judge0 calls a submission and Piston
// an execute). A Runner takes pods from a warm pool of pre-started ones (each used once,
// then destroyed), compiles C and C++ in a separate, roomier pod so the program's limits
// apply to the program only, runs it, and classifies the outcome. Languages and their
// commands come from the one table (codeyard/languages.hpp). Runner::Prepare compiles once
// and runs the program many times, each run in a fresh pod (grading); Runner::Run is one
// prepare and one run. `codeyard run`, the benchmark harness, the job queue and the grader
// are thin callers. A Runner is safe to use from many threads at once; a PreparedProgram from
// one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/backend/executor.hpp"
#include "codeyard/error.hpp"
#include "codeyard/exec_limits.hpp"
#include "codeyard/languages.hpp"
#include "codeyard/limits.hpp"
#include "codeyard/log.hpp"

namespace codeyard {

enum class Verdict {
  kOk,
  kCompileError,
  kRuntimeError,
  kTimeLimitExceeded,
  kMemoryLimitExceeded,
  kOutputLimitExceeded,
  kInternalError,
};

// "ok", "compile_error", "runtime_error", "time_limit_exceeded", "memory_limit_exceeded",
// "output_limit_exceeded", "internal_error".
[[nodiscard]] std::string_view VerdictName(Verdict verdict) noexcept;

struct RunLimits {
  std::chrono::milliseconds cpu_time{5000};    // CPU time of the program
  std::chrono::milliseconds wall_time{10000};  // real time, whatever the program does
  uint64_t memory_bytes = uint64_t{256} << 20;
  uint32_t pids = 64;
  uint64_t output_bytes = uint64_t{1} << 20;  // stdout + stderr kept; past it the run stops
  uint64_t disk_bytes = uint64_t{64} << 20;   // workspace and /tmp each
  uint64_t file_bytes = uint64_t{64} << 20;   // largest single file
  double cpus = 1.0;

  friend bool operator==(const RunLimits&, const RunLimits&) = default;
};

struct RunRequest {
  std::vector<FileData> files;       // placed in /workspace; the first is the entry point
  std::optional<Language> language;  // default: from the first file's extension
  std::vector<std::string> args;     // program arguments
  std::string stdin_data;
  RunLimits limits;
  // Who asks, for RunnerOptions::max_concurrent_per_user; empty = not counted per user.
  std::string user_id;
  // The image the compile and run pods use (PodSpec::image); "" = the executor's default.
  std::string image;
};

struct RunResult {
  Verdict verdict = Verdict::kInternalError;
  ExitStatus status;
  std::string stdout_data;
  std::string stderr_data;
  std::string compile_output;  // compiler diagnostics (C and C++), capped
  int64_t compile_ms = 0;
  // meter20: the executor's report of the compile step (all zero when nothing compiled), for
  // usage metering; under kCompileError it is also `status`. Not part of the encoded result.
  ExitStatus compile_status;
  // The compiler's argv exactly as it ran (empty for interpreted languages).
  std::vector<std::string> compile_command;
  std::string message;  // why, for compile_error and internal_error
  // PreparedProgram runs: the files found under RunInput::collect_dir after the run.
  std::vector<FileData> collected;
};

// How a finished process maps to a verdict (shared with graders).
[[nodiscard]] Verdict Classify(const ExitStatus& status, const RunLimits& limits);
// The same for a process started with `spec` (a command in a workspace): judged by the CPU
// time limit the spec set, none meaning no time verdict but the executor's own report.
[[nodiscard]] Verdict Classify(const ExitStatus& status, const ExecSpec& spec);

// The one time rule of every caller (server, CLI, Python, graders): the CPU time limit as
// given, the wall time as given or, when not given (<= 0), twice the CPU time and at least one
// second, so that a program waiting on input or sleeping still ends while one that computes
// gets all its CPU time on a busy host. Seconds are rounded to whole milliseconds.
[[nodiscard]] RunLimits WithTimeLimit(RunLimits limits, double cpu_seconds,
                                      double wall_seconds = 0);

// The limits of `limits` a process enforces itself: CPU and wall time, and the output kept
// (past it the process is killed).
void ApplyRunLimits(const RunLimits& limits, ExecSpec& spec);

struct RunnerOptions {
  size_t pool_size = 0;  // pods kept ready for requests with the default limits
  // How many runs a pool pod serves, reset between them (Pod::Reset; docs/sandbox.md,
  // "Reusing a pod"), before it is deleted; 1: a fresh pod per run. An executor that cannot
  // reset gets fresh pods whatever this says.
  size_t pool_reuse_runs = 1;
  RunLimits default_limits;
  // Memory, pids and disk of the compile pod; its time and output come from the language
  // table (LanguageInfo::compile_limits) unless compile_override is set.
  RunLimits compile_limits{std::chrono::milliseconds(20000),
                           std::chrono::milliseconds(30000),
                           uint64_t{1} << 30,
                           128,
                           uint64_t{1} << 20,
                           uint64_t{256} << 20,
                           uint64_t{256} << 20,
                           1.0};
  std::optional<CompileLimits> compile_override;  // one compile limit for every language
  std::shared_ptr<Logger> logger;
  // Runs at once, for an embedder that calls Run directly (0 = no cap; the service graph sets
  // 0, since its job queue's workers bound runs). A run holds its caller's thread for up to its
  // wall time, so past a cap a run is refused at once instead of queueing: per user
  // kResourceExhausted, in all kUnavailable, each naming the option with a 1 s wait
  // (Error::WithLimit). Counted in this process.
  int max_concurrent = 2;
  int max_concurrent_per_user = 1;
  ExecSpecLimits exec_limits;  // what a run's arguments may be (ValidateExecSpec)
};

struct PoolStats {
  uint64_t hits = 0;    // runs served by a ready pod
  uint64_t misses = 0;  // runs that had to wait for a new pod
  size_t ready = 0;
};

// One run of a prepared program: its own stdin, arguments and extra files.
struct RunInput {
  std::string stdin_data;
  std::vector<std::string> args;  // after the language's run command
  // Placed in /workspace beside the program before it starts (a checker's test data). A
  // directory entry (FileKind::kDirectory) makes an empty directory.
  std::vector<FileData> files;
  // Read back after the run into RunResult::collected (regular files directly under it, at
  // most 64 KiB each); empty: nothing is read.
  std::string collect_dir;
  // For a started run (PreparedProgram::Start): stdin stays open for WriteStdin.
  bool stdin_open = false;
};

// A started run (PreparedProgram::Start): the process in its pod, which is deleted when this
// goes. Driven by one thread at a time, as any Process (Interrupt from any thread).
class LiveRun {
 public:
  virtual ~LiveRun() = default;
  [[nodiscard]] virtual Process& process() = 0;
  // Once the process has ended: the files under RunInput::collect_dir (as RunResult::collected).
  [[nodiscard]] virtual Result<std::vector<FileData>> Collect() = 0;
};

// A program compiled (or, interpreted, only checked) once, run many times, each run in a
// fresh pod, or a reset one (PrepareRequest::reuse_pods), with the limits it was prepared with:
// nothing one run leaves (files, /tmp, background processes) reaches the next. Made by
// Runner::Prepare; the Runner must outlive it.
class PreparedProgram {
 public:
  virtual ~PreparedProgram() = default;
  // verdict kOk when the program can run; kCompileError (compile_output, capped, and
  // message) or kInternalError otherwise. Carries compile_ms and compile_command.
  [[nodiscard]] virtual const RunResult& compile() const = 0;
  [[nodiscard]] bool ready() const { return compile().verdict == Verdict::kOk; }
  [[nodiscard]] virtual Language language() const = 0;
  [[nodiscard]] virtual const RunLimits& limits() const = 0;

  // Runs once to the end; whatever the program does is a verdict. Errors: kFailedPrecondition
  // when not ready(), the executor's when no pod starts, bad extra files as PutFiles says.
  [[nodiscard]] virtual Result<RunResult> Run(const RunInput& input) = 0;
  // Starts a run and hands over the process (interactive problems). Errors as Run.
  [[nodiscard]] virtual Result<std::unique_ptr<LiveRun>> Start(const RunInput& input) = 0;
};

struct PrepareRequest {
  std::vector<FileData> files;       // the first is the entry point
  std::optional<Language> language;  // default: from the first file's extension
  RunLimits limits;                  // of every run
  // Pods started ahead in the background for runs whose limits are not the warm pool's (and
  // deleted in the background after use), so a run of many tests waits for none.
  size_t prefetch = 0;
  // The runs take turns in one pod (more, when several run at once), reset between them
  // (Pod::Reset) instead of a fresh pod each: for the runs of one submission, which the
  // reset keeps as apart as fresh pods would (docs/sandbox.md, "Reusing a pod"). A pod whose
  // reset fails is deleted and the next run takes a fresh one; an executor that cannot reset
  // gets fresh pods (with `prefetch`) as if this were off.
  bool reuse_pods = false;
  // The image of the compile pod and every run's pod (PodSpec::image); "" = the executor's
  // default, which alone the warm pool holds: a named image's pods are made on demand (and
  // reused with reuse_pods), see docs/jobs.md, "Images".
  std::string image;
};

class Runner {
 public:
  static Result<std::unique_ptr<Runner>> Create(std::shared_ptr<Executor> executor,
                                                RunnerOptions options = {});
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;
  ~Runner();  // stops refilling and deletes every pod it holds

  // Runs the request to the end. Errors are for bad requests (kInvalidArgument: no files,
  // unknown language, bad paths), the concurrency caps (see RunnerOptions) and an unusable
  // executor; whatever the program does is a verdict in the result.
  [[nodiscard]] Result<RunResult> Run(const RunRequest& request);

  // Compiles once (C, C++: in a compile pod with the language's compile limits) for runs with
  // request.limits. Errors are for bad requests (no files, unknown language, bad paths) and an
  // unusable executor; a compile error is PreparedProgram::compile(). Not counted against
  // max_concurrent: its caller (the job queue) bounds how many run at once. The Runner must
  // outlive the program.
  [[nodiscard]] Result<std::unique_ptr<PreparedProgram>> Prepare(const PrepareRequest& request);

  // Blocks until the pool holds pool_size ready pods (or `timeout` passes); for benchmarks
  // and tests. Returns whether it filled.
  bool WaitForPool(std::chrono::milliseconds timeout);

  [[nodiscard]] PoolStats pool_stats() const;

  // Runs in progress now (counted when RunnerOptions::max_concurrent caps them).
  [[nodiscard]] int runs_in_flight() const;

 private:
  class Impl;
  explicit Runner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace codeyard
