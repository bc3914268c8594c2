// Whether a Work::kRead request may run inline on the service thread now
// (HttpServerOptions::inline_reads). An inline read holds up every other connection for as
// long as it takes. Most take tens of microseconds of CPU and never sleep. One that used more
// than kSlowRead of CPU (a file near files.max_file_bytes), or slept and took longer than
// kSlowRead in all (every reader connection taken, say by workspace starts that load a whole
// workspace in one read transaction; a cold disk), sends every read of the next kPause to the
// request workers. So such reads hold the service thread at most once per kPause. Sleeping is
// told apart from being preempted by other processes (which says nothing about the read) by
// the thread's voluntary context switches. Two system calls per inline read (about 1 us):
// the sample after a read is taken only when the read took over kSlowRead in all, since one
// that did not can have used no more CPU, nor slept longer, than that. Service thread only.
#pragma once

#include <sys/resource.h>
#include <time.h>

#include <chrono>
#include <cstdint>

namespace codeyard::server {

class InlineReadGuard {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::microseconds kSlowRead{1000};
  static constexpr std::chrono::milliseconds kPause{100};

  // The calling thread's CPU time and sleeps (voluntary context switches) so far, and the time.
  struct Sample {
    std::chrono::microseconds cpu{};
    int64_t sleeps = 0;
    Clock::time_point at;
  };

  [[nodiscard]] static Sample Now() noexcept {
    // The thread's CPU clock, exact; getrusage's CPU times move in scheduler ticks (4 ms).
    timespec cpu{};
    (void)clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
    rusage ru{};
    (void)getrusage(RUSAGE_THREAD, &ru);
    return {std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::seconds(cpu.tv_sec) + std::chrono::nanoseconds(cpu.tv_nsec)),
            ru.ru_nvcsw, Clock::now()};
  }

  [[nodiscard]] bool Allows(Clock::time_point now) const noexcept { return now >= paused_until_; }

  // An inline read ran since `before` and has just ended.
  void Ran(const Sample& before) noexcept {
    if (Clock::now() - before.at <= kSlowRead) return;  // neither heavy nor a long wait
    Ran(before, Now());
  }

  // An inline read ran between the two samples.
  void Ran(const Sample& before, const Sample& after) noexcept {
    const bool heavy = after.cpu - before.cpu > kSlowRead;
    const bool waited = after.sleeps > before.sleeps && after.at - before.at > kSlowRead;
    if (heavy || waited) paused_until_ = after.at + kPause;
  }

 private:
  Clock::time_point paused_until_{};
};

}  // namespace codeyard::server
