// Whether a Work::kRead request may run inline on the service thread now
// (HttpServerOptions::inline_reads). An inline read holds up every other connection for as
// long as it takes. Most take tens of microseconds of CPU; one that takes more than kSlowRead
// (a file near files.max_file_bytes) sends every read of the next kPause to the request
// workers. So however many large reads clients ask for, they hold the service thread for at
// most one such read per kPause. CPU time, not elapsed time, because the service thread being
// preempted by other processes says nothing about the read. Service thread only.
#pragma once

#include <time.h>

#include <chrono>

namespace codeyard::server {

class InlineReadGuard {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::microseconds kSlowRead{1000};
  static constexpr std::chrono::milliseconds kPause{100};

  [[nodiscard]] bool Allows(Clock::time_point now) const noexcept { return now >= paused_until_; }

  // An inline read that used `cpu` of the service thread ended at `now`.
  void Ran(std::chrono::nanoseconds cpu, Clock::time_point now) noexcept {
    if (cpu > kSlowRead) paused_until_ = now + kPause;
  }

  // CPU time the calling thread has used so far.
  [[nodiscard]] static std::chrono::nanoseconds ThreadCpu() noexcept {
    timespec ts{};
    (void)clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
  }

 private:
  Clock::time_point paused_until_{};
};

}  // namespace codeyard::server
