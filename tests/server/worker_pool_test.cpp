// The server's WorkerPool (shells/server/worker_pool.hpp) from many threads at once: every
// accepted task runs exactly once, capacity refuses the rest, Shutdown drains the queue. Its
// real job is to give ThreadSanitizer (the "tsan:" ctest entries, tests/sanitizers/) the
// pool's locking to look at; the checks hold in every build.
#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>
#include <vector>

#include "worker_pool.hpp"

using codeyard::server::WorkerPool;

namespace {

// Tasks block on it until Open(): the pool's capacity is then observable without timing.
class Gate {
 public:
  void Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return open_; });
  }
  void Open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

}  // namespace

TEST_CASE("worker pool: capacity is threads plus queue, and shutdown runs what was queued",
          "[worker_pool]") {
  Gate gate;
  std::atomic<int> ran = 0;
  WorkerPool pool(2, 3, "test-pool");
  for (int i = 0; i < 5; ++i) {
    REQUIRE(pool.TrySubmit([&] {
      gate.Wait();
      ran.fetch_add(1);
    }));
  }
  CHECK(pool.load() == 5);
  CHECK_FALSE(pool.TrySubmit([&] { ran.fetch_add(100); }));
  gate.Open();
  pool.Shutdown();
  CHECK(ran.load() == 5);
  CHECK(pool.load() == 0);
  CHECK_FALSE(pool.TrySubmit([&] { ran.fetch_add(100); }));
  pool.Shutdown();  // idempotent
  CHECK(ran.load() == 5);
}

TEST_CASE("worker pool: tasks submitted from many threads each run exactly once", "[worker_pool]") {
  constexpr int kSubmitters = 4;
  constexpr int kTasksEach = 500;
  std::vector<std::atomic<int>> runs(kSubmitters * kTasksEach);
  std::atomic<std::size_t> refused = 0;
  {
    WorkerPool pool(3, 8, "test-pool");
    std::vector<std::thread> submitters;
    for (int s = 0; s < kSubmitters; ++s) {
      submitters.emplace_back([&, s] {
        for (int i = 0; i < kTasksEach; ++i) {
          const int index = s * kTasksEach + i;
          // A full pool refuses at once; the caller (the HTTP thread) would answer 503, this
          // one tries again.
          while (!pool.TrySubmit([&runs, index] { runs[index].fetch_add(1); })) {
            refused.fetch_add(1);
            std::this_thread::yield();
          }
          (void)pool.load();
        }
      });
    }
    for (auto& t : submitters) t.join();
  }  // the destructor drains and joins
  int wrong = 0;
  for (const auto& count : runs) wrong += count.load() == 1 ? 0 : 1;
  CHECK(wrong == 0);
}
