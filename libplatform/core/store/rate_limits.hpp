// Repository of rate-limit counters (the `rate_limits` table): one row per counted subject,
// keyed "<limit key>:<subject>", holding the count in the current window, when the window
// ends, and until when attempts are refused (the backoff of login failures). Runs inside the
// caller's transaction; every call touches one row through its primary key.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "codeyard/backend/storage.hpp"

namespace codeyard::store::rate_limits {

struct Counted {
  int64_t count = 0;
  int64_t reset_at = 0;  // ms; the window ends here
};

// Counts one event: a window that ended at or before `now` starts again at 1 and ends at
// `window_end`; otherwise the count goes up and, when `slide` is set, the window is moved to
// end at `window_end`. Returns nullopt, counting nothing, when the row is blocked past `now`.
[[nodiscard]] Result<std::optional<Counted>> Count(Transaction& tx, std::string_view key,
                                                   int64_t now, int64_t window_end, bool slide);

// Until when the row refuses (0 when there is no row or no wait).
[[nodiscard]] Result<int64_t> BlockedUntil(Transaction& tx, std::string_view key);
[[nodiscard]] Result<void> Block(Transaction& tx, std::string_view key, int64_t until);

// Takes one event back; lifts the wait when the count falls below `max`.
[[nodiscard]] Result<void> Refund(Transaction& tx, std::string_view key, int64_t max);
[[nodiscard]] Result<void> Delete(Transaction& tx, std::string_view key);

// Deletes rows whose window and wait ended before `now`; returns how many.
[[nodiscard]] Result<int64_t> DeleteExpired(Transaction& tx, int64_t now);

}  // namespace codeyard::store::rate_limits
