// Organization quotas under races (issue 20): N parallel actions at a quota's limit, split over
// two storage handles (two replicas on one database), on every backend: exactly the limit
// succeeds and the others are refused with resource_exhausted naming the quota. Each action
// runs as the library runs it: the check in the transaction of the action it limits.
#include <catch2/catch.hpp>

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

#include "codeyard/id.hpp"
#include "core/files/file_ops.hpp"
#include "core/orgs/org_rules.hpp"
#include "core/store/jobs.hpp"
#include "core/store/orgs.hpp"
#include "core/store/pods.hpp"
#include "core/store/reviews.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "core/store/workspaces.hpp"
#include "core/try.hpp"
#include "storage/backend_fixture.hpp"

namespace codeyard {
namespace {

namespace st = store;

constexpr int kActions = 8;
constexpr int64_t kLimit = 3;
constexpr int64_t kNow = 1'700'000'000'000;

struct OrgWorld {
  std::unique_ptr<testing::TestDatabase> db;
  std::unique_ptr<Storage> second;  // another replica's handle on the same database
  std::string org_id;
  std::vector<std::string> users;       // kActions members
  std::vector<std::string> workspaces;  // one per member, in the organization

  Storage& replica(int i) const { return i % 2 == 0 ? db->storage() : *second; }
};

template <class Backend>
OrgWorld MakeWorld(const OrgQuotas& org_quotas) {
  OrgWorld w;
  w.db = Backend::Create();
  w.second = testing::OpenOrDie(w.db->uri());
  Org org;
  org.id = NewUuid();
  org.name = "CS 101";
  org.slug = "cs101";
  org.created_at = org.updated_at = 1;
  org.org_quotas = org_quotas;
  w.org_id = org.id;
  auto made = st::Transact(w.db->storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
    CY_CHECK(st::orgs::Insert(tx, org));
    for (int i = 0; i < kActions; ++i) {
      User u;
      u.id = NewUuid();
      u.username = "u" + std::to_string(i);
      u.password_hash = "h";
      u.reviewer_level = 1;
      CY_CHECK(st::users::Insert(tx, u));
      CY_CHECK(st::orgs::AddMember(tx, OrgMember{org.id, u.id, OrgRole::kMember, 1}));
      Workspace ws{NewUuid(), u.id, "w", WorkspaceState::kStopped, 0, 0, 1, 1, 1};
      ws.org_id = org.id;
      CY_CHECK(st::workspaces::Insert(tx, ws));
      w.users.push_back(u.id);
      w.workspaces.push_back(ws.id);
    }
    return {};
  });
  REQUIRE(made);
  return w;
}

// Runs action(i, storage) for every i at once from kActions threads over both handles;
// returns how many succeeded, after checking that every failure is the quota's refusal.
int Race(const OrgWorld& w, const std::string& quota, const std::string& in_use,
         const std::function<Result<void>(int, Storage&)>& action) {
  std::atomic<int> ready{0};
  std::vector<Result<void>> results(kActions, Fail(Error::Code::kInternal, "not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kActions; ++i) {
    threads.emplace_back([&, i] {
      ++ready;
      while (ready.load() < kActions) std::this_thread::yield();
      results[i] = action(i, w.replica(i));
    });
  }
  for (auto& t : threads) t.join();
  int ok = 0;
  for (const auto& r : results) {
    if (r) {
      ++ok;
      continue;
    }
    INFO(r.error().ToString());
    CHECK(r.error().code() == Error::Code::kResourceExhausted);
    CHECK(r.error().limit() == quota);
    const std::string tail = in_use.find(" in use") == std::string::npos ? " in use" : "";
    CHECK(r.error().message() == "quota " + quota + " of org \"cs101\": " + in_use + tail);
  }
  return ok;
}

TEMPLATE_TEST_CASE("org quotas: parallel pod starts from two replicas stop at the limit",
                   "[storage][orgs][concurrency]", CODEYARD_STORAGE_BACKENDS) {
  OrgQuotas q;
  q.max_running_workspaces = kLimit;
  const OrgWorld w = MakeWorld<TestType>(q);
  const int ok =
      Race(w, "org.max_running_workspaces", "3 of 3", [&](int i, Storage& s) -> Result<void> {
        st::pods::ClaimRequest rq{.workspace_id = w.workspaces[i],
                                  .owner_id = w.users[i],
                                  .replica = i % 2 == 0 ? "a" : "b",
                                  .executor = "local",
                                  .now = kNow,
                                  .lease_ms = 60'000,
                                  .max_running_per_user = 100,
                                  .max_running_total = 100};
        auto claimed = st::Transact(s, TxKind::kWrite,
                                    [&](Transaction& tx) { return st::pods::Claim(tx, rq); });
        if (!claimed) return Fail(claimed.error());
        return {};
      });
  CHECK(ok == kLimit);
}

TEMPLATE_TEST_CASE("org quotas: parallel writes from two replicas stop at the stored bytes",
                   "[storage][orgs][concurrency]", CODEYARD_STORAGE_BACKENDS) {
  OrgQuotas q;
  q.max_stored_bytes = kLimit * 100;
  const OrgWorld w = MakeWorld<TestType>(q);
  const std::string content(100, 'x');
  const int ok = Race(w, "org.max_stored_bytes", "300 of 300 bytes in use; this needs 100 more",
                      [&](int i, Storage& s) -> Result<void> {
                        auto wrote = st::Transact(s, TxKind::kWrite, [&](Transaction& tx) {
                          return files::WriteFile(tx, w.workspaces[i], "a.txt", content,
                                                  std::nullopt, kNow, FileLimits{});
                        });
                        if (!wrote) return Fail(wrote.error());
                        return {};
                      });
  CHECK(ok == kLimit);
  auto used = st::Transact(w.db->storage(), TxKind::kRead, [&](Transaction& tx) {
    return st::orgs::Count(tx, w.org_id, "", st::orgs::Measure::kStoredBytes, 0);
  });
  REQUIRE(used);
  CHECK(*used == kLimit * 100);
}

TEMPLATE_TEST_CASE("org quotas: parallel job submissions from two replicas stop at the day's",
                   "[storage][orgs][concurrency]", CODEYARD_STORAGE_BACKENDS) {
  OrgQuotas q;
  q.max_jobs_per_day = kLimit;
  const OrgWorld w = MakeWorld<TestType>(q);
  const int ok =
      Race(w, "org.max_jobs_per_day", "3 of 3 jobs today", [&](int i, Storage& s) -> Result<void> {
        return st::Transact(s, TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
          CY_CHECK(orgs::CheckJobsPerDay(tx, w.org_id, w.users[i], kNow));
          Job job;
          job.id = NewUuid();
          job.owner_id = w.users[i];
          job.org_id = w.org_id;
          job.kind = "run";
          job.payload = "p";
          job.max_attempts = 1;
          job.created_at = kNow;
          return st::jobs::Insert(tx, job);
        });
      });
  CHECK(ok == kLimit);
  // Tomorrow the count starts again.
  auto tomorrow = st::Transact(w.db->storage(), TxKind::kWrite, [&](Transaction& tx) {
    return orgs::CheckJobsPerDay(tx, w.org_id, w.users[0], kNow + 86'400'000);
  });
  CHECK(tomorrow.has_value());
}

TEMPLATE_TEST_CASE("org quotas: parallel review claims from two replicas stop at open claims",
                   "[storage][orgs][concurrency]", CODEYARD_STORAGE_BACKENDS) {
  OrgQuotas q;
  q.max_open_claims = kLimit;
  const OrgWorld w = MakeWorld<TestType>(q);
  std::vector<Review> reviews;
  auto made = st::Transact(w.db->storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
    for (int i = 0; i < kActions; ++i) {
      Review r;
      r.id = NewUuid();
      r.author_id = w.users[i];
      r.workspace_id = w.workspaces[i];
      r.org_id = w.org_id;
      r.title = "r" + std::to_string(i);
      r.created_at = r.updated_at = kNow;
      CY_CHECK(st::reviews::Insert(tx, r));
      reviews.push_back(r);
    }
    return {};
  });
  REQUIRE(made);
  // Reviewer i claims the review of member i + 1, as Reviews::Claim does.
  const int ok = Race(w, "org.max_open_claims", "3 of 3", [&](int i, Storage& s) -> Result<void> {
    return st::Transact(s, TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
      Review r = reviews[(i + 1) % kActions];
      CY_CHECK(orgs::CheckOpenClaims(tx, r.org_id, w.users[i]));
      r.status = ReviewStatus::kInReview;
      r.reviewer_id = w.users[i];
      CY_TRY(const Review updated, st::reviews::UpdateIf(tx, r, kNow));
      (void)updated;
      return {};
    });
  });
  CHECK(ok == kLimit);
}

}  // namespace
}  // namespace codeyard
