// Pods reused by the Runner, reset between runs (PrepareRequest::reuse_pods, the warm pool's
// pool_reuse_runs), on real local pods: every run still starts clean, fewer pods start, and an
// executor that cannot reset gets fresh pods.
#include <atomic>
#include <catch2/catch.hpp>

#include "codeyard/run.hpp"
#include "executor/pod_fixture.hpp"

using namespace codeyard;
using namespace codeyard::testing;
using namespace std::chrono_literals;

namespace {

// Says whether anything of an earlier run is left (a process, a file in /tmp or the
// workspace), then leaves all three behind for the next run.
const char* const kLeaver =
    "import os, subprocess\n"
    "others = [p for p in os.listdir('/proc') if p.isdigit() and int(p) not in (1, os.getpid())]\n"
    "seen = others or os.path.exists('/tmp/left') or os.path.exists('left')\n"
    "print('seen' if seen else 'clean')\n"
    "open('/tmp/left', 'w').write('x')\n"
    "open('left', 'w').write('x')\n"
    "subprocess.Popen(['sleep', '1000'], start_new_session=True)\n";

struct Counts {
  std::atomic<int> created = 0;
  std::atomic<int> resets = 0;
};

class CountingPod final : public PodWrapper {
 public:
  CountingPod(std::shared_ptr<Pod> pod, std::shared_ptr<Counts> counts, bool can_reset)
      : PodWrapper(std::move(pod)), counts_(std::move(counts)), can_reset_(can_reset) {}
  Result<void> Reset() override {
    if (!can_reset_) return Pod::Reset();  // the interface's default: kUnimplemented
    ++counts_->resets;
    return PodWrapper::Reset();
  }

 private:
  std::shared_ptr<Counts> counts_;
  bool can_reset_;
};

class CountingExecutor final : public ExecutorWrapper {
 public:
  CountingExecutor(std::shared_ptr<Executor> target, bool can_reset)
      : ExecutorWrapper(std::move(target)), can_reset_(can_reset) {}
  Result<std::shared_ptr<Pod>> CreatePod(const PodSpec& spec) override {
    auto pod = ExecutorWrapper::CreatePod(spec);
    if (!pod) return pod;
    ++counts->created;
    return std::shared_ptr<Pod>(std::make_shared<CountingPod>(*pod, counts, can_reset_));
  }
  std::shared_ptr<Counts> counts = std::make_shared<Counts>();

 private:
  bool can_reset_;
};

std::vector<FileData> Leaver() {
  return {{"main.py", FileKind::kFile, kLeaver, 0644, std::nullopt}};
}

}  // namespace

TEST_CASE("reuse: a prepared program's runs share one pod and each starts clean",
          "[executor][reuse]") {
  PodFixture f;
  auto executor = std::make_shared<CountingExecutor>(f.shared(), true);
  auto runner = Runner::Create(executor).value();
  PrepareRequest request;
  request.files = Leaver();
  request.reuse_pods = true;
  auto program = runner->Prepare(request).value();
  for (int i = 0; i < 4; ++i) {
    const RunResult run = program->Run(RunInput{}).value();
    CHECK(run.verdict == Verdict::kOk);
    CHECK(run.stdout_data == "clean\n");
  }
  CHECK(executor->counts->created == 1);
  CHECK(executor->counts->resets == 4);
}

TEST_CASE("reuse: an executor that cannot reset gets a fresh pod per run", "[executor][reuse]") {
  PodFixture f;
  auto executor = std::make_shared<CountingExecutor>(f.shared(), false);
  auto runner = Runner::Create(executor).value();
  PrepareRequest request;
  request.files = Leaver();
  request.reuse_pods = true;
  auto program = runner->Prepare(request).value();
  for (int i = 0; i < 3; ++i) {
    const RunResult run = program->Run(RunInput{}).value();
    CHECK(run.verdict == Verdict::kOk);
    CHECK(run.stdout_data == "clean\n");
  }
  CHECK(executor->counts->created == 3);
  CHECK(executor->counts->resets == 0);
}

TEST_CASE("reuse: the warm pool resets a used pod for the next one-shot run", "[executor][reuse]") {
  PodFixture f;
  auto executor = std::make_shared<CountingExecutor>(f.shared(), true);
  RunnerOptions options;
  options.pool_size = 1;
  options.pool_reuse_runs = 3;
  auto runner = Runner::Create(executor, options).value();
  REQUIRE(runner->WaitForPool(30s));
  RunRequest request;
  request.files = Leaver();
  for (int i = 0; i < 5; ++i) {
    const RunResult run = runner->Run(request).value();
    CHECK(run.verdict == Verdict::kOk);
    CHECK(run.stdout_data == "clean\n");
  }
  // The first run's pod comes back to a pool short of a pod, so the pool resets it (how many
  // later ones are reset rather than replaced depends on timing, and is not the point).
  runner.reset();
  CHECK(executor->counts->resets >= 1);
}
