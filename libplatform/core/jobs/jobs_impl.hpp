// The Jobs service's private state, shared by its two halves: the calls (jobs.cpp: Submit,
// Get, List, Stats) and the background threads (workers.cpp: claim, run, heartbeat, finish).
// Lock order: mu_ only; no storage call is made while holding it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "codeyard/jobs.hpp"
#include "codeyard/platform.hpp"

namespace codeyard {

class Jobs::Impl {
 public:
  Impl(Jobs& self, std::shared_ptr<Platform> platform, std::shared_ptr<Runner> runner,
       JobsOptions options);
  ~Impl();

  Result<void> Register(std::string kind, JobHandler handler, JobCompletionHook hook);
  void Start();
  Result<bool> RunOne();
  int RenewClaims();       // one heartbeat round (workers.cpp)
  int DeliverCallbacks();  // one callback round (callbacks.cpp)
  Result<Submitted> Submit(std::string_view user_id, std::vector<JobSubmission> jobs);
  Result<Job> Get(std::string_view user_id, std::string_view id, std::chrono::milliseconds wait);
  Result<Page<Job>> List(std::string_view user_id, const PageRequest& page);
  Result<QueueStats> Stats();
  Result<int64_t> Depth();
  JobCounters Counters() const;
  void SetObserver(std::function<void(const JobTiming&)> observer);
  const JobsOptions& options() const { return options_; }
  // k18: the executor a job's image is checked against (ToRunRequest); null when the
  // platform opened none (the Runner was given its own).
  Executor* executor() const { return platform_->executor().get(); }
  // admin20: jobs_admin.cpp.
  Result<Job> Cancel(std::string_view id, const AdminAudit& audit);
  Result<Job> Retry(std::string_view id, const AdminAudit& audit);

 private:
  struct Kind {
    JobHandler handler;
    JobCompletionHook hook;
  };
  struct Held {
    int attempt = 0;
    std::string worker;
    // Set before the result is written: a renewal refused from then on is the job ending,
    // not its lease lost (race21).
    bool finishing = false;
  };

  // workers.cpp
  void WorkerLoop(int index);
  void HeartbeatLoop();
  // True when job `id` is no longer run here, or its result is being recorded.
  bool Finishing(std::string_view id);
  void CallbackLoop();  // callbacks.cpp
  Result<std::optional<Job>> ClaimOne(const std::string& worker);
  void RunClaimed(Job job, const std::string& worker);
  Result<JobOutcome> Execute(const Job& job);
  // Finishes the claim (job.attempt, worker) with `outcome` and the kind's hook, in one
  // transaction; false when the claim had been taken.
  Result<bool> Finish(const Job& job, const std::string& worker, const JobOutcome& outcome);
  JobOutcome Failed(const Job& job, std::string message) const;
  const Kind* KindOf(std::string_view kind) const;
  // Seconds a client refused for a full queue should wait: what the excess takes to drain at
  // this process's recent pace.
  int64_t DrainSeconds(int64_t excess) const;

  Jobs& self_;
  std::shared_ptr<Platform> platform_;
  std::shared_ptr<Runner> runner_;
  JobsOptions options_;

  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // workers: a Submit in this process, or stopping
  std::condition_variable done_cv_;  // waiters: a job finished in this process
  uint64_t submits_ = 0;
  uint64_t finishes_ = 0;
  bool started_ = false;
  bool stopping_ = false;
  std::map<std::string, Kind, std::less<>> kinds_;
  std::map<std::string, Held, std::less<>> held_;  // job id -> this process's running claims
  JobCounters counters_;
  double mean_run_s_ = 1.0;  // moving average of run times here, for DrainSeconds
  std::function<void(const JobTiming&)> observer_;
  std::vector<std::thread> workers_;
  std::thread heartbeat_;
  std::thread callbacks_;
};

}  // namespace codeyard
