// Time as the library sees it. Every service reads the time through a `Clock` so that tests
// can move time forward (token expiry, idle pods) without sleeping. `SystemClock` is the
// default; `ManualClock` only moves when told to. Both are safe to call from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

namespace codeyard {

class Clock {
 public:
  virtual ~Clock() = default;

  // Wall-clock time, for timestamps that are stored or shown.
  [[nodiscard]] virtual std::chrono::system_clock::time_point Now() const = 0;

  // Monotonic time, for measuring durations and deadlines.
  [[nodiscard]] virtual std::chrono::steady_clock::time_point Steady() const = 0;

  // Wall-clock milliseconds since the Unix epoch, the form timestamps are stored in.
  [[nodiscard]] int64_t NowMillis() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Now().time_since_epoch()).count();
  }
};

class SystemClock final : public Clock {
 public:
  [[nodiscard]] std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::now();
  }
  [[nodiscard]] std::chrono::steady_clock::time_point Steady() const override {
    return std::chrono::steady_clock::now();
  }
};

// A clock for tests: starts at the given wall time and moves only through Advance().
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::chrono::system_clock::time_point start =
                           std::chrono::system_clock::time_point(std::chrono::hours(24 * 20000)))
      : start_(start) {}

  [[nodiscard]] std::chrono::system_clock::time_point Now() const override {
    return start_ + std::chrono::nanoseconds(offset_ns_.load());
  }
  [[nodiscard]] std::chrono::steady_clock::time_point Steady() const override {
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(offset_ns_.load()));
  }
  void Advance(std::chrono::nanoseconds by) { offset_ns_ += by.count(); }

 private:
  std::chrono::system_clock::time_point start_;
  std::atomic<int64_t> offset_ns_{0};
};

// The process-wide system clock, for callers that were given none.
[[nodiscard]] std::shared_ptr<Clock> DefaultClock();

}  // namespace codeyard
