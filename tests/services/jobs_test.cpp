// The Jobs service on both storage backends with the real local sandbox: workers run queued
// run jobs through the Runner and its warm pool, a registered kind gets its payload and its
// completion hook runs inside the completion transaction (a failing hook leaves the job to a
// later attempt), and admission (queue depth, per-user limits, the limits' maxima) refuses in
// the library with the configuration key and a wait.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "codeyard/backend/registry.hpp"
#include "codeyard/id.hpp"
#include "codeyard/jobs.hpp"
#include "codeyard/usage.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "services/workspace_world.hpp"
#include "storage/backend_fixture.hpp"

namespace codeyard {
namespace {

using Code = Error::Code;
using std::chrono::milliseconds;

class JobsWorld {
 public:
  explicit JobsWorld(std::unique_ptr<testing::TestDatabase> db, JobsOptions options = Defaults())
      : db_(std::move(db)),
        clock_(std::make_shared<ManualClock>()),
        platform_(testing::OpenTestPlatform(*db_, clock_)) {
    RunnerOptions runner_options;
    runner_options.pool_size = 1;
    auto runner =
        Runner::Create(testing::OpenLocalExecutor("cy-jobs-", &state_dir_), runner_options);
    if (!runner) FAIL("runner: " << runner.error().ToString());
    runner_ = std::move(*runner);
    options.replica_id = "test";
    jobs = std::make_unique<Jobs>(platform_, runner_, options);
  }
  ~JobsWorld() {
    jobs.reset();
    runner_.reset();
    std::error_code ec;
    std::filesystem::remove_all(state_dir_, ec);
  }

  static JobsOptions Defaults() {
    JobsOptions o;
    o.workers = 2;
    o.poll = milliseconds(20);
    o.lease = std::chrono::seconds(5);
    return o;
  }

  std::string NewUser() {
    User user;
    user.id = NewUuid();
    user.username = "u" + user.id.substr(0, 8);
    user.password_hash = "$argon2id$test-only";
    auto inserted = store::Transact(platform_->storage(), TxKind::kWrite, [&](Transaction& tx) {
      return store::users::Insert(tx, user);
    });
    if (!inserted) FAIL("insert user: " << inserted.error().ToString());
    return user.id;
  }

  ManualClock& clock() { return *clock_; }
  const std::shared_ptr<Platform>& shared_platform() const { return platform_; }  // usage20
  std::unique_ptr<Jobs> jobs;

 private:
  std::unique_ptr<testing::TestDatabase> db_;
  std::shared_ptr<ManualClock> clock_;
  std::shared_ptr<Platform> platform_;
  std::shared_ptr<Runner> runner_;
  std::filesystem::path state_dir_;
};

JobSubmission Python(std::string source, std::string stdin_data = "") {
  JobSubmission s;
  s.run.language = "python";
  s.run.files = {FileData{"main.py", FileKind::kFile, std::move(source), 0644, std::nullopt}};
  s.run.stdin_data = std::move(stdin_data);
  return s;
}

JobSubmission C(std::string source) {
  JobSubmission s;
  s.run.language = "c";
  s.run.files = {FileData{"main.c", FileKind::kFile, std::move(source), 0644, std::nullopt}};
  return s;
}

// The user's usage rows, which must be one day's.
UsageRow OnlyDay(JobsWorld& world, const std::string& user) {
  Usage usage(world.shared_platform());
  auto report = usage.ForUser(user, {});
  REQUIRE(report.has_value());
  REQUIRE(report->days.size() == 1);
  return report->days[0];
}

Job WaitDone(Jobs& jobs, const std::string& user, const std::string& id) {
  auto job = jobs.Get(user, id, milliseconds(30000));
  REQUIRE(job.has_value());
  REQUIRE(job->state == JobState::kDone);
  return *job;
}

// The counters once they count `finished` jobs: a worker counts a job just after its
// completion commits, so a reader who saw the job done may be a moment ahead of them.
JobCounters CountersAfter(const Jobs& jobs, uint64_t finished) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    JobCounters counters = jobs.Counters();
    uint64_t counted = 0;
    for (const auto& [verdict, n] : counters.by_verdict) counted += n;
    if (counted >= finished || std::chrono::steady_clock::now() > deadline) return counters;
    std::this_thread::sleep_for(milliseconds(10));
  }
}

TEMPLATE_TEST_CASE("jobs: workers run queued jobs in the sandbox", "[services][jobs]",
                   CODEYARD_STORAGE_BACKENDS) {
  JobsWorld world(TestType::Create());
  Jobs& jobs = *world.jobs;
  jobs.Start();
  const std::string user = world.NewUser();
  auto submitted = jobs.Submit(user, {Python("print('hello', input())", "ada"),
                                      Python("import sys\nsys.exit(3)"), C("int main( {")});
  REQUIRE(submitted.has_value());
  REQUIRE(submitted->ids.size() == 3);
  CHECK(submitted->quota.key == "limits.jobs_per_minute");
  CHECK(submitted->quota.remaining == 60 - 3);

  const Job hello = WaitDone(jobs, user, submitted->ids[0]);
  REQUIRE(hello.run.has_value());
  CHECK(hello.run->verdict == Verdict::kOk);
  CHECK(hello.run->stdout_data == "hello ada\n");
  CHECK(hello.attempt == 1);
  CHECK(hello.verdict == "ok");
  const Job failed = WaitDone(jobs, user, submitted->ids[1]);
  CHECK(failed.run->verdict == Verdict::kRuntimeError);
  CHECK(failed.run->status.exit_code == 3);
  const Job compile = WaitDone(jobs, user, submitted->ids[2]);
  CHECK(compile.run->verdict == Verdict::kCompileError);
  CHECK_FALSE(compile.run->compile_output.empty());

  const JobCounters counters = CountersAfter(jobs, 3);
  CHECK(counters.by_verdict.at("ok") == 1);
  CHECK(counters.by_verdict.at("runtime_error") == 1);
  CHECK(counters.by_verdict.at("compile_error") == 1);
  CHECK(counters.retries == 0);
  // Nobody else sees them.
  CHECK(jobs.Get(world.NewUser(), hello.id).error().code() == Code::kNotFound);
  auto stats = jobs.Stats();
  REQUIRE(stats.has_value());
  CHECK(stats->depth == 0);
  CHECK(stats->running == 0);
  CHECK(stats->done_last_minute == 3);
}

TEMPLATE_TEST_CASE("jobs: a registered kind's hook runs in the completion transaction",
                   "[services][jobs]", CODEYARD_STORAGE_BACKENDS) {
  JobsWorld world(TestType::Create());
  Jobs& jobs = *world.jobs;
  std::atomic<int> handled{0};
  std::atomic<int> hooked{0};
  REQUIRE(jobs.Register(
      "reverse",
      [&](const Job& job) -> Result<JobOutcome> {
        ++handled;
        return JobOutcome{"accepted", std::string(job.payload.rbegin(), job.payload.rend())};
      },
      [&](Transaction& tx, const Job& job, const JobOutcome& outcome) -> Result<void> {
        // The first completion fails after the row was written: it must roll back with it.
        if (++hooked == 1) return Fail(Code::kUnavailable, "hook: not now");
        CHECK(outcome.data == "cba");
        // Inside the transaction the row is already final.
        auto rows = tx.Query("SELECT state FROM jobs WHERE id = ?", {Value{job.id}});
        REQUIRE(rows.has_value());
        CHECK(rows->front().Text(0).value() == "done");
        return {};
      }));
  CHECK(jobs.Register("reverse", [](const Job&) { return Result<JobOutcome>(JobOutcome{}); })
            .error()
            .code() == Code::kAlreadyExists);
  jobs.Start();
  const std::string user = world.NewUser();
  JobSubmission s;
  s.kind = "reverse";
  s.payload = "abc";
  auto submitted = jobs.Submit(user, {s});
  REQUIRE(submitted.has_value());
  const std::string id = submitted->ids.front();

  // The first attempt's completion was rolled back: the job stays running under its lease.
  for (int i = 0; i < 500 && hooked.load() == 0; ++i) {  // up to 10 s
    REQUIRE(jobs.Get(user, id, milliseconds(20)).has_value());
  }
  REQUIRE(hooked.load() == 1);
  auto first = jobs.Get(user, id);
  REQUIRE(first.has_value());
  CHECK(first->state == JobState::kRunning);
  CHECK(first->attempt == 1);
  // Once the lease is over, another attempt runs it and completes it once.
  world.clock().Advance(std::chrono::seconds(6));
  const Job done = WaitDone(jobs, user, id);
  CHECK(done.attempt == 2);
  CHECK(done.verdict == "accepted");
  CHECK(done.result == "cba");
  CHECK(handled.load() == 2);
  CHECK(hooked.load() == 2);
  CHECK(jobs.Counters().retries == 1);

  JobSubmission unknown;
  unknown.kind = "nope";
  CHECK(jobs.Submit(user, {unknown}).error().code() == Code::kInvalidArgument);
}

TEMPLATE_TEST_CASE("jobs: admission refuses in the library with the key and a wait",
                   "[services][jobs]", CODEYARD_STORAGE_BACKENDS) {
  JobsOptions options = JobsWorld::Defaults();
  options.workers = 0;  // nothing runs: the queue's depth is exact
  options.max_queue_depth = 3;
  options.jobs_per_minute = 4;
  JobsWorld world(TestType::Create(), options);
  Jobs& jobs = *world.jobs;
  const std::string ada = world.NewUser();
  const std::string bob = world.NewUser();

  auto two = jobs.Submit(ada, {Python("1"), Python("2")});
  REQUIRE(two.has_value());
  CHECK(two->quota.remaining == 2);
  // A batch that would pass the depth is refused whole, and not charged to the user.
  auto full = jobs.Submit(ada, {Python("3"), Python("4")});
  REQUIRE_FALSE(full.has_value());
  CHECK(full.error().code() == Code::kUnavailable);
  CHECK(full.error().limit() == "jobs.max_queue_depth");
  CHECK(full.error().retry_after_s() >= 1);
  CHECK(full.error().message().find("2 jobs queued") != std::string::npos);
  auto third = jobs.Submit(ada, {Python("3")});
  REQUIRE(third.has_value());
  CHECK(third->quota.remaining == 1);
  CHECK(jobs.Depth().value() == 3);
  CHECK(jobs.Submit(bob, {Python("x")}).error().code() == Code::kUnavailable);

  CHECK(jobs.Submit(ada, {Python("4")}).error().code() == Code::kUnavailable);
}

TEMPLATE_TEST_CASE("jobs: per-user limits count in storage and refuse with the wait",
                   "[services][jobs]", CODEYARD_STORAGE_BACKENDS) {
  JobsOptions options = JobsWorld::Defaults();
  options.workers = 0;
  options.jobs_per_minute = 3;
  options.jobs_per_day = 5;
  JobsWorld world(TestType::Create(), options);
  Jobs& jobs = *world.jobs;
  const std::string ada = world.NewUser();
  REQUIRE(jobs.Submit(ada, {Python("1"), Python("2")}).has_value());
  auto over = jobs.Submit(ada, {Python("3"), Python("4")});
  REQUIRE_FALSE(over.has_value());
  CHECK(over.error().code() == Code::kResourceExhausted);
  CHECK(over.error().limit() == "limits.jobs_per_minute");
  CHECK(over.error().retry_after_s() >= 1);
  CHECK(over.error().retry_after_s() <= 60);
  auto last = jobs.Submit(ada, {Python("3")});  // the refused batch was not charged
  REQUIRE(last.has_value());
  CHECK(last->quota.remaining == 0);
  CHECK(jobs.Submit(ada, {Python("4")}).error().limit() == "limits.jobs_per_minute");
  // A new minute: the day's limit is the tighter one now.
  world.clock().Advance(std::chrono::seconds(61));
  auto next = jobs.Submit(ada, {Python("5")});
  REQUIRE(next.has_value());
  CHECK(next->quota.key == "limits.jobs_per_day");
  CHECK(next->quota.remaining == 1);
  REQUIRE(jobs.Submit(ada, {Python("6")}).has_value());
  auto day = jobs.Submit(ada, {Python("7")});
  CHECK(day.error().limit() == "limits.jobs_per_day");
  CHECK(day.error().retry_after_s() > 60);
  CHECK(jobs.Submit(world.NewUser(), {Python("x")}).has_value());  // others are not held back
}

TEMPLATE_TEST_CASE("jobs: a run's limits are checked against the configured maxima",
                   "[services][jobs]", CODEYARD_STORAGE_BACKENDS) {
  JobsOptions options = JobsWorld::Defaults();
  options.workers = 0;
  options.max_time_limit_s = 2;
  JobsWorld world(TestType::Create(), options);
  Jobs& jobs = *world.jobs;
  const std::string ada = world.NewUser();
  auto refused = [&](JobSubmission s, std::string_view words) {
    auto r = jobs.Submit(ada, {std::move(s)});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code() == Code::kInvalidArgument);
    CHECK(r.error().message().find(words) != std::string::npos);
  };
  JobSubmission slow = Python("1");
  slow.run.time_limit_s = 3;
  refused(slow, "jobs.max_time_limit_s");
  JobSubmission big = Python("1");
  big.run.memory_limit_mb = 4096;
  refused(big, "memory_limit_mb");
  JobSubmission no_source = Python("1");
  no_source.run.language = "cpp";
  refused(no_source, "no source files");
  JobSubmission up = Python("1");
  up.run.files.front().path = "../up.py";
  refused(up, "files");
  refused(JobSubmission{}, "language");
  JobSubmission nul = Python("1");
  nul.run.args = {std::string("a\0b", 3)};
  refused(nul, "NUL");
  CHECK(jobs.Submit(ada, {}).error().code() == Code::kInvalidArgument);
  std::vector<JobSubmission> many(kMaxJobBatch + 1, Python("1"));
  CHECK(jobs.Submit(ada, many).error().code() == Code::kInvalidArgument);
  JobSubmission fine = Python("1");
  fine.run.time_limit_s = 2;
  auto request = jobs.ToRunRequest(fine.run);
  REQUIRE(request.has_value());
  CHECK(request->limits.cpu_time == milliseconds(2000));
  CHECK(jobs.ToRunRequest(Python("1").run)->limits == RunLimits{});  // the warm pool's
}

// usage20: a job's usage is what the executor reported for its run, recorded with its result.
TEMPLATE_TEST_CASE("jobs: a finished job's usage is recorded with its result", "[services][jobs]",
                   CODEYARD_STORAGE_BACKENDS) {
  JobsWorld world(TestType::Create());
  Jobs& jobs = *world.jobs;
  jobs.Start();
  const std::string user = world.NewUser();
  auto submitted = jobs.Submit(
      user,
      {Python("import time\nwhile time.process_time() < 0.3:\n    pass\n"), Python("print(1)")});
  REQUIRE(submitted.has_value());
  const Job busy = WaitDone(jobs, user, submitted->ids[0]);
  const Job quick = WaitDone(jobs, user, submitted->ids[1]);
  REQUIRE(busy.run.has_value());
  REQUIRE(quick.run.has_value());
  CHECK(busy.run->status.cpu_ms >= 300);

  const UsageRow day = OnlyDay(world, user);
  CHECK(day.jobs == 2);
  CHECK(day.runs == 0);
  CHECK(day.cpu_ms == busy.run->status.cpu_ms + quick.run->status.cpu_ms);
  CHECK(day.wall_ms == busy.run->status.wall_ms + quick.run->status.wall_ms);
  CHECK(day.peak_memory_bytes ==
        static_cast<int64_t>(std::max(busy.run->status.memory_kb, quick.run->status.memory_kb)) *
            1024);
}

TEMPLATE_TEST_CASE("jobs: a compiled job's usage counts its compile step",
                   "[services][jobs][meter20]", CODEYARD_STORAGE_BACKENDS) {
  JobsWorld world(TestType::Create());
  Jobs& jobs = *world.jobs;
  jobs.Start();
  const std::string user = world.NewUser();
  auto submitted = jobs.Submit(user, {C("int main(void) { return 0; }\n")});
  REQUIRE(submitted.has_value());
  const Job done = WaitDone(jobs, user, submitted->ids[0]);
  REQUIRE(done.run.has_value());
  REQUIRE(done.run->verdict == Verdict::kOk);
  REQUIRE(done.run->compile_ms > 0);

  const UsageRow day = OnlyDay(world, user);
  CHECK(day.jobs == 1);
  // The compiler (cc1 and the linker: tens of milliseconds at least) beside the program's
  // own few; its wall time from its start to its reaping, within the step's compile_ms.
  CHECK(day.cpu_ms >= done.run->status.cpu_ms + 10);
  CHECK(day.wall_ms > done.run->status.wall_ms);
  CHECK(day.wall_ms <= done.run->status.wall_ms + done.run->compile_ms);
}

}  // namespace
}  // namespace codeyard
