// The warm pool under threads: one-shot runs from several threads at once take ready pods,
// reset used ones and refill while others run, and a Runner destroyed while its pool refills
// stops cleanly. Real pods; these cases are also built into tsan_tests (tests/sanitizers), where
// ThreadSanitizer watches the pool's refill thread, its locks and the executor beside them.
#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "codeyard/run.hpp"
#include "executor/pod_fixture.hpp"

using namespace codeyard;
using namespace codeyard::testing;
using namespace std::chrono_literals;

namespace {

constexpr int kThreads = 4;
constexpr int kRunsEach = 3;

RunRequest Print(const std::string& token) {
  RunRequest request;
  // Each run also looks for what an earlier run on a reused pod could have left behind.
  request.files.push_back({"main.py", FileKind::kFile,
                           "import os\n"
                           "print('" +
                               token +
                               "', os.path.exists('/workspace/left.txt'))\n"
                               "open('/workspace/left.txt', 'w').write('x')\n",
                           0644, std::nullopt});
  return request;
}

// kThreads threads, each making kRunsEach runs; returns what each run printed, by thread.
std::vector<std::vector<std::string>> RunFromThreads(Runner& runner) {
  std::vector<std::vector<std::string>> printed(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&runner, &printed, t] {
      for (int i = 0; i < kRunsEach; ++i) {
        auto result = runner.Run(Print("t" + std::to_string(t) + "r" + std::to_string(i)));
        printed[static_cast<size_t>(t)].push_back(result ? result->stdout_data
                                                         : "error: " + result.error().ToString());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  return printed;
}

}  // namespace

TEST_CASE("warm pool threads: concurrent runs each get a clean pod and the pool refills",
          "[runner][warm_pool]") {
  PodFixture f;
  RunnerOptions options;
  options.pool_size = 2;
  options.pool_reuse_runs = 2;  // pods are reset between runs, which the threads race
  options.max_concurrent = kThreads;
  auto runner = Runner::Create(f.shared(), options).value();
  REQUIRE(runner->WaitForPool(60s));

  const auto printed = RunFromThreads(*runner);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kRunsEach; ++i) {
      INFO("thread " << t << " run " << i);
      CHECK(printed[static_cast<size_t>(t)][static_cast<size_t>(i)] ==
            "t" + std::to_string(t) + "r" + std::to_string(i) + " False\n");
    }
  }
  const PoolStats stats = runner->pool_stats();
  CHECK(stats.hits + stats.misses == uint64_t{kThreads * kRunsEach});
  CHECK(stats.hits >= 1);
  CHECK(runner->runs_in_flight() == 0);
  CHECK(runner->WaitForPool(60s));
  CHECK(runner->pool_stats().ready == 2);
}

TEST_CASE("warm pool threads: a runner destroyed while its pool refills leaves no pod",
          "[runner][warm_pool]") {
  PodFixture f;
  for (int round = 0; round < 3; ++round) {
    RunnerOptions options;
    options.pool_size = 3;
    auto runner = Runner::Create(f.shared(), options).value();
    if (round > 0) {
      // A run takes a ready pod, so the refill thread is making one when the runner goes.
      REQUIRE(runner->WaitForPool(60s));
      auto result = runner->Run(Print("last"));
      REQUIRE(result);
      CHECK(result->stdout_data == "last False\n");
    }
    runner.reset();  // round 0: at once, while the first pods are still being made
    INFO("round " << round);
    CHECK(f.executor().ListPods({}).value().empty());
  }
}
