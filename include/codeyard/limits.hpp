// Rate limits and concurrency caps that keep one client from taking a server for itself:
// login attempts (per account and per client address, with an increasing wait once the budget
// is spent), registrations per address, workspace creations and execs per user, concurrent
// execs per user and per workspace. Rate counters live in storage (the `rate_limits` table),
// so every server replica sharing a database counts the same events; each check is one short
// write transaction on one row, timed by the platform's Clock (tests use ManualClock).
// Concurrency caps count calls in progress in this process only (a call in flight is not
// state worth a storage round trip; with several replicas each enforces its own cap).
// A refusal is kResourceExhausted marked with Error::WithLimit(<config key>, <seconds to
// wait>), which the server answers as 429 with Retry-After. RateLimiter and
// ConcurrencyLimiter are safe to use from many threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/backend/storage.hpp"
#include "codeyard/clock.hpp"
#include "codeyard/config.hpp"
#include "codeyard/error.hpp"

namespace codeyard {

// At most `max` events per `window`; max = 0 turns the limit off. `key` is the configuration
// key that sets `max`, named in refusals and metrics.
struct RateLimit {
  std::string key;
  int64_t max = 0;
  std::chrono::seconds window{60};
};

// Every limit with its default; UsageLimitsFrom reads them from a Config (docs/configuration.md).
struct UsageLimits {
  // Failed logins. Once `max` failures are counted within the window (each failure restarts
  // it), every further attempt waits login_backoff, doubled for each failure past the budget,
  // at most the window; a successful login clears the account's count.
  RateLimit login_failures_per_account{"auth.login_failures_per_account", 5,
                                       std::chrono::minutes(15)};
  RateLimit login_failures_per_address{"auth.login_failures_per_address", 100,
                                       std::chrono::minutes(15)};
  std::chrono::seconds login_backoff{30};
  RateLimit registrations_per_address{"auth.registrations_per_address", 30, std::chrono::hours(1)};
  RateLimit workspace_creates_per_user{"workspace.creates_per_minute", 60, std::chrono::minutes(1)};
  RateLimit execs_per_user{"exec.per_minute", 120, std::chrono::minutes(1)};
  // Execs running at once (per process); 0 = no cap.
  int exec_max_concurrent_per_user = 4;
  int exec_max_concurrent_per_workspace = 2;
};

[[nodiscard]] UsageLimits UsageLimitsFrom(const Config& config);

// Counters in storage. A subject is what is counted ("ada", "203.0.113.7", a user id); the
// row's key is "<limit key>:<subject>".
class RateLimiter {
 public:
  RateLimiter(Storage& storage, const Clock& clock) : storage_(storage), clock_(clock) {}

  // Counts one event and refuses it when `limit.max` events were already counted in the
  // current window (refused events are counted too, so hammering does not open a gap). The
  // wait is the rest of the window. One write transaction; storage errors pass through.
  [[nodiscard]] Result<void> Take(const RateLimit& limit, std::string_view subject) const;

  // Attempts with backoff (logins). Attempt counts one attempt under every counter, in one
  // transaction, or refuses at once (counting nothing) while any counter is in a wait. Each
  // attempt restarts its counter's window; the attempt that reaches `max` still runs, and the
  // following ones wait `backoff`, doubled for each attempt past the budget, at most the
  // window. Counting before the attempt runs means parallel guesses are counted too.
  // Succeeded, after an attempt that worked, deletes the counters marked clear_on_success
  // (the account: the password is known) and takes the attempt back from the others (the
  // client address, which other accounts share).
  struct Counter {
    const RateLimit* limit = nullptr;
    std::string subject;
    bool clear_on_success = false;
  };
  [[nodiscard]] Result<void> Attempt(std::span<const Counter> counters,
                                     std::chrono::seconds backoff) const;
  [[nodiscard]] Result<void> Succeeded(std::span<const Counter> counters) const;

  // Deletes rows whose window and wait are over; returns how many. For a periodic sweep.
  [[nodiscard]] Result<int64_t> DeleteExpired() const;

 private:
  Storage& storage_;
  const Clock& clock_;
};

// Caps on calls in progress, per key, in this process.
class ConcurrencyLimiter {
 public:
  struct Cap {
    std::string_view limit_key;  // the configuration key, for the refusal
    std::string key;             // what is counted ("user:<id>", "workspace:<id>")
    int max = 0;                 // 0 = no cap
  };

  // Releases its slots when destroyed.
  class Slots {
   public:
    Slots() = default;
    Slots(Slots&& other) noexcept;
    Slots& operator=(Slots&& other) noexcept;
    Slots(const Slots&) = delete;
    Slots& operator=(const Slots&) = delete;
    ~Slots();

   private:
    friend class ConcurrencyLimiter;
    void Release() noexcept;
    ConcurrencyLimiter* owner_ = nullptr;
    std::vector<std::string> keys_;
  };

  ConcurrencyLimiter() = default;
  ConcurrencyLimiter(const ConcurrencyLimiter&) = delete;
  ConcurrencyLimiter& operator=(const ConcurrencyLimiter&) = delete;

  // Takes one slot under every cap, or none: kResourceExhausted WithLimit(cap.limit_key, 1)
  // naming the first cap that is full. Never waits.
  [[nodiscard]] Result<Slots> Acquire(std::span<const Cap> caps);

  // Calls in progress under `key` (for tests and metrics).
  [[nodiscard]] int InFlight(std::string_view key) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, int, std::less<>> in_flight_;
};

}  // namespace codeyard
