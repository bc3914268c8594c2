// RateLimiter over the rate_limits table, ConcurrencyLimiter, and the limits a Config names
// (see codeyard/limits.hpp).
#include <algorithm>
#include <utility>

#include "codeyard/limits.hpp"
#include "core/store/rate_limits.hpp"
#include "core/store/transact.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

int64_t Ms(std::chrono::seconds s) { return s.count() * 1000; }

// Whole seconds until `until`, at least 1: a client told to wait 0 s would retry at once.
int64_t SecondsUntil(int64_t until, int64_t now) {
  return std::max<int64_t>(1, (until - now + 999) / 1000);
}

std::string RowKey(const RateLimit& limit, std::string_view subject) {
  return limit.key + ":" + std::string(subject);
}

}  // namespace

UsageLimits UsageLimitsFrom(const Config& c) {
  using std::chrono::seconds;
  UsageLimits l;
  const seconds login_window(c.login_failure_window_s);
  l.login_failures_per_account.max = c.login_failures_per_account;
  l.login_failures_per_account.window = login_window;
  l.login_failures_per_address.max = c.login_failures_per_address;
  l.login_failures_per_address.window = login_window;
  l.login_backoff = seconds(c.login_backoff_s);
  l.registrations_per_address.max = c.registrations_per_address;
  l.registrations_per_address.window = seconds(c.registration_window_s);
  l.workspace_creates_per_user.max = c.workspace_creates_per_minute;
  l.execs_per_user.max = c.execs_per_minute;
  l.exec_max_concurrent_per_user = static_cast<int>(c.exec_max_concurrent_per_user);
  l.exec_max_concurrent_per_workspace = static_cast<int>(c.exec_max_concurrent_per_workspace);
  return l;
}

Result<void> RateLimiter::Take(const RateLimit& limit, std::string_view subject) const {
  if (limit.max <= 0 || subject.empty()) return {};
  const std::string key = RowKey(limit, subject);
  return store::Transact(storage_, TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
    const int64_t now = clock_.NowMillis();
    CY_TRY(const auto counted,
           store::rate_limits::Count(tx, key, now, now + Ms(limit.window), /*slide=*/false));
    if (counted && counted->count > limit.max) {
      return Fail(Error(Error::Code::kResourceExhausted,
                        "rate limit: at most " + std::to_string(limit.max) + " per " +
                            std::to_string(limit.window.count()) + " s (" + limit.key + ")")
                      .WithLimit(limit.key, SecondsUntil(counted->reset_at, now)));
    }
    return {};
  });
}

namespace {

Error Waiting(const RateLimit& limit, int64_t until, int64_t now) {
  const int64_t wait = SecondsUntil(until, now);
  return Error(Error::Code::kResourceExhausted, "rate limit: too many failed attempts (" +
                                                    limit.key + "); try again in " +
                                                    std::to_string(wait) + " s")
      .WithLimit(limit.key, wait);
}

}  // namespace

Result<void> RateLimiter::Attempt(std::span<const Counter> counters,
                                  std::chrono::seconds backoff) const {
  return store::Transact(storage_, TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
    const int64_t now = clock_.NowMillis();
    for (const Counter& c : counters) {
      if (c.limit->max <= 0 || c.subject.empty()) continue;
      const std::string key = RowKey(*c.limit, c.subject);
      CY_TRY(const auto counted,
             store::rate_limits::Count(tx, key, now, now + Ms(c.limit->window), true));
      if (!counted) {
        // In a wait: refused, and the rollback uncounts the counters before this one.
        CY_TRY(const int64_t until, store::rate_limits::BlockedUntil(tx, key));
        return Fail(Waiting(*c.limit, until, now));
      }
      if (counted->count >= c.limit->max) {
        // The attempt that spends the budget still runs; the next ones wait, twice as long
        // for each attempt past the budget, never longer than the window.
        const int64_t doublings = std::min<int64_t>(counted->count - c.limit->max, 30);
        const int64_t wait = std::min(Ms(backoff) << doublings, Ms(c.limit->window));
        CY_CHECK(store::rate_limits::Block(tx, key, now + wait));
      }
    }
    return {};
  });
}

Result<void> RateLimiter::Succeeded(std::span<const Counter> counters) const {
  return store::Transact(storage_, TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
    for (const Counter& c : counters) {
      if (c.limit->max <= 0 || c.subject.empty()) continue;
      const std::string key = RowKey(*c.limit, c.subject);
      if (c.clear_on_success) {
        CY_CHECK(store::rate_limits::Delete(tx, key));
      } else {
        CY_CHECK(store::rate_limits::Refund(tx, key, c.limit->max));
      }
    }
    return {};
  });
}

Result<int64_t> RateLimiter::DeleteExpired() const {
  return store::Transact(storage_, TxKind::kWrite, [&](Transaction& tx) {
    return store::rate_limits::DeleteExpired(tx, clock_.NowMillis());
  });
}

ConcurrencyLimiter::Slots::Slots(Slots&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)), keys_(std::move(other.keys_)) {}

ConcurrencyLimiter::Slots& ConcurrencyLimiter::Slots::operator=(Slots&& other) noexcept {
  if (this != &other) {
    Release();
    owner_ = std::exchange(other.owner_, nullptr);
    keys_ = std::move(other.keys_);
  }
  return *this;
}

ConcurrencyLimiter::Slots::~Slots() { Release(); }

void ConcurrencyLimiter::Slots::Release() noexcept {
  if (owner_ == nullptr) return;
  std::lock_guard lock(owner_->mu_);
  for (const std::string& key : keys_) {
    auto it = owner_->in_flight_.find(key);
    if (it != owner_->in_flight_.end() && --it->second <= 0) owner_->in_flight_.erase(it);
  }
  owner_ = nullptr;
  keys_.clear();
}

Result<ConcurrencyLimiter::Slots> ConcurrencyLimiter::Acquire(std::span<const Cap> caps) {
  Slots slots;
  std::lock_guard lock(mu_);
  for (const Cap& cap : caps) {
    if (cap.max <= 0) continue;
    const auto it = in_flight_.find(cap.key);
    if (it != in_flight_.end() && it->second >= cap.max) {
      return Fail(Error(Error::Code::kResourceExhausted,
                        "concurrency limit: " + std::to_string(cap.max) + " already running (" +
                            std::string(cap.limit_key) + "); wait for one to finish")
                      .WithLimit(cap.limit_key, 1));
    }
  }
  for (const Cap& cap : caps) {
    if (cap.max <= 0) continue;
    ++in_flight_[cap.key];
    slots.keys_.push_back(cap.key);
  }
  slots.owner_ = this;
  return slots;
}

int ConcurrencyLimiter::InFlight(std::string_view key) const {
  std::lock_guard lock(mu_);
  const auto it = in_flight_.find(key);
  return it == in_flight_.end() ? 0 : it->second;
}

}  // namespace codeyard
