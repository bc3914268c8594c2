// Jobs: submitting (admission and the per-user limits), reading and listing jobs, queue
// statistics. The workers are in workers.cpp.
#include <algorithm>
#include <cmath>

#include "codeyard/id.hpp"
#include "core/files/pages.hpp"
#include "core/jobs/callbacks.hpp"
#include "core/jobs/jobs_impl.hpp"
#include "core/jobs/run_codec.hpp"
#include "core/orgs/org_rules.hpp"
#include "core/store/jobs.hpp"
#include "core/store/rate_limits.hpp"
#include "core/store/transact.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

constexpr std::chrono::milliseconds kMaxWait{30000};
constexpr int64_t kStatsWindowS = 300;
constexpr int64_t kStatsSamples = 10000;
constexpr int64_t kMinuteMs = int64_t{60} * 1000;
constexpr int64_t kDayMs = int64_t{24} * 60 * kMinuteMs;

// Whole seconds until `until`, at least 1: a client told to wait 0 s would retry at once.
int64_t SecondsUntil(int64_t until, int64_t now) {
  return std::max<int64_t>(1, (until - now + 999) / 1000);
}

int64_t Percentile(std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

struct Limit {
  std::string_view key;
  int64_t max;
  int64_t window_ms;
};

}  // namespace

std::string_view JobStateName(JobState state) noexcept {
  switch (state) {
    case JobState::kQueued:
      return "queued";
    case JobState::kRunning:
      return "running";
    case JobState::kDone:
      return "done";
  }
  return "queued";
}

Result<JobState> ParseJobState(std::string_view text) {
  for (JobState s : {JobState::kQueued, JobState::kRunning, JobState::kDone}) {
    if (JobStateName(s) == text) return s;
  }
  return Fail(Error::Code::kInvalidArgument, "jobs: unknown state \"" + std::string(text) + "\"");
}

JobsOptions JobsOptionsFrom(const Config& c) {
  JobsOptions o;
  o.workers = static_cast<int>(c.jobs_workers);
  o.lease = std::chrono::seconds(c.jobs_lease_s);
  o.max_attempts = static_cast<int>(c.jobs_max_attempts);
  o.poll = std::chrono::milliseconds(c.jobs_poll_ms);
  o.max_queue_depth = c.jobs_max_queue_depth;
  o.jobs_per_minute = c.limits_jobs_per_minute;
  o.jobs_per_day = c.limits_jobs_per_day;
  o.max_time_limit_s = static_cast<double>(c.jobs_max_time_limit_s);
  o.max_memory_limit_mb = static_cast<double>(c.jobs_max_memory_limit_mb);
  o.max_output_limit_kb = static_cast<double>(c.jobs_max_output_limit_kb);
  o.replica_id = c.replica_id;
  o.callback_hosts = c.jobs_callback_hosts;
  o.callback_attempts = static_cast<int>(c.jobs_callback_attempts);
  o.exec_limits = ExecSpecLimitsFrom(c);
  // As the workspaces' (WorkspaceOptionsFrom): the local backend serves images from images.dir.
  if (c.executor_uri.starts_with("local")) o.images_dir = c.EffectiveImagesDir();
  return o;
}

Jobs::Impl::Impl(Jobs& self, std::shared_ptr<Platform> platform, std::shared_ptr<Runner> runner,
                 JobsOptions options)
    : self_(self),
      platform_(std::move(platform)),
      runner_(std::move(runner)),
      options_(std::move(options)) {
  // The built-in kind: the handler is Execute's own branch for "run" (it needs the Runner).
  kinds_.emplace(std::string(kRunJobKind), Kind{});
}

Result<void> Jobs::Impl::Register(std::string kind, JobHandler handler, JobCompletionHook hook) {
  if (kind.empty() || !handler) {
    return Fail(Error::Code::kInvalidArgument, "jobs: a kind needs a name and a handler");
  }
  std::lock_guard lock(mu_);
  if (started_) {
    return Fail(Error::Code::kFailedPrecondition,
                "jobs: kinds are registered before the workers start");
  }
  if (kinds_.contains(kind)) {
    return Fail(Error::Code::kAlreadyExists, "jobs: kind \"" + kind + "\" is registered already");
  }
  kinds_.emplace(std::move(kind), Kind{std::move(handler), std::move(hook)});
  return {};
}

const Jobs::Impl::Kind* Jobs::Impl::KindOf(std::string_view kind) const {
  std::lock_guard lock(mu_);
  const auto it = kinds_.find(kind);
  return it == kinds_.end() ? nullptr : &it->second;
}

Result<Submitted> Jobs::Impl::Submit(std::string_view user_id, std::vector<JobSubmission> jobs) {
  if (jobs.empty() || jobs.size() > kMaxJobBatch) {
    return Fail(Error::Code::kInvalidArgument, "jobs: a batch holds 1 to " +
                                                   std::to_string(kMaxJobBatch) + " jobs, not " +
                                                   std::to_string(jobs.size()));
  }
  const int64_t now = platform_->clock().NowMillis();
  std::vector<Job> rows;
  rows.reserve(jobs.size());
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    JobSubmission& s = jobs[i];
    Job job;
    job.id = NewUuid();
    job.owner_id = std::string(user_id);
    job.kind = s.kind;
    job.max_attempts = options_.max_attempts;
    job.created_at = now;
    job.problem_id = std::move(s.problem_id);
    job.image = s.kind == kRunJobKind ? s.run.image : std::move(s.image);
    if (!s.callback_url.empty()) {
      auto target = jobs::ParseCallbackUrl(s.callback_url, options_.callback_hosts);
      if (!target) {
        return Fail(jobs.size() == 1 ? target.error()
                                     : target.error().WithContext("job " + std::to_string(i)));
      }
      job.callback_url = s.callback_url;
    }
    if (KindOf(s.kind) == nullptr) {
      return Fail(Error::Code::kInvalidArgument, "jobs: unknown kind \"" + s.kind + "\"");
    }
    if (s.kind == kRunJobKind) {
      auto request = self_.ToRunRequest(s.run);
      if (!request) {
        return Fail(jobs.size() == 1 ? request.error()
                                     : request.error().WithContext("job " + std::to_string(i)));
      }
      job.payload = jobs::EncodeRunRequest(*request);
    } else {
      job.payload = std::move(s.payload);
    }
    rows.push_back(std::move(job));
  }
  const auto n = static_cast<int64_t>(rows.size());
  const Limit limits[] = {{"limits.jobs_per_minute", options_.jobs_per_minute, kMinuteMs},
                          {"limits.jobs_per_day", options_.jobs_per_day, kDayMs}};
  CY_TRY(Submitted out,
         store::Transact(
             platform_->storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<Submitted> {
               Submitted done;
               CY_TRY(const int64_t depth, store::jobs::CountQueued(tx));
               if (depth + n > options_.max_queue_depth) {
                 return Fail(Error(Error::Code::kUnavailable,
                                   "jobs: the queue is full: " + std::to_string(depth) +
                                       " jobs queued (jobs.max_queue_depth " +
                                       std::to_string(options_.max_queue_depth) + "); retry later")
                                 .WithLimit("jobs.max_queue_depth",
                                            DrainSeconds(depth + n - options_.max_queue_depth)));
               }
               // Counted in this transaction: a refused submission (the queue, the other limit)
               // is rolled back and not charged.
               std::optional<JobQuota> tightest;
               for (const Limit& limit : limits) {
                 if (limit.max <= 0) continue;
                 const std::string key = std::string(limit.key) + ":" + std::string(user_id);
                 store::rate_limits::Counted counted;
                 for (int64_t i = 0; i < n; ++i) {
                   CY_TRY(const auto c,
                          store::rate_limits::Count(tx, key, now, now + limit.window_ms, false));
                   if (c) counted = *c;
                 }
                 if (counted.count > limit.max) {
                   const int64_t wait = SecondsUntil(counted.reset_at, now);
                   return Fail(Error(Error::Code::kResourceExhausted,
                                     "jobs: at most " + std::to_string(limit.max) + " jobs per " +
                                         (limit.window_ms == kMinuteMs ? "minute" : "day") +
                                         " per user (" + std::string(limit.key) + "); retry in " +
                                         std::to_string(wait) + " s")
                                   .WithLimit(limit.key, wait));
                 }
                 JobQuota q{std::string(limit.key), limit.max, limit.max - counted.count,
                            SecondsUntil(counted.reset_at, now)};
                 if (!tightest || q.remaining < tightest->remaining) tightest = q;
               }
               // Organizations (codeyard/orgs.hpp): each job goes to the one it names (the
               // submitter must be a member) and counts against its jobs-per-day quotas, checked
               // one job at a time under the organization's row lock.
               for (std::size_t i = 0; i < rows.size(); ++i) {
                 Job job = rows[i];
                 CY_TRY(job.org_id, orgs::ResolveFor(tx, user_id, jobs[i].org_id));
                 CY_CHECK(orgs::CheckJobsPerDay(tx, job.org_id, user_id, now));
                 CY_CHECK(orgs::CheckCpuSecondsPerDay(tx, job.org_id, user_id, now));
                 CY_CHECK(store::jobs::Insert(tx, job));
               }
               done.quota = tightest.value_or(JobQuota{});
               return done;
             }));
  for (const Job& job : rows) out.ids.push_back(job.id);
  {
    std::lock_guard lock(mu_);
    ++submits_;
  }
  work_cv_.notify_all();
  return out;
}

int64_t Jobs::Impl::DrainSeconds(int64_t excess) const {
  double mean = 1.0;
  {
    std::lock_guard lock(mu_);
    mean = mean_run_s_;
  }
  const double seconds = std::ceil(static_cast<double>(std::max<int64_t>(1, excess)) * mean /
                                   static_cast<double>(std::max(1, options_.workers)));
  return std::clamp<int64_t>(static_cast<int64_t>(seconds), 1, 60);
}

Result<Job> Jobs::Impl::Get(std::string_view user_id, std::string_view id,
                            std::chrono::milliseconds wait) {
  using SteadyClock = std::chrono::steady_clock;
  const auto deadline =
      SteadyClock::now() + std::clamp(wait, std::chrono::milliseconds(0), kMaxWait);
  while (true) {
    uint64_t seen = 0;
    {
      std::lock_guard lock(mu_);
      seen = finishes_;
    }
    CY_TRY(std::optional<Job> job,
           store::Transact(platform_->storage(), TxKind::kRead,
                           [&](Transaction& tx) { return store::jobs::Get(tx, id); }));
    if (!job || job->owner_id != user_id) {
      return Fail(Error::Code::kNotFound, "jobs: job " + std::string(id) + " not found");
    }
    const auto now = SteadyClock::now();
    if (job->state == JobState::kDone || now >= deadline) {
      if (job->state == JobState::kDone && job->kind == kRunJobKind) {
        CY_TRY(job->run, DecodeRunResult(job->result));
      }
      return std::move(*job);
    }
    // Woken at once by a finish in this process; a job another replica finishes is seen at
    // the next read, one poll later.
    std::unique_lock lock(mu_);
    done_cv_.wait_until(lock, std::min(deadline, now + options_.poll),
                        [&] { return finishes_ != seen || stopping_; });
    if (stopping_) {
      return Fail(Error::Code::kUnavailable, "jobs: the service is stopping");
    }
  }
}

Result<Page<Job>> Jobs::Impl::List(std::string_view user_id, const PageRequest& page) {
  CY_CHECK(files::CheckPageLimit(page));
  CY_TRY(const auto key, files::DecodeCreatedCursor("j", page.cursor));
  std::optional<store::jobs::PageKey> before;
  if (key) before = store::jobs::PageKey{key->created_at, key->id};
  return store::Transact(
      platform_->storage(), TxKind::kRead, [&](Transaction& tx) -> Result<Page<Job>> {
        CY_TRY(std::vector<Job> rows,
               store::jobs::ListByOwner(tx, user_id, before, page.limit + 1));
        return files::PageOfRows(std::move(rows), page.limit, [](const Job& last) {
          return files::EncodeCreatedCursor("j", last.created_at, last.id);
        });
      });
}

Result<QueueStats> Jobs::Impl::Stats() {
  const int64_t now = platform_->clock().NowMillis();
  return store::Transact(
      platform_->storage(), TxKind::kRead, [&](Transaction& tx) -> Result<QueueStats> {
        QueueStats s;
        CY_TRY(const auto counts, store::jobs::CountStates(tx, now - kMinuteMs));
        s.depth = counts.queued;
        s.running = counts.running;
        s.done_last_minute = counts.done_since;
        s.window_s = kStatsWindowS;
        CY_TRY(std::vector<int64_t> waits,
               store::jobs::RecentWaits(tx, now - kStatsWindowS * 1000, kStatsSamples));
        std::sort(waits.begin(), waits.end());
        s.wait_p50_ms = Percentile(waits, 0.50);
        s.wait_p95_ms = Percentile(waits, 0.95);
        return s;
      });
}

Result<int64_t> Jobs::Impl::Depth() {
  return store::Transact(platform_->storage(), TxKind::kRead,
                         [&](Transaction& tx) { return store::jobs::CountQueued(tx); });
}

JobCounters Jobs::Impl::Counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

void Jobs::Impl::SetObserver(std::function<void(const JobTiming&)> observer) {
  std::lock_guard lock(mu_);
  observer_ = std::move(observer);
}

Jobs::Jobs(std::shared_ptr<Platform> platform, std::shared_ptr<Runner> runner, JobsOptions options)
    : impl_(std::make_unique<Impl>(*this, std::move(platform), std::move(runner),
                                   std::move(options))) {}
Jobs::~Jobs() = default;

Result<void> Jobs::Register(std::string kind, JobHandler handler, JobCompletionHook on_complete) {
  return impl_->Register(std::move(kind), std::move(handler), std::move(on_complete));
}
void Jobs::Start() { impl_->Start(); }
Result<bool> Jobs::RunOne() { return impl_->RunOne(); }
int Jobs::RenewClaims() { return impl_->RenewClaims(); }
int Jobs::DeliverCallbacks() { return impl_->DeliverCallbacks(); }
Result<Submitted> Jobs::Submit(std::string_view user_id, std::vector<JobSubmission> jobs) {
  return impl_->Submit(user_id, std::move(jobs));
}
Result<Job> Jobs::Get(std::string_view user_id, std::string_view id,
                      std::chrono::milliseconds wait) {
  return impl_->Get(user_id, id, wait);
}
Result<Page<Job>> Jobs::List(std::string_view user_id, const PageRequest& page) {
  return impl_->List(user_id, page);
}
Result<QueueStats> Jobs::Stats() { return impl_->Stats(); }
Result<int64_t> Jobs::Depth() { return impl_->Depth(); }
JobCounters Jobs::Counters() const { return impl_->Counters(); }
void Jobs::SetObserver(std::function<void(const JobTiming&)> observer) {
  impl_->SetObserver(std::move(observer));
}
const JobsOptions& Jobs::options() const { return impl_->options(); }

}  // namespace codeyard
