// Runner: one-shot runs and prepared programs over any Executor (see codeyard/run.hpp).
#include <algorithm>
#include <chrono>
#include <optional>

#include "codeyard/exec_limits.hpp"
#include "codeyard/files.hpp"
#include "codeyard/run.hpp"
#include "core/run/prepared.hpp"
#include "core/run/warm_pool.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

constexpr int64_t kCpuTickSlackMs = 20;

std::vector<std::string> SourcesOf(const std::vector<FileData>& files, Language wanted) {
  std::vector<std::string> out;
  for (const auto& f : files) {
    if (f.kind != FileKind::kFile) continue;
    auto language = LanguageFromFileName(f.path);
    if (language && *language == wanted) out.push_back(f.path);
  }
  return out;
}

std::string CompileStopped(Verdict verdict, const RunLimits& limits) {
  switch (verdict) {
    case Verdict::kTimeLimitExceeded:
      return "the compiler ran past its time limit (" + std::to_string(limits.cpu_time.count()) +
             " ms CPU, " + std::to_string(limits.wall_time.count()) + " ms wall) and was stopped";
    case Verdict::kOutputLimitExceeded:
      return "the compiler's output passed its cap (" + std::to_string(limits.output_bytes) +
             " bytes) and it was stopped";
    case Verdict::kMemoryLimitExceeded:
      return "the compiler ran out of memory";
    default:
      return "the compiler reported errors";
  }
}

// The runner's warm pool: limits equal to RunnerOptions::default_limits.
class SharedPoolSource final : public run::PodSource {
 public:
  explicit SharedPoolSource(run::WarmPool& pool) : pool_(pool) {}
  Result<std::shared_ptr<Pod>> Acquire() override { return pool_.Acquire(); }
  void Release(std::shared_ptr<Pod> pod) override { pool_.Retire(std::move(pod)); }

 private:
  run::WarmPool& pool_;
};

// A pool of the program's own, for many runs with other limits: the next pods start while a
// run goes on, and used ones are deleted by a second pool's thread (one of size 0), so that
// deleting never holds up starting.
class OwnPoolSource final : public run::PodSource {
 public:
  OwnPoolSource(const std::shared_ptr<Executor>& executor, const PodSpec& spec, size_t size,
                const std::shared_ptr<Logger>& logger)
      : ready_(executor, spec, size, logger), reaper_(executor, spec, 0, logger) {}
  Result<std::shared_ptr<Pod>> Acquire() override { return ready_.Acquire(); }
  void Release(std::shared_ptr<Pod> pod) override { reaper_.Retire(std::move(pod)); }

 private:
  run::WarmPool ready_;
  run::WarmPool reaper_;
};

// Pods made on demand, deleted by a pool's thread (one of size 0) so that deleting never
// holds up the caller: the pods a ReusingSource lets go of.
class OnDemandSource final : public run::PodSource {
 public:
  OnDemandSource(const std::shared_ptr<Executor>& executor, PodSpec spec,
                 const std::shared_ptr<Logger>& logger)
      : executor_(executor), spec_(std::move(spec)), reaper_(executor, spec_, 0, logger) {}
  Result<std::shared_ptr<Pod>> Acquire() override { return executor_->CreatePod(spec_); }
  void Release(std::shared_ptr<Pod> pod) override { reaper_.Retire(std::move(pod)); }

 private:
  std::shared_ptr<Executor> executor_;
  PodSpec spec_;
  run::WarmPool reaper_;
};

// One pod made on demand per run, deleted after it.
class DirectSource final : public run::PodSource {
 public:
  DirectSource(std::shared_ptr<Executor> executor, PodSpec spec)
      : executor_(std::move(executor)), spec_(std::move(spec)) {}
  Result<std::shared_ptr<Pod>> Acquire() override { return executor_->CreatePod(spec_); }
  void Release(std::shared_ptr<Pod> pod) override { (void)executor_->DeletePod(pod->id()); }

 private:
  std::shared_ptr<Executor> executor_;
  PodSpec spec_;
};

}  // namespace

class Runner::Impl {
 public:
  Impl(std::shared_ptr<Executor> executor, RunnerOptions options)
      : executor_(std::move(executor)), options_(std::move(options)) {
    if (options_.pool_size > 0) {
      pool_ = std::make_unique<run::WarmPool>(
          executor_, run::PodSpecFor(options_.default_limits, "run"), options_.pool_size,
          options_.logger, options_.pool_reuse_runs);
    }
  }

  Result<RunResult> Run(const RunRequest& request) {
    if (request.files.empty()) {
      return Fail(Error::Code::kInvalidArgument, "nothing to run: no files");
    }
    {  // the program's arguments, under the same rules as any command (before any compile)
      ExecSpec args;
      args.argv.reserve(request.args.size() + 1);
      args.argv.emplace_back("program");
      args.argv.insert(args.argv.end(), request.args.begin(), request.args.end());
      CY_CHECK(ValidateExecSpec(args, options_.exec_limits));
    }
    CY_TRY(const auto slots, TakeSlots(request.user_id));
    PrepareRequest prepare;
    prepare.files = request.files;
    prepare.language = request.language;
    prepare.limits = request.limits;
    prepare.image = request.image;
    CY_TRY(auto program, Prepare(prepare));
    if (!program->ready()) return program->compile();
    RunInput input;
    input.stdin_data = request.stdin_data;
    input.args = request.args;
    return program->Run(input);
  }

  Result<std::unique_ptr<PreparedProgram>> Prepare(const PrepareRequest& request) {
    if (request.files.empty()) {
      return Fail(Error::Code::kInvalidArgument, "nothing to run: no files");
    }
    for (const auto& file : request.files) {
      CY_TRY(const auto normal, NormalizePath(file.path));
      if (normal != file.path) {
        return Fail(Error::Code::kInvalidArgument,
                    "runner: file path \"" + file.path + "\" is not normal (\"" + normal + "\")");
      }
    }
    Language language = Language::kPython;
    if (request.language) {
      language = *request.language;
    } else {
      CY_TRY(language, LanguageFromFileName(request.files.front().path));
    }
    std::vector<FileData> files = request.files;
    RunResult compile;
    compile.verdict = Verdict::kOk;
    const LanguageInfo& info = InfoOf(language);
    if (!info.compile_command.empty()) CY_CHECK(Compile(info, request.image, files, compile));
    std::unique_ptr<run::PodSource> pods;
    if (compile.verdict == Verdict::kOk) pods = SourceFor(request);
    return run::MakePrepared(language, request.limits, std::move(files), std::move(compile),
                             std::move(pods));
  }

  bool WaitForPool(std::chrono::milliseconds timeout) {
    return pool_ ? pool_->WaitUntilFull(timeout) : true;
  }

  PoolStats stats() const { return pool_ ? pool_->stats() : PoolStats{}; }
  int in_flight() const { return slots_.InFlight("all"); }

 private:
  // The per-user cap first, so that a user at their cap never holds one of the server's.
  struct RunSlots {
    ConcurrencyLimiter::Slots user;
    ConcurrencyLimiter::Slots server;
  };
  Result<RunSlots> TakeSlots(const std::string& user_id) {
    const ConcurrencyLimiter::Cap mine{"RunnerOptions::max_concurrent_per_user", "user:" + user_id,
                                       user_id.empty() ? 0 : options_.max_concurrent_per_user};
    CY_TRY(auto user_slot, slots_.Acquire(std::span(&mine, 1)));
    const ConcurrencyLimiter::Cap all{"RunnerOptions::max_concurrent", "all",
                                      options_.max_concurrent};
    auto server_slot = slots_.Acquire(std::span(&all, 1));
    if (!server_slot) {
      return Fail(Error(Error::Code::kUnavailable,
                        "too many runs in progress on this server (at most " +
                            std::to_string(options_.max_concurrent) + "); retry later")
                      .WithLimit("RunnerOptions::max_concurrent", 1));
    }
    return RunSlots{std::move(user_slot), std::move(*server_slot)};
  }

  // The warm pool holds pods of the default image with the default limits only.
  bool Pooled(const PrepareRequest& request) const {
    return pool_ && request.image.empty() && request.limits == options_.default_limits;
  }

  std::unique_ptr<run::PodSource> SourceFor(const PrepareRequest& request) {
    if (request.reuse_pods) {
      // No pods started ahead: the first run's pod serves the next ones.
      std::unique_ptr<run::PodSource> fresh;
      if (Pooled(request)) {
        fresh = std::make_unique<SharedPoolSource>(*pool_);
      } else {
        fresh = std::make_unique<OnDemandSource>(
            executor_, run::PodSpecFor(request.limits, "run", request.image), options_.logger);
      }
      PrepareRequest fallback = request;
      fallback.reuse_pods = false;
      return run::MakeReusingSource(
          std::move(fresh), [this, fallback] { return SourceFor(fallback); }, options_.logger);
    }
    if (Pooled(request)) return std::make_unique<SharedPoolSource>(*pool_);
    PodSpec spec = run::PodSpecFor(request.limits, "run", request.image);
    if (request.prefetch > 0) {
      return std::make_unique<OwnPoolSource>(executor_, std::move(spec), request.prefetch,
                                             options_.logger);
    }
    return std::make_unique<DirectSource>(executor_, std::move(spec));
  }

  RunLimits CompileLimitsOf(const LanguageInfo& info) const {
    const CompileLimits& c = options_.compile_override.value_or(info.compile_limits);
    RunLimits limits = options_.compile_limits;
    limits.cpu_time = c.cpu_time;
    limits.wall_time = c.wall_time;
    limits.output_bytes = c.output_bytes;
    return limits;
  }

  // Compiles in a pod of its own with the compile limits, on the program's image (its
  // compiler and headers, which may differ from the host's). Compiled: the binary is appended to
  // `files` and `result` stays kOk; otherwise `result` says why (kCompileError). Errors: the
  // executor failed or the request is bad.
  Result<void> Compile(const LanguageInfo& info, const std::string& image,
                       std::vector<FileData>& files, RunResult& result) {
    const auto sources = SourcesOf(files, info.language);
    if (sources.empty()) {
      return Fail(Error::Code::kInvalidArgument, "no source files for the compiler");
    }
    const RunLimits limits = CompileLimitsOf(info);
    result.compile_command = ExpandCommand(info.compile_command, files.front().path, sources);
    const auto started = std::chrono::steady_clock::now();
    CY_TRY(auto pod, executor_->CreatePod(run::PodSpecFor(limits, "compile", image)));
    auto finish = [&](Result<void> outcome) {
      (void)executor_->DeletePod(pod->id());
      result.compile_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count();
      return outcome;
    };
    if (auto put = pod->PutFiles(files); !put) return finish(std::unexpected(put.error()));
    auto compiled = run::ExecAndCollect(*pod, run::SpecFor(result.compile_command, limits));
    if (!compiled) return finish(std::unexpected(compiled.error()));
    result.compile_output = compiled->err + compiled->out;
    result.compile_status = compiled->status;
    Verdict verdict = Classify(compiled->status, limits);
    // The CPU limit (RLIMIT_CPU) kills the compiler proper (cc1, cc1plus) with SIGXCPU, and
    // its driver then exits non-zero (4, "internal compiler error") as if the sources were
    // wrong. The kernel's sampled user+system time of the tree then reads up to ~7% under
    // the limit (measured: 2814-2992 ms of a 3000 ms limit), so a tenth of slack.
    const int64_t cpu_limit = limits.cpu_time.count();
    if (verdict == Verdict::kRuntimeError &&
        compiled->status.cpu_ms + std::max<int64_t>(kCpuTickSlackMs, cpu_limit / 10) >= cpu_limit) {
      verdict = Verdict::kTimeLimitExceeded;
    }
    if (verdict != Verdict::kOk) {
      result.verdict = Verdict::kCompileError;
      result.status = compiled->status;
      result.message = CompileStopped(verdict, limits);
      return finish({});
    }
    const std::string binary_path(kCompiledBinary);
    auto binary = pod->GetFiles(std::span<const std::string>(&binary_path, 1));
    if (!binary) return finish(std::unexpected(binary.error()));
    FileData exe = std::move(binary->front());
    exe.mode = 0755;
    exe.mtime_ns.reset();
    files.push_back(std::move(exe));
    return finish({});
  }

  std::shared_ptr<Executor> executor_;
  RunnerOptions options_;
  std::unique_ptr<run::WarmPool> pool_;
  ConcurrencyLimiter slots_;
};

Result<std::unique_ptr<Runner>> Runner::Create(std::shared_ptr<Executor> executor,
                                               RunnerOptions options) {
  if (!executor) return Fail(Error::Code::kInvalidArgument, "Runner needs an executor");
  return std::unique_ptr<Runner>(
      new Runner(std::make_unique<Impl>(std::move(executor), std::move(options))));
}

Runner::Runner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Runner::~Runner() = default;

Result<RunResult> Runner::Run(const RunRequest& request) { return impl_->Run(request); }
Result<std::unique_ptr<PreparedProgram>> Runner::Prepare(const PrepareRequest& request) {
  return impl_->Prepare(request);
}
bool Runner::WaitForPool(std::chrono::milliseconds timeout) { return impl_->WaitForPool(timeout); }
PoolStats Runner::pool_stats() const { return impl_->stats(); }
int Runner::runs_in_flight() const { return impl_->in_flight(); }

}  // namespace codeyard
