// Runner: one-shot runs over any Executor (see codeyard/run.hpp).
#include <chrono>
#include <optional>

#include "codeyard/exec_limits.hpp"
#include "codeyard/run.hpp"
#include "core/run/warm_pool.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

constexpr const char* kBinary = ".codeyard-main";

struct Collected {
  ExitStatus status;
  std::string out;
  std::string err;
};

Result<Collected> ExecAndCollect(Pod& pod, const ExecSpec& spec) {
  CY_TRY(auto process, pod.Exec(spec));
  Collected c;
  while (true) {
    CY_TRY(auto chunk, process->ReadOutput(std::nullopt));
    if (!chunk) break;
    (chunk->stream == OutputStream::kStdout ? c.out : c.err) += chunk->data;
  }
  CY_TRY(c.status, process->Wait());
  return c;
}

ExecSpec SpecFor(std::vector<std::string> argv, const RunLimits& limits) {
  ExecSpec spec;
  spec.argv = std::move(argv);
  ApplyRunLimits(limits, spec);
  return spec;
}

std::vector<std::string> SourcesOf(const RunRequest& request, Language wanted) {
  std::vector<std::string> out;
  for (const auto& f : request.files) {
    if (f.kind != FileKind::kFile) continue;
    auto language = LanguageFromFileName(f.path);
    if (language && *language == wanted) out.push_back(f.path);
  }
  return out;
}

}  // namespace

class Runner::Impl {
 public:
  Impl(std::shared_ptr<Executor> executor, RunnerOptions options)
      : executor_(std::move(executor)), options_(std::move(options)) {
    if (options_.pool_size > 0) {
      pool_ = std::make_unique<run::WarmPool>(executor_,
                                              run::PodSpecFor(options_.default_limits, "run"),
                                              options_.pool_size, options_.logger);
    }
  }

  Result<RunResult> Run(RunRequest request) {
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
    Language language = Language::kPython;
    if (request.language) {
      language = *request.language;
    } else {
      CY_TRY(language, LanguageFromFileName(request.files.front().path));
    }
    RunResult result;
    std::vector<std::string> argv;
    const std::string& main = request.files.front().path;
    switch (language) {
      case Language::kPython:
        argv = {"python3", main};
        break;
      case Language::kNode:
        argv = {"node", main};
        break;
      case Language::kBash:
        argv = {"bash", main};
        break;
      case Language::kC:
      case Language::kCpp: {
        CY_TRY(const bool compiled, Compile(request, language, result));
        if (!compiled) return result;
        argv = {std::string("./") + kBinary};
        break;
      }
    }
    argv.insert(argv.end(), request.args.begin(), request.args.end());

    CY_TRY(auto pod, AcquirePod(request.limits));
    auto put = pod->PutFiles(request.files);
    if (put) {
      ExecSpec spec = SpecFor(argv, request.limits);
      spec.stdin_data = request.stdin_data;
      auto run = ExecAndCollect(*pod, spec);
      if (run) {
        result.status = run->status;
        result.stdout_data = std::move(run->out);
        result.stderr_data = std::move(run->err);
        result.verdict = Classify(result.status, request.limits);
      } else {
        result.verdict = Verdict::kInternalError;
        result.message = run.error().ToString();
      }
    }
    ReleasePod(std::move(pod));
    if (!put) {
      // Bad paths and files that do not fit are the submission's fault; the rest is ours.
      const auto code = put.error().code();
      if (code == Error::Code::kInvalidArgument || code == Error::Code::kResourceExhausted ||
          code == Error::Code::kPermissionDenied) {
        return std::unexpected(put.error());
      }
      result.verdict = Verdict::kInternalError;
      result.message = put.error().ToString();
    }
    return result;
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
    const ConcurrencyLimiter::Cap mine{"run.max_concurrent_per_user", "user:" + user_id,
                                       user_id.empty() ? 0 : options_.max_concurrent_per_user};
    CY_TRY(auto user_slot, slots_.Acquire(std::span(&mine, 1)));
    const ConcurrencyLimiter::Cap all{"run.max_concurrent", "all", options_.max_concurrent};
    auto server_slot = slots_.Acquire(std::span(&all, 1));
    if (!server_slot) {
      return Fail(Error(Error::Code::kUnavailable,
                        "too many runs in progress on this server (at most " +
                            std::to_string(options_.max_concurrent) + "); retry later")
                      .WithLimit("run.max_concurrent", 1));
    }
    return RunSlots{std::move(user_slot), std::move(*server_slot)};
  }

  // Compiles C/C++ in a pod of its own with the compile limits; on success appends the
  // binary to request.files.
  Result<bool> Compile(RunRequest& request, Language language, RunResult& result) {
    const bool cpp = language == Language::kCpp;
    std::vector<std::string> argv = {
        cpp ? "g++" : "gcc", "-O2", "-pipe", cpp ? "-std=gnu++20" : "-std=gnu17", "-o", kBinary};
    const auto sources = SourcesOf(request, language);
    if (sources.empty()) {
      return Fail(Error::Code::kInvalidArgument, "no source files for the compiler");
    }
    argv.insert(argv.end(), sources.begin(), sources.end());
    argv.emplace_back("-lm");
    const auto started = std::chrono::steady_clock::now();
    CY_TRY(auto pod, executor_->CreatePod(run::PodSpecFor(options_.compile_limits, "compile")));
    auto finish = [&](Result<bool> outcome) {
      (void)executor_->DeletePod(pod->id());
      result.compile_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count();
      return outcome;
    };
    if (auto put = pod->PutFiles(request.files); !put) return finish(std::unexpected(put.error()));
    auto compiled = ExecAndCollect(*pod, SpecFor(argv, options_.compile_limits));
    if (!compiled) return finish(std::unexpected(compiled.error()));
    result.compile_output = compiled->err + compiled->out;
    const Verdict verdict = Classify(compiled->status, options_.compile_limits);
    if (verdict != Verdict::kOk) {
      result.verdict = Verdict::kCompileError;
      result.status = compiled->status;
      result.message = verdict == Verdict::kRuntimeError
                           ? "the compiler reported errors"
                           : "the compiler stopped: " + std::string(VerdictName(verdict));
      return finish(false);
    }
    const std::string binary_path = kBinary;
    auto binary = pod->GetFiles(std::span<const std::string>(&binary_path, 1));
    if (!binary) return finish(std::unexpected(binary.error()));
    FileData exe = std::move(binary->front());
    exe.mode = 0755;
    exe.mtime_ns.reset();
    request.files.push_back(std::move(exe));
    return finish(true);
  }

  Result<std::shared_ptr<Pod>> AcquirePod(const RunLimits& limits) {
    if (pool_ && limits == options_.default_limits) return pool_->Acquire();
    return executor_->CreatePod(run::PodSpecFor(limits, "run"));
  }

  void ReleasePod(std::shared_ptr<Pod> pod) {
    if (pool_) {
      pool_->Retire(std::move(pod));
    } else {
      (void)executor_->DeletePod(pod->id());
    }
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
bool Runner::WaitForPool(std::chrono::milliseconds timeout) { return impl_->WaitForPool(timeout); }
PoolStats Runner::pool_stats() const { return impl_->stats(); }
int Runner::runs_in_flight() const { return impl_->in_flight(); }

}  // namespace codeyard
