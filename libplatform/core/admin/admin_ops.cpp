// Administration (codeyard/admin.hpp): the job queue, the replicas and the health checks.
#include <chrono>
#include <map>

#include "codeyard/admin.hpp"
#include "core/admin/admin_impl.hpp"
#include "core/store/audit.hpp"
#include "core/store/jobs.hpp"
#include "core/store/pods.hpp"
#include "core/store/transact.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

template <class F>
HealthPart Measure(std::string backend, F check) {
  HealthPart part;
  part.backend = std::move(backend);
  const auto start = std::chrono::steady_clock::now();
  auto result = check();
  part.latency_us = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
  part.ok = result.has_value();
  if (!result) part.message = result.error().ToString();
  return part;
}

// A worker is "<replica>/<n>": the replica is what comes before the last '/'.
std::string ReplicaOfWorker(const std::string& worker) {
  const auto slash = worker.rfind('/');
  return slash == std::string::npos ? worker : worker.substr(0, slash);
}

}  // namespace

Result<JobFilter> ParseJobFilter(std::string_view text) {
  if (text == "queued") return JobFilter::kQueued;
  if (text == "running") return JobFilter::kRunning;
  if (text == "stuck") return JobFilter::kStuck;
  if (text == "done") return JobFilter::kDone;
  return Fail(
      Error::Code::kInvalidArgument,
      "admin: state must be queued, running, stuck or done, got \"" + std::string(text) + "\"");
}

Result<AdminJobStats> Admin::JobStats(std::string_view acting) const {
  CY_CHECK(RequireAdmin(acting));
  AdminJobStats out;
  CY_TRY(out.queue, impl_->jobs->Stats());
  const int64_t now = impl_->platform->clock().NowMillis();
  CY_TRY(out.stuck,
         store::Transact(impl_->platform->storage(), TxKind::kRead,
                         [&](Transaction& tx) { return store::jobs::CountStuck(tx, now); }));
  return out;
}

Result<Page<Job>> Admin::ListJobs(std::string_view acting, JobFilter filter,
                                  const PageRequest& page) const {
  CY_CHECK(RequireAdmin(acting));
  if (page.limit < 1 || page.limit > kMaxPageLimit) {
    return Fail(Error::Code::kInvalidArgument,
                "admin: limit must be 1-" + std::to_string(kMaxPageLimit));
  }
  const int64_t now = impl_->platform->clock().NowMillis();
  std::string_view state = "queued";
  std::optional<int64_t> stuck_at;
  switch (filter) {
    case JobFilter::kQueued:
      break;
    case JobFilter::kRunning:
      state = "running";
      break;
    case JobFilter::kStuck:
      state = "running";
      stuck_at = now;
      break;
    case JobFilter::kDone:
      state = "done";
      break;
  }
  return store::Transact(
      impl_->platform->storage(), TxKind::kRead, [&](Transaction& tx) -> Result<Page<Job>> {
        std::optional<Job> before;
        if (!page.cursor.empty()) {
          CY_TRY(before, store::jobs::Get(tx, page.cursor));
          if (!before) {
            return Fail(Error::Code::kInvalidArgument, "admin: cursor names no job");
          }
        }
        CY_TRY(std::vector<Job> jobs,
               store::jobs::ListAll(tx, state, stuck_at, before, page.limit + 1));
        Page<Job> out;
        if (static_cast<int64_t>(jobs.size()) > page.limit) {
          jobs.resize(static_cast<std::size_t>(page.limit));
          out.next_cursor = jobs.back().id;
        }
        out.items = std::move(jobs);
        return out;
      });
}

Result<Job> Admin::RetryJob(std::string_view acting, std::string_view job_id) {
  CY_CHECK(RequireAdmin(acting));
  return impl_->jobs->Retry(job_id, [&](Transaction& tx, const Job& job) -> Result<void> {
    CY_CHECK(store::audit::Record(tx, impl_->platform->clock().NowMillis(), acting,
                                  audit_action::kJobRetry, job.id));
    return {};
  });
}

Result<Job> Admin::CancelJob(std::string_view acting, std::string_view job_id) {
  CY_CHECK(RequireAdmin(acting));
  return impl_->jobs->Cancel(job_id, [&](Transaction& tx, const Job& job) -> Result<void> {
    CY_CHECK(store::audit::Record(tx, impl_->platform->clock().NowMillis(), acting,
                                  audit_action::kJobCancel, job.id));
    return {};
  });
}

Result<void> Admin::Heartbeat() {
  const int64_t now = impl_->platform->clock().NowMillis();
  return store::Transact(
      impl_->platform->storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
        CY_CHECK(
            tx.Exec("INSERT INTO replicas (id, version, started_at, heartbeat_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                    "version = excluded.version, started_at = excluded.started_at, "
                    "heartbeat_at = excluded.heartbeat_at",
                    {Value{impl_->options.replica_id}, Value{std::string(Version())},
                     Value{impl_->started_at}, Value{now}}));
        // org20: a replica that stopped beating long ago is gone (its leases expired long
        // before): every replica prunes, so it goes while any one runs.
        const int64_t prune_ms = impl_->options.prune_after.count() * 1000;
        if (prune_ms > 0) {
          CY_CHECK(tx.Exec("DELETE FROM replicas WHERE heartbeat_at < ? AND id <> ?",
                           {Value{now - prune_ms}, Value{impl_->options.replica_id}}));
        }
        return {};
      });
}

Result<Admin::ReplicaCounts> Admin::CountReplicas() const {
  const int64_t now = impl_->platform->clock().NowMillis();
  const int64_t stale_before = now - kStaleHeartbeats * impl_->options.heartbeat_interval.count();
  return store::Transact(
      impl_->platform->storage(), TxKind::kRead, [&](Transaction& tx) -> Result<ReplicaCounts> {
        CY_TRY(Rows rows, tx.Query("SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN "
                                   "heartbeat_at < ? THEN 1 ELSE 0 END), 0) AS BIGINT) "
                                   "FROM replicas",
                                   {Value{stale_before}}));
        CY_TRY(const int64_t all, rows.front().Int(0));
        CY_TRY(const int64_t stale, rows.front().Int(1));
        return ReplicaCounts{all - stale, stale};
      });
}

Result<std::vector<ReplicaInfo>> Admin::Replicas(std::string_view acting) const {
  CY_CHECK(RequireAdmin(acting));
  const int64_t now = impl_->platform->clock().NowMillis();
  return store::Transact(
      impl_->platform->storage(), TxKind::kRead,
      [&](Transaction& tx) -> Result<std::vector<ReplicaInfo>> {
        std::map<std::string, ReplicaInfo> by_id;
        const auto at = [&](const std::string& id) -> ReplicaInfo& {
          ReplicaInfo& r = by_id[id];
          r.id = id;
          return r;
        };
        CY_TRY(Rows rows,
               tx.Query("SELECT id, version, started_at, heartbeat_at FROM replicas", {}));
        for (const Row& row : rows) {
          CY_TRY(std::string id, row.Text(0));
          ReplicaInfo& r = at(id);
          CY_TRY(r.version, row.Text(1));
          CY_TRY(r.started_at, row.Int(2));
          CY_TRY(r.heartbeat_at, row.Int(3));
        }
        CY_TRY(std::vector<PodRecord> held, store::pods::ListHeld(tx));
        for (const PodRecord& pod : held) {
          if (pod.lease_until > now) ++at(pod.replica).pods_held;
        }
        CY_TRY(auto workers, store::jobs::LeasesByWorker(tx, now));
        for (const auto& [worker, n] : workers) at(ReplicaOfWorker(worker)).jobs_held += n;
        std::vector<ReplicaInfo> out;
        out.reserve(by_id.size());
        for (auto& [id, r] : by_id) out.push_back(std::move(r));
        return out;
      });
}

Result<AdminHealth> Admin::Health(std::string_view acting) const {
  CY_CHECK(RequireAdmin(acting));
  AdminHealth out;
  Platform& platform = *impl_->platform;
  out.storage = Measure(platform.storage().Info().backend, [&] { return platform.Ping(); });
  out.executor =
      Measure(platform.executor() ? platform.executor()->scheme() : "", [&]() -> Result<void> {
        if (!platform.executor()) {
          return Fail(Error::Code::kUnavailable, "no executor");
        }
        CY_CHECK(platform.executor()->ListPods({}));
        return {};
      });
  return out;
}

}  // namespace codeyard
