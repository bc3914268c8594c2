// A program prepared once and run many times, each run in a fresh pod (codeyard/run.hpp).
#include "core/run/prepared.hpp"

#include <utility>

#include "core/try.hpp"

namespace codeyard::run {
namespace {

constexpr uint64_t kMaxCollectedBytes = uint64_t{64} << 10;

// Bad paths and files that do not fit are the submission's fault; the rest is ours.
bool CallersFault(const Error& error) {
  const auto code = error.code();
  return code == Error::Code::kInvalidArgument || code == Error::Code::kResourceExhausted ||
         code == Error::Code::kPermissionDenied;
}

Result<std::vector<FileData>> CollectFrom(Pod& pod, const std::string& dir) {
  if (dir.empty()) return std::vector<FileData>{};
  ListFilesOptions options;
  options.under = dir;
  options.with_sha256 = false;
  CY_TRY(const auto entries, pod.ListFiles(options));
  std::vector<std::string> paths;
  const std::string prefix = dir + "/";
  for (const auto& entry : entries) {
    if (entry.kind != FileKind::kFile || entry.size > kMaxCollectedBytes) continue;
    if (!entry.path.starts_with(prefix)) continue;
    if (entry.path.find('/', prefix.size()) != std::string::npos) continue;
    paths.push_back(entry.path);
  }
  if (paths.empty()) return std::vector<FileData>{};
  return pod.GetFiles(paths);
}

class LiveRunImpl final : public LiveRun {
 public:
  LiveRunImpl(PodSource& pods, std::shared_ptr<Pod> pod, std::unique_ptr<Process> process,
              std::string collect_dir)
      : pods_(pods),
        pod_(std::move(pod)),
        process_(std::move(process)),
        collect_dir_(std::move(collect_dir)) {}
  ~LiveRunImpl() override {
    process_.reset();  // kills it if it still runs
    pods_.Release(std::move(pod_));
  }

  Process& process() override { return *process_; }
  Result<std::vector<FileData>> Collect() override { return CollectFrom(*pod_, collect_dir_); }

 private:
  PodSource& pods_;
  std::shared_ptr<Pod> pod_;
  std::unique_ptr<Process> process_;
  std::string collect_dir_;
};

class PreparedImpl final : public PreparedProgram {
 public:
  PreparedImpl(Language language, RunLimits limits, std::vector<FileData> files, RunResult compile,
               std::unique_ptr<PodSource> pods)
      : language_(language),
        limits_(limits),
        files_(std::move(files)),
        compile_(std::move(compile)),
        pods_(std::move(pods)) {
    const LanguageInfo& info = InfoOf(language_);
    argv_ = ExpandCommand(info.run_command, files_.front().path, {});
  }

  const RunResult& compile() const override { return compile_; }
  Language language() const override { return language_; }
  const RunLimits& limits() const override { return limits_; }

  Result<RunResult> Run(const RunInput& input) override {
    CY_CHECK(CheckReady());
    RunResult result;
    result.compile_output = compile_.compile_output;
    result.compile_ms = compile_.compile_ms;
    result.compile_status = compile_.compile_status;
    result.compile_command = compile_.compile_command;
    auto pod = pods_->Acquire();
    if (!pod) return std::unexpected(pod.error());  // an unusable executor, as Runner::Run says
    auto finish = [&](Result<RunResult> outcome) {
      pods_->Release(std::move(*pod));
      return outcome;
    };
    if (auto put = Place(**pod, input); !put) {
      if (CallersFault(put.error())) return finish(std::unexpected(put.error()));
      result.verdict = Verdict::kInternalError;
      result.message = put.error().ToString();
      return finish(std::move(result));
    }
    ExecSpec spec = SpecFor(ArgvWith(input), limits_);
    spec.stdin_data = input.stdin_data;
    auto run = ExecAndCollect(**pod, spec);
    if (!run) {
      result.verdict = Verdict::kInternalError;
      result.message = run.error().ToString();
      return finish(std::move(result));
    }
    result.status = run->status;
    result.stdout_data = std::move(run->out);
    result.stderr_data = std::move(run->err);
    result.verdict = Classify(result.status, limits_);
    if (auto collected = CollectFrom(**pod, input.collect_dir); collected) {
      result.collected = std::move(*collected);
    } else {
      result.message = "cannot read " + input.collect_dir + ": " + collected.error().ToString();
    }
    return finish(std::move(result));
  }

  Result<std::unique_ptr<LiveRun>> Start(const RunInput& input) override {
    CY_CHECK(CheckReady());
    CY_TRY(auto pod, pods_->Acquire());
    if (auto put = Place(*pod, input); !put) {
      pods_->Release(std::move(pod));
      return std::unexpected(put.error());
    }
    ExecSpec spec = SpecFor(ArgvWith(input), limits_);
    spec.stdin_data = input.stdin_data;
    spec.stdin_open = input.stdin_open;
    auto process = pod->Exec(spec);
    if (!process) {
      pods_->Release(std::move(pod));
      return std::unexpected(process.error());
    }
    return std::unique_ptr<LiveRun>(
        new LiveRunImpl(*pods_, std::move(pod), std::move(*process), input.collect_dir));
  }

 private:
  Result<void> CheckReady() const {
    if (ready() && pods_) return {};
    return Fail(Error::Code::kFailedPrecondition, "runner: the program is not ready to run (" +
                                                      std::string(VerdictName(compile_.verdict)) +
                                                      ")");
  }

  Result<void> Place(Pod& pod, const RunInput& input) {
    CY_CHECK(pod.PutFiles(files_));
    if (!input.files.empty()) CY_CHECK(pod.PutFiles(input.files));
    return {};
  }

  std::vector<std::string> ArgvWith(const RunInput& input) const {
    std::vector<std::string> argv = argv_;
    argv.insert(argv.end(), input.args.begin(), input.args.end());
    return argv;
  }

  Language language_;
  RunLimits limits_;
  std::vector<FileData> files_;
  RunResult compile_;
  std::unique_ptr<PodSource> pods_;
  std::vector<std::string> argv_;
};

}  // namespace

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

std::unique_ptr<PreparedProgram> MakePrepared(Language language, RunLimits limits,
                                              std::vector<FileData> files, RunResult compile,
                                              std::unique_ptr<PodSource> pods) {
  return std::make_unique<PreparedImpl>(language, limits, std::move(files), std::move(compile),
                                        std::move(pods));
}

}  // namespace codeyard::run
