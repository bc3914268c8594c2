// The job queue's repository (store/jobs) on every backend: claims in age order, concurrent
// claimers on separate connections never sharing a job, re-claim after a lease expires, the
// last attempt finished as internal_error, and fencing: a completion or renewal by a claim
// that was taken over changes nothing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "codeyard/id.hpp"
#include "core/store/jobs.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "storage/backend_fixture.hpp"

namespace codeyard {
namespace {

namespace jobs = store::jobs;

constexpr int64_t kLeaseMs = 1000;

std::string NewUser(Storage& s) {
  const std::string id = NewUuid();
  REQUIRE(store::Transact(s, TxKind::kWrite, [&](Transaction& tx) {
    return store::users::Insert(
        tx, User{id, "u" + id.substr(0, 8), "", "h", Role::kUser, 0, false, 1, 1, 1});
  }));
  return id;
}

std::string Queue(Storage& s, const std::string& owner, int64_t created_at, int max_attempts = 3) {
  Job job;
  job.id = NewUuid();
  job.owner_id = owner;
  job.kind = "run";
  job.max_attempts = max_attempts;
  job.created_at = created_at;
  job.payload = std::string("payload\0\xff", 9);  // bytes, not text
  REQUIRE(
      store::Transact(s, TxKind::kWrite, [&](Transaction& tx) { return jobs::Insert(tx, job); }));
  return job.id;
}

JobOutcome GiveUp(const Job& job) {
  return {"internal_error", "gave up after " + std::to_string(job.attempt)};
}

jobs::Claimed Claim(Storage& s, const std::string& worker, int64_t now) {
  auto claimed = store::Transact(s, TxKind::kWrite, [&](Transaction& tx) {
    return jobs::ClaimNext(tx, worker, now, kLeaseMs, GiveUp);
  });
  REQUIRE(claimed);
  return *claimed;
}

Job Get(Storage& s, const std::string& id) {
  auto got = store::Transact(s, TxKind::kRead, [&](Transaction& tx) { return jobs::Get(tx, id); });
  REQUIRE(got);
  REQUIRE(got->has_value());
  return **got;
}

bool Finish(Storage& s, const Job& claim, const std::string& worker, int64_t now) {
  auto done = store::Transact(s, TxKind::kWrite, [&](Transaction& tx) {
    return jobs::Finish(tx, claim.id, claim.attempt, worker, "ok", "by " + worker, now);
  });
  REQUIRE(done);
  return *done;
}

bool Renew(Storage& s, const Job& claim, const std::string& worker, int64_t until) {
  auto renewed = store::Transact(s, TxKind::kWrite, [&](Transaction& tx) {
    return jobs::Renew(tx, claim.id, claim.attempt, worker, until);
  });
  REQUIRE(renewed);
  return *renewed;
}

TEMPLATE_TEST_CASE("jobs are claimed oldest first, each once", "[storage][jobs]",
                   CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  Storage& s = db->storage();
  const std::string user = NewUser(s);
  const std::string second = Queue(s, user, 200);
  const std::string first = Queue(s, user, 100);
  const std::string third = Queue(s, user, 300);

  const auto a = Claim(s, "r/0", 1000);
  REQUIRE(a.job);
  CHECK(a.job->id == first);
  CHECK(a.job->attempt == 1);
  CHECK(a.job->payload == std::string("payload\0\xff", 9));
  CHECK_FALSE(a.retry);
  CHECK(Claim(s, "r/1", 1000).job->id == second);
  CHECK(Claim(s, "r/0", 1000).job->id == third);
  CHECK_FALSE(Claim(s, "r/1", 1000).job);  // nothing queued, no lease expired

  const Job stored = Get(s, first);
  CHECK(stored.state == JobState::kRunning);
  CHECK(stored.worker == "r/0");
  CHECK(stored.started_at == 1000);
  CHECK(store::Transact(s, TxKind::kRead, [&](Transaction& tx) {
          return jobs::CountQueued(tx);
        }).value() == 0);
}

TEMPLATE_TEST_CASE("concurrent claimers never get the same job", "[storage][jobs]",
                   CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  const std::string user = NewUser(db->storage());
  constexpr int kJobs = 40;
  for (int i = 0; i < kJobs; ++i) Queue(db->storage(), user, 100 + i);

  std::mutex mu;
  std::vector<std::string> claimed;
  std::vector<std::string> failures;  // Catch's macros are not for other threads
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      // Each claimer on its own connection, as workers of separate replicas are.
      auto storage = testing::OpenOrDie(db->uri());
      const std::string worker = "r" + std::to_string(t) + "/0";
      while (true) {
        auto c = store::Transact(*storage, TxKind::kWrite, [&](Transaction& tx) {
          return jobs::ClaimNext(tx, worker, 1000, kLeaseMs, GiveUp);
        });
        std::lock_guard lock(mu);
        if (!c) failures.push_back(c.error().ToString());
        if (!c || !c->job) return;
        claimed.push_back(c->job->id);
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures.empty());
  CHECK(claimed.size() == kJobs);
  CHECK(std::set<std::string>(claimed.begin(), claimed.end()).size() == kJobs);
}

TEMPLATE_TEST_CASE("an expired lease is claimed again, the late finisher loses", "[storage][jobs]",
                   CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  Storage& s = db->storage();
  const std::string user = NewUser(s);
  const std::string id = Queue(s, user, 100);

  const Job first = *Claim(s, "a/0", 1000).job;
  CHECK(first.attempt == 1);
  // Renewed, the lease holds past its first end.
  CHECK(Renew(s, first, "a/0", 2500));
  CHECK_FALSE(Claim(s, "b/0", 2000).job);
  // Expired: another worker takes it, as attempt 2.
  const auto second = Claim(s, "b/0", 2500);
  REQUIRE(second.job);
  CHECK(second.job->id == id);
  CHECK(second.job->attempt == 2);
  CHECK(second.retry);
  CHECK(second.job->started_at == 1000);  // the queue wait ended at the first claim

  // The first holder comes back: its renewal and its result are refused.
  CHECK_FALSE(Renew(s, first, "a/0", 9000));
  CHECK_FALSE(Finish(s, first, "a/0", 2600));
  CHECK(Get(s, id).state == JobState::kRunning);
  CHECK(Finish(s, *second.job, "b/0", 2700));
  CHECK_FALSE(Finish(s, *second.job, "b/0", 2800));  // exactly one final result
  const Job done = Get(s, id);
  CHECK(done.state == JobState::kDone);
  CHECK(done.verdict == "ok");
  CHECK(done.result == "by b/0");
  CHECK(done.attempt == 2);
  CHECK(done.finished_at == 2700);
  CHECK_FALSE(Claim(s, "c/0", 99999).job);  // a done job is never claimed again
}

TEMPLATE_TEST_CASE("a job whose last attempt expired is finished as internal_error",
                   "[storage][jobs]", CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  Storage& s = db->storage();
  const std::string user = NewUser(s);
  const std::string id = Queue(s, user, 100, /*max_attempts=*/2);
  const std::string other = Queue(s, user, 200);

  const Job first = *Claim(s, "a/0", 1000).job;
  CHECK(first.id == id);
  const Job second = *Claim(s, "b/0", 2000).job;  // a's lease ended at 2000
  CHECK(second.id == id);
  CHECK(second.attempt == 2);
  // b dies too: the next claim gives the job up instead of a third attempt.
  const auto gave_up = Claim(s, "c/0", 3000);
  REQUIRE(gave_up.gave_up);
  CHECK_FALSE(gave_up.job);
  CHECK(gave_up.gave_up->id == id);
  const Job done = Get(s, id);
  CHECK(done.state == JobState::kDone);
  CHECK(done.verdict == "internal_error");
  CHECK(done.result == "gave up after 2");
  CHECK(done.attempt == 2);
  CHECK_FALSE(Finish(s, second, "b/0", 3100));  // b's late result loses
  // The queue goes on with the next job.
  CHECK(Claim(s, "c/0", 3000).job->id == other);
}

TEMPLATE_TEST_CASE("a user's jobs are listed newest first in keyset pages", "[storage][jobs]",
                   CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  Storage& s = db->storage();
  const std::string user = NewUser(s);
  const std::string other = NewUser(s);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Queue(s, user, 100 + i));
  Queue(s, other, 150);
  auto page = [&](const std::optional<jobs::PageKey>& before, int64_t limit) {
    auto rows = store::Transact(s, TxKind::kRead, [&](Transaction& tx) {
      return jobs::ListByOwner(tx, user, before, limit);
    });
    REQUIRE(rows);
    return *rows;
  };
  const auto first = page(std::nullopt, 3);
  REQUIRE(first.size() == 3);
  CHECK(first[0].id == ids[4]);
  CHECK(first[2].id == ids[2]);
  CHECK(first[0].payload.empty());  // lists leave the bytes out
  const auto rest = page(jobs::PageKey{first[2].created_at, first[2].id}, 3);
  REQUIRE(rest.size() == 2);
  CHECK(rest[0].id == ids[1]);
  CHECK(rest[1].id == ids[0]);
}

}  // namespace
}  // namespace codeyard
