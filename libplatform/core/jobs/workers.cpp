// Jobs' background threads: workers that claim a job (an expired lease first, then the oldest
// queued one), run it and finish it by compare-and-swap on their claim; and one heartbeat that
// renews the leases of this process's running jobs.
#include <algorithm>

#include "core/jobs/jobs_impl.hpp"
#include "core/jobs/run_codec.hpp"
#include "core/store/jobs.hpp"
#include "core/store/transact.hpp"
#include "core/try.hpp"
#include "core/usage/record.hpp"

namespace codeyard {
namespace {

constexpr std::string_view kInternalError = "internal_error";

int64_t LeaseMs(const JobsOptions& o) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(o.lease).count();
}

}  // namespace

void Jobs::Impl::Start() {
  std::lock_guard lock(mu_);
  if (started_) return;
  started_ = true;
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
  if (options_.workers > 0) heartbeat_ = std::thread([this] { HeartbeatLoop(); });
  // Callbacks are delivered by processes that may send them (the allow-list is set).
  if (options_.workers > 0 && !options_.callback_hosts.empty()) {
    callbacks_ = std::thread([this] { CallbackLoop(); });
  }
}

Jobs::Impl::~Impl() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  done_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
  if (heartbeat_.joinable()) heartbeat_.join();
  if (callbacks_.joinable()) callbacks_.join();
}

void Jobs::Impl::WorkerLoop(int index) {
  const std::string worker = options_.replica_id + "/" + std::to_string(index);
  while (true) {
    uint64_t seen = 0;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      seen = submits_;
    }
    auto claimed = ClaimOne(worker);
    std::optional<Job> job = claimed ? std::move(*claimed) : std::nullopt;
    if (job) {
      RunClaimed(std::move(*job), worker);
      continue;
    }
    if (!claimed) {
      platform_->logger().Warn("jobs: claim failed",
                               {{"worker", worker}, {"error", claimed.error().ToString()}});
    }
    // Idle: a Submit in this process wakes the workers at once; other replicas' jobs (and
    // expired leases) are found by the next poll.
    std::unique_lock lock(mu_);
    work_cv_.wait_for(lock, options_.poll, [&] { return stopping_ || submits_ != seen; });
  }
}

Result<bool> Jobs::Impl::RunOne() {
  const std::string worker = options_.replica_id + "/caller";
  CY_TRY(auto claimed, ClaimOne(worker));
  if (!claimed) return false;
  RunClaimed(std::move(*claimed), worker);
  return true;
}

Result<std::optional<Job>> Jobs::Impl::ClaimOne(const std::string& worker) {
  Storage& storage = platform_->storage();
  const int64_t now = platform_->clock().NowMillis();
  // A read first, so that idle polling never takes the writer (SQLite) or locks rows.
  CY_TRY(const bool any, store::Transact(storage, TxKind::kRead, [&](Transaction& tx) {
           return store::jobs::AnyClaimable(tx, now);
         }));
  if (!any) return std::optional<Job>();
  const auto give_up = [this](const Job& job) {
    return Failed(job, "jobs: no attempt finished (" + std::to_string(job.attempt) +
                           " of jobs.max_attempts " + std::to_string(job.max_attempts) + ")");
  };
  while (true) {
    CY_TRY(store::jobs::Claimed claim,
           store::Transact(
               storage, TxKind::kWrite, [&](Transaction& tx) -> Result<store::jobs::Claimed> {
                 CY_TRY(store::jobs::Claimed c,
                        store::jobs::ClaimNext(tx, worker, now, LeaseMs(options_), give_up));
                 if (c.gave_up) {
                   const Kind* kind = KindOf(c.gave_up->kind);
                   if (kind != nullptr && kind->hook) {
                     CY_CHECK(kind->hook(tx, *c.gave_up,
                                         JobOutcome{c.gave_up->verdict, c.gave_up->result, {}}));
                   }
                   CY_CHECK(usage::RecordJob(tx, now, *c.gave_up, {}));
                 }
                 return c;
               }));
    if (claim.gave_up) {
      std::function<void(const JobTiming&)> observer;
      {
        std::lock_guard lock(mu_);
        ++counters_.gave_up;
        ++counters_.by_verdict[std::string(kInternalError)];
        ++finishes_;
        observer = observer_;
      }
      done_cv_.notify_all();
      if (observer) {
        const Job& j = *claim.gave_up;
        observer(JobTiming{
            static_cast<double>(j.started_at.value_or(j.created_at) - j.created_at) / 1000.0, 0,
            std::string(kInternalError)});
      }
      platform_->logger().Warn("jobs: gave up on a job",
                               {{"job", claim.gave_up->id}, {"attempts", claim.gave_up->attempt}});
      continue;  // then claim another
    }
    if (!claim.job) return std::optional<Job>();
    const Job& job = *claim.job;
    {
      std::lock_guard lock(mu_);
      held_[job.id] = Held{job.attempt, worker};
      if (claim.retry) ++counters_.retries;
    }
    return std::move(claim.job);
  }
}

JobOutcome Jobs::Impl::Failed(const Job& job, std::string message) const {
  JobOutcome out;
  out.verdict = std::string(kInternalError);
  if (job.kind == kRunJobKind) {
    RunResult run;
    run.verdict = Verdict::kInternalError;
    run.message = std::move(message);
    out.data = EncodeRunResult(run);
  } else {
    out.data = std::move(message);
  }
  return out;
}

Result<JobOutcome> Jobs::Impl::Execute(const Job& job) {
  if (job.kind == kRunJobKind) {
    CY_TRY(RunRequest request, jobs::DecodeRunRequest(job.payload));
    request.user_id.clear();  // admission was the queue's; no per-user cap in the Runner
    CY_TRY(const RunResult run, runner_->Run(request));
    return JobOutcome{std::string(VerdictName(run.verdict)), EncodeRunResult(run),
                      usage::UsageOfRun(run)};
  }
  const Kind* kind = KindOf(job.kind);
  if (kind == nullptr || !kind->handler) {
    return Fail(Error::Code::kFailedPrecondition,
                "jobs: no handler for kind \"" + job.kind + "\" in this process");
  }
  return kind->handler(job);
}

Result<bool> Jobs::Impl::Finish(const Job& job, const std::string& worker,
                                const JobOutcome& outcome) {
  const Kind* kind = KindOf(job.kind);
  return store::Transact(
      platform_->storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<bool> {
        CY_TRY(const bool finished,
               store::jobs::Finish(tx, job.id, job.attempt, worker, outcome.verdict, outcome.data,
                                   platform_->clock().NowMillis()));
        if (!finished) return false;
        if (kind != nullptr && kind->hook) CY_CHECK(kind->hook(tx, job, outcome));
        CY_CHECK(usage::RecordJob(tx, platform_->clock().NowMillis(), job, outcome.usage));
        return true;
      });
}

void Jobs::Impl::RunClaimed(Job job, const std::string& worker) {
  const auto started = std::chrono::steady_clock::now();
  auto outcome = Execute(job);
  if (!outcome) outcome = Failed(job, outcome.error().ToString());
  const double run_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  {
    std::lock_guard lock(mu_);
    held_[job.id].finishing = true;
  }
  auto finished = Finish(job, worker, *outcome);
  std::function<void(const JobTiming&)> observer;
  {
    std::lock_guard lock(mu_);
    held_.erase(job.id);
    if (finished && *finished) {
      ++counters_.by_verdict[outcome->verdict];
      ++finishes_;
      mean_run_s_ = 0.9 * mean_run_s_ + 0.1 * run_s;
      observer = observer_;
    } else if (finished) {
      ++counters_.lost;
    }
  }
  if (!finished) {
    // The job stays running under this claim; its lease ends and another attempt runs it.
    platform_->logger().Error("jobs: cannot record a result",
                              {{"job", job.id}, {"error", finished.error().ToString()}});
    return;
  }
  if (!*finished) {
    platform_->logger().Warn("jobs: result dropped, the job was claimed again meanwhile",
                             {{"job", job.id}, {"attempt", job.attempt}});
    return;
  }
  done_cv_.notify_all();
  if (observer) {
    const double wait_s =
        static_cast<double>(job.started_at.value_or(job.created_at) - job.created_at) / 1000.0;
    observer(JobTiming{wait_s, run_s, outcome->verdict});
  }
}

bool Jobs::Impl::Finishing(std::string_view id) {
  std::lock_guard lock(mu_);
  const auto it = held_.find(id);
  return it == held_.end() || it->second.finishing;
}

void Jobs::Impl::HeartbeatLoop() {
  // Renewed at a third of the lease, so two renewals can fail before it ends.
  const auto period = std::max<std::chrono::milliseconds>(
      std::chrono::milliseconds(100),
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.lease) / 3);
  std::unique_lock lock(mu_);
  while (!stopping_) {
    done_cv_.wait_for(lock, period, [&] { return stopping_; });
    if (stopping_) return;
    lock.unlock();
    (void)RenewClaims();
    lock.lock();
  }
}

int Jobs::Impl::RenewClaims() {
  std::map<std::string, Held, std::less<>> held;
  {
    std::lock_guard lock(mu_);
    held = held_;
  }
  const int64_t until = platform_->clock().NowMillis() + LeaseMs(options_);
  int renewals = 0;
  for (const auto& [id, claim] : held) {
    auto renewed = store::Transact(platform_->storage(), TxKind::kWrite, [&](Transaction& tx) {
      return store::jobs::Renew(tx, id, claim.attempt, claim.worker, until);
    });
    if (!renewed) {
      platform_->logger().Warn("jobs: lease renewal failed",
                               {{"job", id}, {"error", renewed.error().ToString()}});
    } else if (*renewed) {
      ++renewals;
    } else if (!Finishing(id)) {
      // Refused because the job finished since `held` was copied is no loss: only a claim
      // this worker still runs, and is not recording, has lost its lease.
      platform_->logger().Warn("jobs: lease lost", {{"job", id}, {"attempt", claim.attempt}});
    }
  }
  return renewals;
}

}  // namespace codeyard
