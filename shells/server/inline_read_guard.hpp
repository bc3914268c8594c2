// Whether a Work::kRead request may run inline on the service thread now
// (HttpServerOptions::inline_reads). An inline read holds up every other connection for as
// long as it takes. Most take tens of microseconds of CPU and never sleep. One that used more
// than kSlowRead of CPU (a file near files.max_file_bytes), or slept and took longer than
// kSlowRead in all (every reader connection taken, say by workspace starts that load a whole
// workspace in one read transaction; a cold disk), sends every read of the next kPause to the
// request workers. So such reads hold the service thread at most once per kPause. Sleeping is
// told apart from being preempted by other processes (which says nothing about the read) by
// the thread's voluntary context switches. Sampling the thread costs two system calls (about
// 1 us), so it is done once per service loop turn, before the turn's first inline read, and
// again after a read only when that read took over kSlowRead in all (one that did not can have
// used no more CPU, nor slept longer, than that). The CPU and sleeps since the turn's sample
// bound the read's own from above: a heavy or waiting read is never missed, and a light one
// is sent on its way only if the reads before it in the same turn were heavy themselves.
// Service thread only.
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

  // Once per service loop turn, when lws_service returns: the next read samples anew.
  void NewTurn() noexcept { sampled_ = false; }

  // Before an inline read: when it starts. The turn's first read samples the thread.
  [[nodiscard]] Clock::time_point Begin() noexcept {
    if (sampled_) return Clock::now();
    turn_ = Now();
    sampled_ = true;
    return turn_.at;
  }

  // The inline read that Begin() returned `started` for has just ended.
  void Ran(Clock::time_point started) noexcept {
    if (Clock::now() - started <= kSlowRead) return;  // neither heavy nor a long wait
    const Sample after = Now();
    Ran(Sample{turn_.cpu, turn_.sleeps, started}, after);
    turn_ = after;
  }

  // An inline read ran between the two samples.
  void Ran(const Sample& before, const Sample& after) noexcept {
    const bool heavy = after.cpu - before.cpu > kSlowRead;
    const bool waited = after.sleeps > before.sleeps && after.at - before.at > kSlowRead;
    if (heavy || waited) paused_until_ = after.at + kPause;
  }

 private:
  Clock::time_point paused_until_{};
  Sample turn_;           // the thread at the turn's first read (or after its last slow one)
  bool sampled_ = false;  // turn_ is this turn's
};

}  // namespace codeyard::server
