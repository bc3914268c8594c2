// admin20: an admin's interventions on the queue (Jobs::Cancel, Jobs::Retry). Each is one
// write transaction with the caller's audit record; a cancel runs the kind's completion hook
// like any finish, so what a kind records with its result (a grading's submission) is final.
#include "core/jobs/jobs_impl.hpp"
#include "core/store/jobs.hpp"
#include "core/store/transact.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

constexpr std::string_view kCancelled = "cancelled by an admin";

Error JobNotFound(std::string_view id) {
  return {Error::Code::kNotFound, "jobs: job " + std::string(id) + " not found"};
}

}  // namespace

Result<Job> Jobs::Impl::Cancel(std::string_view id, const AdminAudit& audit) {
  return store::Transact(platform_->storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<Job> {
    CY_TRY(std::optional<Job> job, store::jobs::Get(tx, id));
    if (!job) return Fail(JobNotFound(id));
    if (job->state == JobState::kDone) {
      return Fail(Error::Code::kFailedPrecondition, "jobs: job " + job->id + " is already done");
    }
    const JobOutcome outcome = Failed(*job, std::string(kCancelled));
    CY_TRY(const bool cancelled, store::jobs::Cancel(tx, job->id, outcome.verdict, outcome.data,
                                                     platform_->clock().NowMillis()));
    if (!cancelled) return Fail(Error::Code::kAborted, "jobs: job changed meanwhile");
    CY_TRY(std::optional<Job> done, store::jobs::Get(tx, id));
    if (!done) return Fail(JobNotFound(id));
    if (const Kind* kind = KindOf(done->kind); kind != nullptr && kind->hook) {
      CY_CHECK(kind->hook(tx, *done, outcome));
    }
    if (audit) CY_CHECK(audit(tx, *done));
    return std::move(*done);
  });
}

Result<Job> Jobs::Impl::Retry(std::string_view id, const AdminAudit& audit) {
  CY_TRY(Job job,
         store::Transact(platform_->storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<Job> {
           CY_TRY(std::optional<Job> before, store::jobs::Get(tx, id));
           if (!before) return Fail(JobNotFound(id));
           CY_TRY(const bool queued, store::jobs::Requeue(tx, id, options_.max_attempts));
           if (!queued) {
             return Fail(Error::Code::kFailedPrecondition,
                         "jobs: job " + before->id + " is not done; only a done job is retried");
           }
           CY_TRY(std::optional<Job> after, store::jobs::Get(tx, id));
           if (!after) return Fail(JobNotFound(id));
           if (audit) CY_CHECK(audit(tx, *after));
           return std::move(*after);
         }));
  {
    std::lock_guard lock(mu_);
    ++submits_;
  }
  work_cv_.notify_all();  // this process's workers take it at once; others at their next poll
  return job;
}

Result<Job> Jobs::Cancel(std::string_view id, const AdminAudit& audit) {
  return impl_->Cancel(id, audit);
}

Result<Job> Jobs::Retry(std::string_view id, const AdminAudit& audit) {
  return impl_->Retry(id, audit);
}

}  // namespace codeyard
