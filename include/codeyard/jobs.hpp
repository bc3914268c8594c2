// The durable job queue (issue 16): every one-shot run is a row in storage (`jobs`), taken
// by worker threads of whichever server process gets to it first, run on a pod of the Runner's
// warm pool, and finished exactly once. A job has a KIND and a handler per kind: "run" is
// built in (a RunJob through Runner::Run, its result the fields POST /api/v1/run answers);
// others (grading) are registered with Register and get their payload bytes, returning their
// result bytes, with an optional hook that runs inside the job's completion transaction (so
// progress is recorded once, with the result, or not at all).
//
// Durability: a worker claims the oldest queued job with a lease (`jobs.lease_s`), renewed by a
// heartbeat while the job runs. A job whose lease expired (its worker or process died) is
// claimed again, at most `jobs.max_attempts` times, then finished as internal_error. Every
// claim bumps the job's `attempt`, the fencing token: completion is a compare-and-swap on
// (id, attempt, worker), so a late finisher whose lease was taken loses and changes nothing.
//
// Admission lives here, not in a shell: past `jobs.max_queue_depth` queued jobs Submit fails
// kUnavailable (WithLimit "jobs.max_queue_depth" and a wait); past `limits.jobs_per_minute` or
// `limits.jobs_per_day` of a user, counted in storage so every replica sees them, it fails
// kResourceExhausted (WithLimit naming the key and the wait). A run's limits are checked
// against `jobs.max_time_limit_s`, `jobs.max_memory_limit_mb`, `jobs.max_output_limit_kb`.
//
// Threading: every method is safe from many threads at once. Workers and the heartbeat are
// threads of their own, started by Start and stopped by the destructor (which waits for
// running jobs to finish: a run ends within its wall time).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/backend/storage.hpp"
#include "codeyard/config.hpp"
#include "codeyard/error.hpp"
#include "codeyard/exec_limits.hpp"
#include "codeyard/files.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/run.hpp"

namespace codeyard {

enum class JobState { kQueued, kRunning, kDone };
// "queued", "running", "done".
[[nodiscard]] std::string_view JobStateName(JobState state) noexcept;
[[nodiscard]] Result<JobState> ParseJobState(std::string_view text);

inline constexpr std::string_view kRunJobKind = "run";

// What a run job asks for, as a client gives it; the limits are checked against the configured
// maxima by Submit (kInvalidArgument naming the field).
struct RunJob {
  std::string language;         // as ParseLanguage accepts ("python", "cpp", ...)
  std::vector<FileData> files;  // the first is the entry point
  std::string stdin_data;
  std::vector<std::string> args;
  std::optional<double> time_limit_s;     // CPU seconds (WithTimeLimit gives the wall time)
  std::optional<double> memory_limit_mb;  // default: RunLimits' own
  std::optional<double> output_limit_kb;
  // The image the run's pods use (codeyard/images.hpp); "" = the executor's default. Submit
  // refuses (kInvalidArgument naming it) one that JobsOptions::images_dir does not hold.
  std::string image;
};

// Where a job's result is POSTed once it is done (issue 16): "http://host[:port]/path" with a
// host in JobsOptions::callback_hosts. Plain HTTP only: the library speaks no TLS; put a
// receiver on a private network, or a local proxy in front of an https endpoint.

// The bounds of a run job's request that are rules, not settings: what one request may carry.
inline constexpr std::size_t kMaxJobFiles = 64;
inline constexpr std::size_t kMaxJobFileBytes = std::size_t{1} << 20;   // one file
inline constexpr std::size_t kMaxJobTotalBytes = std::size_t{4} << 20;  // all files together
inline constexpr std::size_t kMaxJobStdinBytes = std::size_t{1} << 20;
inline constexpr std::size_t kMaxJobArgs = 64;
inline constexpr std::size_t kMaxJobArgBytes = 4096;
inline constexpr std::size_t kMaxJobBatch = 20;

struct JobsOptions {
  int workers = 2;                      // jobs.workers: worker threads in this process
  std::chrono::seconds lease{10};       // jobs.lease_s
  int max_attempts = 3;                 // jobs.max_attempts
  std::chrono::milliseconds poll{100};  // jobs.poll_ms: idle workers and waiters re-read storage
  int64_t max_queue_depth = 1000;       // jobs.max_queue_depth
  int64_t jobs_per_minute = 60;         // limits.jobs_per_minute, per user (0 = off)
  int64_t jobs_per_day = 2000;          // limits.jobs_per_day, per user (0 = off)
  double max_time_limit_s = 10;         // jobs.max_time_limit_s
  double max_memory_limit_mb = 1024;    // jobs.max_memory_limit_mb
  double max_output_limit_kb = 4096;    // jobs.max_output_limit_kb
  // This process's name in the jobs' `worker` column; empty: Services gives the replica id.
  std::string replica_id;
  std::vector<std::string> callback_hosts;  // jobs.callback_hosts; empty: no callbacks
  int callback_attempts = 8;                // jobs.callback_attempts
  ExecSpecLimits exec_limits;  // what a run's program arguments may be (exec.max_* keys)
  // Where the images a run job may name live (images.dir, for the local backend, whose pods
  // need the image there). Empty: only a name's syntax is checked (other backends map names
  // their own way).
  std::string images_dir;
};

[[nodiscard]] JobsOptions JobsOptionsFrom(const Config& config);

// A job as stored. `result` holds the handler's bytes once done; for "run" jobs `run` is that
// result decoded.
struct Job {
  std::string id;
  std::string owner_id;
  std::string kind;
  JobState state = JobState::kQueued;
  int attempt = 0;  // claims so far (the fencing token)
  int max_attempts = 0;
  std::string worker;   // who holds the latest claim ("<replica>/<n>"); empty before any
  std::string verdict;  // once done
  int64_t created_at = 0;
  std::optional<int64_t> started_at;   // first claim
  std::optional<int64_t> finished_at;  // done
  std::string payload;                 // kind-specific bytes (a run job's request, encoded)
  std::string result;                  // kind-specific bytes, once done
  std::optional<RunResult> run;        // kind "run", done
  std::string callback_url;            // empty: none
  std::string callback_state;          // "", "pending", "delivered", "failed"
  int callback_attempts = 0;
  std::string problem_id;  // kind "grade": the problem (JobSubmission::problem_id); else empty
  std::string image;       // the image its pods use: a run job's RunJob::image, a grade job's
                           // problem's (JobSubmission::image); "" = the executor's default
  std::string org_id;      // the organization it counts against (codeyard/orgs.hpp); "" on
                           // insert = the owner's personal organization
};

// What the executor reported for a job's processes (usage metering, codeyard/usage.hpp): CPU
// and wall milliseconds summed over them, the largest peak memory. Recorded with the job's
// result, in its completion transaction, on the day it finished.
struct JobUsage {
  int64_t cpu_ms = 0;
  int64_t wall_ms = 0;
  uint64_t peak_memory_bytes = 0;
};

// What a handler returns: the verdict (for metrics and Stats: "ok", "accepted", ...), the
// kind's result bytes, stored with the job, and what its processes used.
struct JobOutcome {
  std::string verdict;
  std::string data;
  JobUsage usage{};  // "{}": initializers giving only verdict and data need no change
};

// Runs one job of a kind on a worker thread. An error finishes the job as internal_error with
// the message (retrying the same payload would fail again); a worker that dies mid-job leaves
// it to the lease. May take long: the worker's heartbeat keeps the lease meanwhile.
using JobHandler = std::function<Result<JobOutcome>(const Job& job)>;
// Runs in the completion transaction of a job of its kind, after the job row is final; an
// error rolls the completion back (the job stays running and is retried once its lease ends).
using JobCompletionHook =
    std::function<Result<void>(Transaction& tx, const Job& job, const JobOutcome& outcome)>;

// One submitted job: kind "run" with `run` set, or a registered kind with its payload bytes.
struct JobSubmission {
  std::string kind{kRunJobKind};
  RunJob run;
  std::string payload;
  std::string callback_url;  // optional; see JobsOptions::callback_hosts
  std::string problem_id;    // kind "grade": the problem, stored in its own column for lists
  std::string image;         // kind other than "run": the image it runs on, for Job::image (a run
                             // job's is run.image)
  // The organization (id or slug) it counts against, which the submitter must belong to
  // (kNotFound otherwise); "" = the submitter's personal organization. Its jobs-per-day quotas
  // are checked at submission (codeyard/orgs.hpp).
  std::string org_id{};
};

// A user's standing under the per-user limits after a Submit (for RateLimit headers): the
// tighter of the per-minute and per-day limits. limit 0 = no limit.
struct JobQuota {
  std::string key;  // "limits.jobs_per_minute" or "limits.jobs_per_day"
  int64_t limit = 0;
  int64_t remaining = 0;
  int64_t reset_s = 0;  // seconds until the window ends
};

struct Submitted {
  std::vector<std::string> ids;
  JobQuota quota;
};

struct QueueStats {
  int64_t depth = 0;    // queued now
  int64_t running = 0;  // claimed and not done
  int64_t done_last_minute = 0;
  int64_t wait_p50_ms = 0;  // queue wait (created to first claim) of jobs claimed in the window
  int64_t wait_p95_ms = 0;
  int64_t window_s = 300;
};

// Counted in this process since it started, for metrics.
struct JobCounters {
  uint64_t callbacks_delivered = 0;
  uint64_t callbacks_failed = 0;  // attempts that failed (each is retried until the last)
  std::map<std::string, uint64_t> by_verdict;  // jobs this process finished
  uint64_t retries = 0;                        // claims of a job whose earlier lease had expired
  uint64_t lost = 0;                           // completions refused: the lease had been taken
  uint64_t gave_up = 0;  // jobs finished internal_error after jobs.max_attempts
};

// Told after each job this process finished (for histograms): seconds queued before the first
// claim, seconds the last attempt ran, and the verdict.
struct JobTiming {
  double wait_s = 0;
  double run_s = 0;
  std::string verdict;
};

class Jobs {
 public:
  Jobs(std::shared_ptr<Platform> platform, std::shared_ptr<Runner> runner, JobsOptions options);
  Jobs(const Jobs&) = delete;
  Jobs& operator=(const Jobs&) = delete;
  ~Jobs();  // stops the workers, after the jobs they run

  // Adds a kind (before Start). kAlreadyExists for a kind already there ("run" included).
  [[nodiscard]] Result<void> Register(std::string kind, JobHandler handler,
                                      JobCompletionHook on_complete = nullptr);

  // Starts the workers and the heartbeat (idempotent). Without it jobs are stored and
  // answered, and other processes' workers run them.
  void Start();

  // Claims the next job this process can run and runs it to its end on the calling thread,
  // as a worker thread does (claim, run, result and hook in one transaction): for embedders
  // that run their own threads instead of Start(), and tests. false when nothing was
  // claimable; the claim's error when claiming failed. A result that cannot be recorded is
  // logged and the job stays claimed until its lease ends (another attempt runs it), as for
  // a worker. No heartbeat renews the claim unless Start() was called.
  [[nodiscard]] Result<bool> RunOne();

  // One heartbeat round, as the heartbeat thread runs it every third of `jobs.lease_s`:
  // renews the lease of every job this process runs (its workers' and RunOne's). A renewal
  // that fails is logged and tried again the next round (a lease outlasts two failed ones);
  // returns how many were renewed. For embedders that run their own threads, and tests.
  int RenewClaims();

  // One round of result callbacks, as the callback thread runs it every `jobs.poll_ms`: takes
  // up to 16 due deliveries (held, so that no other process sends them meanwhile), POSTs each
  // and records how it went. A delivery whose record fails is sent again once its hold lapses
  // (20 s): a receiver gets each result at least once. Returns how many were delivered (2xx).
  int DeliverCallbacks();

  // Queues jobs of `user_id`, all or none in one transaction (1 to kMaxJobBatch). Errors:
  // kInvalidArgument (a bad request, naming which), kUnavailable (queue full), kResourceExhausted
  // (a per-user limit), both WithLimit with a wait.
  [[nodiscard]] Result<Submitted> Submit(std::string_view user_id, std::vector<JobSubmission> jobs);

  // The job, if `user_id` owns it (kNotFound otherwise, as for a missing one). With a wait, it
  // returns as soon as the job is done or the wait is over (at most 30 s), whichever is first.
  [[nodiscard]] Result<Job> Get(std::string_view user_id, std::string_view id,
                                std::chrono::milliseconds wait = {});

  // The user's jobs, newest first, without payloads and results.
  [[nodiscard]] Result<Page<Job>> List(std::string_view user_id, const PageRequest& page);

  [[nodiscard]] Result<QueueStats> Stats();
  // Queued jobs now (one count query), for the depth gauge.
  [[nodiscard]] Result<int64_t> Depth();

  [[nodiscard]] JobCounters Counters() const;
  // Called on the worker thread after each job this process finished (any time; the last set
  // wins).
  void SetObserver(std::function<void(const JobTiming&)> observer);

  // A run job checked against the maxima, as the Runner will run it.
  [[nodiscard]] Result<RunRequest> ToRunRequest(const RunJob& job) const;

  [[nodiscard]] const JobsOptions& options() const;

  // admin20 (codeyard/admin.hpp): an admin's interventions on any owner's job; the caller
  // (Admin) checks who asks, and `audit` runs in the same transaction. kNotFound for an unknown
  // id. Cancel finishes a queued or running job as internal_error ("cancelled by an admin"),
  // running its kind's completion hook, and fences off a worker still running it (its result
  // is dropped); kFailedPrecondition once done. Retry queues a done job again with
  // jobs.max_attempts more claims (its result cleared; the hook and any callback run again
  // when it finishes); kFailedPrecondition unless done.
  using AdminAudit = std::function<Result<void>(Transaction& tx, const Job& job)>;
  [[nodiscard]] Result<Job> Cancel(std::string_view id, const AdminAudit& audit);
  [[nodiscard]] Result<Job> Retry(std::string_view id, const AdminAudit& audit);

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// The encoding of a run job's result in Job::result (JSON with the fields of POST /run).
[[nodiscard]] std::string EncodeRunResult(const RunResult& result);
[[nodiscard]] Result<RunResult> DecodeRunResult(std::string_view data);

}  // namespace codeyard
