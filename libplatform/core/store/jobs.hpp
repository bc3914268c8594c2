// Repository of the job queue (the `jobs` table, codeyard/jobs.hpp). Runs inside the caller's
// transaction (call from store::Transact: a claim may be retried). Claims lock the row they
// return and skip rows another transaction holds (`{skip_locked}`: FOR UPDATE SKIP LOCKED on
// PostgreSQL; SQLite's single writer makes the select-then-update a compare-and-swap anyway),
// so concurrent workers on any number of replicas take distinct jobs. Every write on behalf of
// a claim names (id, attempt, worker): once another claim bumped the attempt, it changes
// nothing and returns false (the fencing of codeyard/jobs.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codeyard/backend/storage.hpp"
#include "codeyard/jobs.hpp"

namespace codeyard::store::jobs {

[[nodiscard]] Result<void> Insert(Transaction& tx, const Job& job);

// With payload and result.
[[nodiscard]] Result<std::optional<Job>> Get(Transaction& tx, std::string_view id);

[[nodiscard]] Result<int64_t> CountQueued(Transaction& tx);

// Whether any job is queued or has a lease that ended by `now` (a read, before a claim's write).
[[nodiscard]] Result<bool> AnyClaimable(Transaction& tx, int64_t now);

// The running job whose lease ended longest ago (by `now`), locked; none when there is none.
[[nodiscard]] Result<std::optional<Job>> LockExpired(Transaction& tx, int64_t now);
// The oldest queued job, locked.
[[nodiscard]] Result<std::optional<Job>> LockOldestQueued(Transaction& tx);

// Claims `job` (as LockExpired or LockOldestQueued returned it) for `worker`: state running,
// attempt + 1, a lease to `lease_until`; started_at set by the first claim. False when the row
// moved since it was read (another claim won).
[[nodiscard]] Result<bool> Take(Transaction& tx, const Job& job, std::string_view worker,
                                int64_t now, int64_t lease_until);

// Extends the lease of (id, attempt, worker); false when that claim no longer holds it.
[[nodiscard]] Result<bool> Renew(Transaction& tx, std::string_view id, int attempt,
                                 std::string_view worker, int64_t lease_until);

// Finishes (id, attempt, worker), still running: state done with verdict and result. False
// when that claim no longer holds the job (it was claimed again, or finished).
[[nodiscard]] Result<bool> Finish(Transaction& tx, std::string_view id, int attempt,
                                  std::string_view worker, std::string_view verdict,
                                  std::string_view result, int64_t now);

// One claim for `worker` at `now`: the running job whose lease ended longest ago (a retry), or
// else the oldest queued one, taken with a lease to now + lease_ms. An expired job that had its
// max_attempts already is finished instead, under its last holder's claim, with what
// `give_up(job)` says (verdict internal_error), and returned as `gave_up` (the caller runs the
// kind's completion hook in the same transaction, then claims again).
struct Claimed {
  std::optional<Job> job;      // claimed: attempt, worker and started_at as stored now
  std::optional<Job> gave_up;  // finished instead of claimed
  bool retry = false;          // `job` had an earlier claim whose lease expired
};
[[nodiscard]] Result<Claimed> ClaimNext(Transaction& tx, std::string_view worker, int64_t now,
                                        int64_t lease_ms,
                                        const std::function<JobOutcome(const Job&)>& give_up);

// Callbacks (codeyard/jobs.hpp): up to `limit` done jobs whose callback is pending and due by
// `now`, oldest due first, each held until `hold_until` (so no other process delivers it
// meanwhile; a deliverer that dies leaves it due again then).
[[nodiscard]] Result<std::vector<Job>> TakeDueCallbacks(Transaction& tx, int64_t now, int64_t limit,
                                                        int64_t hold_until);
// After a delivery attempt: state "pending" (due again at next_at), "delivered" or "failed".
[[nodiscard]] Result<void> RecordCallback(Transaction& tx, std::string_view id,
                                          std::string_view state, int attempts, int64_t next_at);

// A page of the owner's jobs, newest first, strictly before (created_at, id) when given;
// without payloads and results.
struct PageKey {
  int64_t created_at = 0;
  std::string id;
};
[[nodiscard]] Result<std::vector<Job>> ListByOwner(Transaction& tx, std::string_view owner_id,
                                                   const std::optional<PageKey>& before,
                                                   int64_t limit);

// The same for one kind, optionally one problem's jobs only (the problem_id column), with
// payloads and results: a page of submissions in one statement.
[[nodiscard]] Result<std::vector<Job>> ListByOwnerKind(Transaction& tx, std::string_view owner_id,
                                                       std::string_view kind,
                                                       const std::optional<std::string>& problem_id,
                                                       const std::optional<PageKey>& before,
                                                       int64_t limit);

struct Counts {
  int64_t queued = 0;
  int64_t running = 0;
  int64_t done_since = 0;
};
// Jobs by state; done_since: jobs finished at or after `since`.
[[nodiscard]] Result<Counts> CountStates(Transaction& tx, int64_t since);

// Queue waits (first claim minus creation, ms) of jobs first claimed at or after `since`, at
// most `limit` of the latest.
[[nodiscard]] Result<std::vector<int64_t>> RecentWaits(Transaction& tx, int64_t since,
                                                       int64_t limit);

// admin20 (codeyard/admin.hpp): the queue across owners.
// Jobs in `state` ("queued", "running", "done"), or with `stuck_at` the running ones whose lease
// ended by then; newest first, strictly before (created_at, id) of `before` when given.
[[nodiscard]] Result<std::vector<Job>> ListAll(Transaction& tx, std::string_view state,
                                               std::optional<int64_t> stuck_at,
                                               const std::optional<Job>& before, int64_t limit);
// Running jobs whose lease ended by `now`.
[[nodiscard]] Result<int64_t> CountStuck(Transaction& tx, int64_t now);
// Finishes a queued or running job at once with `verdict` and `result`, bumping the attempt so
// that a worker still running it is fenced off; false when it was already done.
[[nodiscard]] Result<bool> Cancel(Transaction& tx, std::string_view id, std::string_view verdict,
                                  std::string_view result, int64_t now);
// Queues a done job again with `attempts` more claims allowed; false when it is not done.
[[nodiscard]] Result<bool> Requeue(Transaction& tx, std::string_view id, int attempts);
// Per worker ("<replica>/<n>"), the running jobs whose lease runs past `now`.
[[nodiscard]] Result<std::vector<std::pair<std::string, int64_t>>> LeasesByWorker(Transaction& tx,
                                                                                  int64_t now);

}  // namespace codeyard::store::jobs
