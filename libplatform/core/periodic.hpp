// Private to the library: a thread that runs a pass every interval, the login re-check of
// terminals (core/terminals) and of interactive runs (core/run_session), which also wakes it
// sooner for the end of a reconnect grace. The pass reads storage, so it runs here, never on a
// caller's thread.
//
// Threading: Start once, from the owner's constructor body (everything the pass reads built);
// Poke from any thread; Stop from any thread but the pass's own (it joins), idempotent; the
// destructor stops.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

namespace codeyard {

class PeriodicThread {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  PeriodicThread() = default;
  PeriodicThread(const PeriodicThread&) = delete;
  PeriodicThread& operator=(const PeriodicThread&) = delete;
  ~PeriodicThread() { Stop(); }

  // Calls pass(due) at each wake: every `interval` (due true), and earlier at the time `sooner`
  // names, or when poked (due false). `sooner` is asked before each wait, without the lock.
  void Start(std::chrono::milliseconds interval, std::function<void(bool due)> pass,
             std::function<std::optional<TimePoint>()> sooner = {}) {
    thread_ = std::thread([this, interval, pass = std::move(pass), sooner = std::move(sooner)] {
      auto next_due = std::chrono::steady_clock::now() + interval;
      for (;;) {
        auto wake = next_due;
        if (sooner) {
          if (const auto at = sooner(); at && *at < wake) wake = *at;
        }
        {
          std::unique_lock lock(mu_);
          cv_.wait_until(lock, wake, [&] { return stop_ || poked_; });
          if (stop_) return;
          poked_ = false;
        }
        const bool due = std::chrono::steady_clock::now() >= next_due;
        pass(due);
        if (due) next_due = std::chrono::steady_clock::now() + interval;
      }
    });
  }

  // Wakes the thread now (what `sooner` says has changed). A poke before the wait is kept.
  void Poke() {
    {
      std::lock_guard lock(mu_);
      poked_ = true;
    }
    cv_.notify_all();
  }

  void Stop() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool poked_ = false;
  std::thread thread_;
};

}  // namespace codeyard
