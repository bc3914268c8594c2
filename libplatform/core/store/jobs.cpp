#include "core/store/jobs.hpp"

#include <limits>

#include "core/store/store_util.hpp"
#include "core/try.hpp"

namespace codeyard::store::jobs {
namespace {

constexpr std::string_view kColumns =
    "id, owner_id, kind, state, attempt, max_attempts, verdict, created_at, started_at, "
    "finished_at, worker, callback_url, callback_state, callback_attempts, problem_id, image, "
    "org_id, payload, result FROM jobs ";
constexpr std::string_view kLightColumns =
    "id, owner_id, kind, state, attempt, max_attempts, verdict, created_at, started_at, "
    "finished_at, worker, callback_url, callback_state, callback_attempts, problem_id, image, "
    "org_id FROM jobs ";

Result<Job> FromRow(Row& r) {
  Job j;
  CY_TRY(j.id, r.Text(0));
  CY_TRY(j.owner_id, r.Text(1));
  CY_TRY(j.kind, r.Text(2));
  CY_TRY(const std::string state, r.Text(3));
  CY_TRY(j.state, ParseJobState(state));
  CY_TRY(const int64_t attempt, r.Int(4));
  j.attempt = static_cast<int>(attempt);
  CY_TRY(const int64_t max_attempts, r.Int(5));
  j.max_attempts = static_cast<int>(max_attempts);
  CY_TRY(const auto verdict, OptText(r, 6));
  j.verdict = verdict.value_or("");
  CY_TRY(j.created_at, r.Int(7));
  CY_TRY(j.started_at, OptInt(r, 8));
  CY_TRY(j.finished_at, OptInt(r, 9));
  CY_TRY(const auto worker, OptText(r, 10));
  j.worker = worker.value_or("");
  CY_TRY(const auto callback_url, OptText(r, 11));
  j.callback_url = callback_url.value_or("");
  CY_TRY(const auto callback_state, OptText(r, 12));
  j.callback_state = callback_state.value_or("");
  CY_TRY(const int64_t callback_attempts, r.Int(13));
  j.callback_attempts = static_cast<int>(callback_attempts);
  CY_TRY(const auto problem_id, OptText(r, 14));
  j.problem_id = problem_id.value_or("");
  CY_TRY(j.image, r.Text(15));
  CY_TRY(const auto org_id, OptText(r, 16));
  j.org_id = org_id.value_or(j.owner_id);
  if (r.size() > 17) {
    CY_TRY(j.payload, r.TakeBytes(17));
    if (!r.IsNull(18)) {
      CY_TRY(j.result, r.TakeBytes(18));
    }
  }
  return j;
}

Result<std::optional<Job>> One(Result<Rows> rows) {
  if (!rows) return Fail(rows.error());
  if (rows->empty()) return std::optional<Job>();
  CY_TRY(Job j, FromRow(rows->front()));
  return std::optional<Job>(std::move(j));
}

}  // namespace

Result<void> Insert(Transaction& tx, const Job& job) {
  const auto text_or_null = [](const std::string& s) {
    return s.empty() ? std::optional<std::string>() : std::optional<std::string>(s);
  };
  CY_CHECK(tx.Exec(
      "INSERT INTO jobs (id, owner_id, kind, state, attempt, max_attempts, payload, created_at, "
      "callback_url, problem_id, image, org_id) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)",
      {Text(job.id), Text(job.owner_id), Text(job.kind), Text(JobStateName(JobState::kQueued)),
       Value{int64_t{job.max_attempts}}, Value{Blob{job.payload}}, Value{job.created_at},
       Opt(text_or_null(job.callback_url)), Opt(text_or_null(job.problem_id)), Text(job.image),
       Text(job.org_id.empty() ? job.owner_id : job.org_id)}));
  return {};
}

Result<std::optional<Job>> Get(Transaction& tx, std::string_view id) {
  return One(tx.Query("SELECT " + std::string(kColumns) + "WHERE id = ?", {Text(id)}));
}

Result<int64_t> CountQueued(Transaction& tx) {
  CY_TRY(Rows rows, tx.Query("SELECT COUNT(*) FROM jobs WHERE state = 'queued'", {}));
  return rows.front().Int(0);
}

Result<bool> AnyClaimable(Transaction& tx, int64_t now) {
  CY_TRY(Rows queued, tx.Query("SELECT 1 FROM jobs WHERE state = 'queued' LIMIT 1", {}));
  if (!queued.empty()) return true;
  CY_TRY(Rows expired,
         tx.Query("SELECT 1 FROM jobs WHERE state = 'running' AND lease_until <= ? LIMIT 1",
                  {Value{now}}));
  return !expired.empty();
}

Result<std::optional<Job>> LockExpired(Transaction& tx, int64_t now) {
  return One(tx.Query("SELECT " + std::string(kColumns) +
                          "WHERE state = 'running' AND lease_until <= ? ORDER BY lease_until, id "
                          "LIMIT 1 {skip_locked}",
                      {Value{now}}));
}

Result<std::optional<Job>> LockOldestQueued(Transaction& tx) {
  return One(tx.Query("SELECT " + std::string(kColumns) +
                          "WHERE state = 'queued' ORDER BY created_at, id LIMIT 1 {skip_locked}",
                      {}));
}

Result<bool> Take(Transaction& tx, const Job& job, std::string_view worker, int64_t now,
                  int64_t lease_until) {
  CY_TRY(const int64_t changed,
         tx.Exec("UPDATE jobs SET state = 'running', attempt = attempt + 1, worker = ?, "
                 "lease_until = ?, claimed_at = ?, started_at = COALESCE(started_at, ?) "
                 "WHERE id = ? AND attempt = ? AND state = ?",
                 {Text(worker), Value{lease_until}, Value{now}, Value{now}, Text(job.id),
                  Value{int64_t{job.attempt}}, Text(JobStateName(job.state))}));
  return changed == 1;
}

Result<bool> Renew(Transaction& tx, std::string_view id, int attempt, std::string_view worker,
                   int64_t lease_until) {
  CY_TRY(const int64_t changed,
         tx.Exec("UPDATE jobs SET lease_until = ? WHERE id = ? AND attempt = ? AND worker = ? "
                 "AND state = 'running'",
                 {Value{lease_until}, Text(id), Value{int64_t{attempt}}, Text(worker)}));
  return changed == 1;
}

Result<bool> Finish(Transaction& tx, std::string_view id, int attempt, std::string_view worker,
                    std::string_view verdict, std::string_view result, int64_t now) {
  CY_TRY(const int64_t changed,
         tx.Exec("UPDATE jobs SET state = 'done', verdict = ?, result = ?, finished_at = ?, "
                 "lease_until = 0, callback_state = CASE WHEN callback_url IS NULL THEN NULL "
                 "ELSE 'pending' END, callback_next_at = ? WHERE id = ? AND attempt = ? "
                 "AND worker = ? AND state = 'running'",
                 {Text(verdict), Value{Blob{std::string(result)}}, Value{now}, Value{now}, Text(id),
                  Value{int64_t{attempt}}, Text(worker)}));
  return changed == 1;
}

Result<Claimed> ClaimNext(Transaction& tx, std::string_view worker, int64_t now, int64_t lease_ms,
                          const std::function<JobOutcome(const Job&)>& give_up) {
  Claimed c;
  CY_TRY(std::optional<Job> expired, LockExpired(tx, now));
  if (expired) {
    if (expired->attempt >= expired->max_attempts) {
      // Its last holder died or hung: finished once, with that holder's claim, so a late
      // finish by that holder loses.
      const JobOutcome outcome = give_up(*expired);
      CY_TRY(const bool finished, Finish(tx, expired->id, expired->attempt, expired->worker,
                                         outcome.verdict, outcome.data, now));
      if (finished) {
        expired->state = JobState::kDone;
        expired->verdict = outcome.verdict;
        expired->result = outcome.data;
        expired->finished_at = now;
        c.gave_up = std::move(expired);
      }
      return c;
    }
    CY_TRY(const bool taken, Take(tx, *expired, worker, now, now + lease_ms));
    if (taken) {
      c.retry = true;
      c.job = std::move(expired);
    }
  }
  if (!c.job) {
    CY_TRY(std::optional<Job> queued, LockOldestQueued(tx));
    if (!queued) return c;
    CY_TRY(const bool taken, Take(tx, *queued, worker, now, now + lease_ms));
    if (!taken) return c;
    c.job = std::move(queued);
  }
  Job& job = *c.job;
  ++job.attempt;
  job.state = JobState::kRunning;
  job.worker = std::string(worker);
  if (!job.started_at) job.started_at = now;
  return c;
}

Result<std::vector<Job>> TakeDueCallbacks(Transaction& tx, int64_t now, int64_t limit,
                                          int64_t hold_until) {
  CY_TRY(Rows rows, tx.Query("SELECT " + std::string(kColumns) +
                                 "WHERE callback_state = 'pending' AND callback_next_at <= ? "
                                 "ORDER BY callback_next_at, id LIMIT ? {skip_locked}",
                             {Value{now}, Value{limit}}));
  std::vector<Job> out;
  for (Row& r : rows) {
    CY_TRY(Job j, FromRow(r));
    CY_CHECK(tx.Exec("UPDATE jobs SET callback_next_at = ? WHERE id = ?",
                     {Value{hold_until}, Text(j.id)}));
    out.push_back(std::move(j));
  }
  return out;
}

Result<void> RecordCallback(Transaction& tx, std::string_view id, std::string_view state,
                            int attempts, int64_t next_at) {
  CY_CHECK(
      tx.Exec("UPDATE jobs SET callback_state = ?, callback_attempts = ?, "
              "callback_next_at = ? WHERE id = ? AND callback_state = 'pending'",
              {Text(state), Value{int64_t{attempts}}, Value{next_at}, Text(id)}));
  return {};
}

Result<std::vector<Job>> ListByOwner(Transaction& tx, std::string_view owner_id,
                                     const std::optional<PageKey>& before, int64_t limit) {
  Result<Rows> rows =
      before
          ? tx.Query("SELECT " + std::string(kLightColumns) +
                         "WHERE owner_id = ? AND (created_at < ? OR (created_at = ? AND id < ?)) "
                         "ORDER BY created_at DESC, id DESC LIMIT ?",
                     {Text(owner_id), Value{before->created_at}, Value{before->created_at},
                      Text(before->id), Value{limit}})
          : tx.Query("SELECT " + std::string(kLightColumns) +
                         "WHERE owner_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
                     {Text(owner_id), Value{limit}});
  if (!rows) return Fail(rows.error());
  std::vector<Job> out;
  out.reserve(rows->size());
  for (Row& r : *rows) {
    CY_TRY(Job j, FromRow(r));
    out.push_back(std::move(j));
  }
  return out;
}

Result<std::vector<Job>> ListByOwnerKind(Transaction& tx, std::string_view owner_id,
                                         std::string_view kind,
                                         const std::optional<std::string>& problem_id,
                                         const std::optional<PageKey>& before, int64_t limit) {
  std::string sql = "SELECT " + std::string(kColumns) + "WHERE owner_id = ? AND kind = ?";
  // The first page is the page before (max, ""), so the keyset condition is one range that
  // the (owner_id[, problem_id], created_at, id) indexes serve on both backends.
  sql += problem_id ? " AND problem_id = ?" : "";
  sql +=
      " AND (created_at < ? OR (created_at = ? AND id < ?)) ORDER BY created_at DESC, id DESC "
      "LIMIT ?";
  const int64_t created = before ? before->created_at : std::numeric_limits<int64_t>::max();
  const std::string after_id = before ? before->id : "";
  const Result<Rows> queried =
      problem_id ? tx.Query(sql, {Text(owner_id), Text(kind), Text(*problem_id), Value{created},
                                  Value{created}, Text(after_id), Value{limit}})
                 : tx.Query(sql, {Text(owner_id), Text(kind), Value{created}, Value{created},
                                  Text(after_id), Value{limit}});
  CY_TRY(Rows rows, queried);
  std::vector<Job> out;
  out.reserve(rows.size());
  for (Row& r : rows) {
    CY_TRY(Job j, FromRow(r));
    out.push_back(std::move(j));
  }
  return out;
}

Result<Counts> CountStates(Transaction& tx, int64_t since) {
  Counts c;
  CY_TRY(Rows rows,
         tx.Query("SELECT state, COUNT(*) FROM jobs WHERE state <> 'done' GROUP BY state", {}));
  for (const Row& r : rows) {
    CY_TRY(const std::string state, r.Text(0));
    CY_TRY(const int64_t n, r.Int(1));
    (state == "queued" ? c.queued : c.running) = n;
  }
  CY_TRY(Rows done, tx.Query("SELECT COUNT(*) FROM jobs WHERE finished_at >= ?", {Value{since}}));
  CY_TRY(c.done_since, done.front().Int(0));
  return c;
}

Result<std::vector<int64_t>> RecentWaits(Transaction& tx, int64_t since, int64_t limit) {
  CY_TRY(Rows rows, tx.Query("SELECT started_at - created_at FROM jobs WHERE started_at >= ? "
                             "ORDER BY started_at DESC LIMIT ?",
                             {Value{since}, Value{limit}}));
  std::vector<int64_t> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    CY_TRY(const int64_t wait, r.Int(0));
    out.push_back(wait);
  }
  return out;
}

// admin20: the admin's view of the queue.
Result<std::vector<Job>> ListAll(Transaction& tx, std::string_view state,
                                 std::optional<int64_t> stuck_at, const std::optional<Job>& before,
                                 int64_t limit) {
  std::string sql = "SELECT " + std::string(kLightColumns) + "WHERE state = ? ";
  std::vector<Value> params;
  params.reserve(6);
  params.emplace_back(std::string(state));
  if (stuck_at) {
    sql += "AND lease_until <= ? ";
    params.push_back(Value{*stuck_at});
  }
  if (before) {
    sql += "AND (created_at < ? OR (created_at = ? AND id < ?)) ";
    params.push_back(Value{before->created_at});
    params.push_back(Value{before->created_at});
    params.push_back(Text(before->id));
  }
  sql += "ORDER BY created_at DESC, id DESC LIMIT ?";
  params.push_back(Value{limit});
  CY_TRY(Rows rows, tx.Query(sql, params));
  std::vector<Job> out;
  out.reserve(rows.size());
  for (Row& r : rows) {
    CY_TRY(Job j, FromRow(r));
    out.push_back(std::move(j));
  }
  return out;
}

Result<int64_t> CountStuck(Transaction& tx, int64_t now) {
  CY_TRY(Rows rows, tx.Query("SELECT COUNT(*) FROM jobs WHERE state = 'running' AND "
                             "lease_until <= ?",
                             {Value{now}}));
  return rows.front().Int(0);
}

Result<bool> Cancel(Transaction& tx, std::string_view id, std::string_view verdict,
                    std::string_view result, int64_t now) {
  CY_TRY(
      const int64_t changed,
      tx.Exec("UPDATE jobs SET state = 'done', verdict = ?, result = ?, finished_at = ?, "
              "lease_until = 0, attempt = attempt + 1, callback_state = CASE WHEN "
              "callback_url IS NULL THEN NULL ELSE 'pending' END, callback_next_at = ? "
              "WHERE id = ? AND state <> 'done'",
              {Text(verdict), Value{Blob{std::string(result)}}, Value{now}, Value{now}, Text(id)}));
  return changed == 1;
}

Result<bool> Requeue(Transaction& tx, std::string_view id, int attempts) {
  CY_TRY(const int64_t changed,
         tx.Exec("UPDATE jobs SET state = 'queued', verdict = NULL, result = NULL, "
                 "finished_at = NULL, lease_until = 0, max_attempts = attempt + ? "
                 "WHERE id = ? AND state = 'done'",
                 {Value{int64_t{attempts}}, Text(id)}));
  return changed == 1;
}

Result<std::vector<std::pair<std::string, int64_t>>> LeasesByWorker(Transaction& tx, int64_t now) {
  CY_TRY(Rows rows, tx.Query("SELECT worker, COUNT(*) FROM jobs WHERE state = 'running' AND "
                             "lease_until > ? AND worker IS NOT NULL GROUP BY worker",
                             {Value{now}}));
  std::vector<std::pair<std::string, int64_t>> out;
  for (const Row& r : rows) {
    CY_TRY(std::string worker, r.Text(0));
    CY_TRY(const int64_t n, r.Int(1));
    out.emplace_back(std::move(worker), n);
  }
  return out;
}

}  // namespace codeyard::store::jobs
