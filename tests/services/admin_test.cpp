// Administration and the audit log (issue 20, codeyard/admin.hpp, codeyard/audit.hpp) on every
// storage backend: every admin call refuses non-admins with not_found; users, workspaces and
// jobs are administered with an audit record each (actor, target, request id and address from
// the thread's AuditScope); logins, logouts, failures, pods, review decisions and problem
// changes are recorded; the log refuses UPDATE and DELETE in the database itself, but for the
// retention sweep, which one replica at a time runs under its lease.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "codeyard/backend/fake_executor.hpp"
#include "codeyard/services.hpp"
#include "core/store/audit.hpp"
#include "core/store/transact.hpp"
#include "core/try.hpp"
#include "services/must.hpp"
#include "services/world.hpp"
#include "storage/backend_fixture.hpp"

namespace codeyard {
namespace {

using Code = Error::Code;
using testing::Failure;
using testing::kPassword;
using testing::Must;

struct AdminWorld : testing::DatabaseWorld {
  std::shared_ptr<FakeExecutor> fake = std::make_shared<FakeExecutor>();
  std::shared_ptr<Services> services;
  User admin;
  User user;

  Admin& admin_api() const { return services->admin(); }

  std::vector<AuditEntry> Audit(std::string_view action) const {
    AuditFilter filter;
    filter.action = std::string(action);
    return Must(admin_api().Audit(admin.id, filter, PageRequest{200, ""})).items;
  }
};

template <class Backend>
AdminWorld MakeWorld() {
  AdminWorld w;
  w.db = Backend::Create();
  Options options;
  options.storage = w.db->shared();
  options.clock = w.clock;
  options.executor = w.fake;
  ServiceOptions so;
  so.accounts.secret = std::string(40, 's');
  so.accounts.password_cost = kPasswordCostMinimum;
  so.start_background = false;
  so.workspaces.replica_id = "replica-a";  // Admin takes the workspaces' replica id
  so.admin.retention_days = 30;
  w.services = Must(Services::Open(options, so));
  w.admin =
      Must(w.services->accounts().Register({"root", std::string(kPassword), "", Role::kAdmin}));
  w.user = Must(w.services->accounts().Register({"ada", std::string(kPassword), "Ada L", {}}));
  return w;
}

JobSubmission PythonJob() {
  JobSubmission s;
  s.run.language = "python";
  s.run.files = {FileData{"main.py", FileKind::kFile, "print(1)", 0644, std::nullopt}};
  return s;
}

TEMPLATE_TEST_CASE("admin: every call refuses a non-admin with not_found", "[services][admin]",
                   CODEYARD_STORAGE_BACKENDS) {
  AdminWorld w = MakeWorld<TestType>();
  Admin& a = w.admin_api();
  const std::string me = w.user.id;
  const auto hidden = [](const auto& r) { CHECK(Failure(r).code() == Code::kNotFound); };
  hidden(a.ListUsers(me, {}));
  hidden(a.SetDisabled(me, w.admin.id, true));
  hidden(a.SetRole(me, me, Role::kAdmin));
  hidden(a.SetReviewerLevel(me, me, 4));
  hidden(a.ForceLogout(me, w.admin.id));
  hidden(a.ListWorkspaces(me, {}));
  hidden(a.StopWorkspace(me, "nope"));
  hidden(a.JobStats(me));
  hidden(a.ListJobs(me, JobFilter::kQueued, {}));
  hidden(a.RetryJob(me, "nope"));
  hidden(a.CancelJob(me, "nope"));
  hidden(a.Replicas(me));
  hidden(a.Health(me));
  hidden(a.Audit(me, {}, {}));
  hidden(a.Audit("", {}, {}));
  // A disabled admin is no admin.
  const User other =
      Must(w.services->accounts().Register({"root2", std::string(kPassword), "", Role::kAdmin}));
  Must(a.SetDisabled(w.admin.id, other.id, true));
  hidden(a.ListUsers(other.id, {}));
  CHECK(Must(w.services->accounts().GetUser(me)).role == Role::kUser);  // nothing changed
}

TEMPLATE_TEST_CASE("admin: users are listed, searched and changed, each change audited",
                   "[services][admin]", CODEYARD_STORAGE_BACKENDS) {
  AdminWorld w = MakeWorld<TestType>();
  Admin& a = w.admin_api();
  Must(w.services->accounts().Register({"bob_b", std::string(kPassword), "", {}}));
  Must(w.services->accounts().Register({"bobby", std::string(kPassword), "", {}}));

  auto page = Must(a.ListUsers(w.admin.id, {"", {2, ""}}));
  REQUIRE(page.items.size() == 2);
  CHECK(page.items[0].username == "ada");
  CHECK(page.items[0].password_hash.empty());
  REQUIRE(page.next_cursor);
  auto rest = Must(a.ListUsers(w.admin.id, {"", {50, *page.next_cursor}}));
  CHECK(rest.items.size() == 2);  // bobby, root
  CHECK_FALSE(rest.next_cursor);
  // A search matches names in any case; '_' is a character, not a wildcard.
  CHECK(Must(a.ListUsers(w.admin.id, {"BOB", {}})).items.size() == 2);
  auto underscore = Must(a.ListUsers(w.admin.id, {"b_", {}})).items;
  REQUIRE(underscore.size() == 1);
  CHECK(underscore[0].username == "bob_b");
  CHECK(Must(a.ListUsers(w.admin.id, {"ada l", {}})).items.size() == 1);  // the display name

  const Session session = Must(w.services->accounts().Login("ada", kPassword));
  {
    const AuditScope scope({"req-disable", "192.0.2.7"});
    const User disabled = Must(a.SetDisabled(w.admin.id, w.user.id, true));
    CHECK(disabled.disabled);
  }
  // Its login ended: the access token no longer verifies, on any replica (storage says so).
  CHECK(Failure(w.services->accounts().VerifyAccessToken(session.access_token)).code() ==
        Code::kUnauthenticated);
  auto records = w.Audit(audit_action::kDisable);
  REQUIRE(records.size() == 1);
  CHECK(records[0].actor_id == w.admin.id);
  CHECK(records[0].target == w.user.id);
  CHECK(records[0].request_id == "req-disable");
  CHECK(records[0].source == "192.0.2.7");
  CHECK(records[0].ts == w.clock->NowMillis());

  Must(a.SetDisabled(w.admin.id, w.user.id, false));
  CHECK(w.Audit(audit_action::kEnable).size() == 1);
  CHECK(Must(a.SetRole(w.admin.id, w.user.id, Role::kAdmin)).role == Role::kAdmin);
  CHECK(Must(a.SetReviewerLevel(w.admin.id, w.user.id, 3)).reviewer_level == 3);
  CHECK(w.Audit(audit_action::kRole).at(0).detail == R"({"role":"admin"})");
  CHECK(w.Audit(audit_action::kReviewerLevel).at(0).detail == R"({"reviewer_level":3})");
  // The Accounts rules hold: an admin cannot lock themselves out; nothing is recorded then.
  CHECK(Failure(a.SetDisabled(w.admin.id, w.admin.id, true)).code() == Code::kFailedPrecondition);
  CHECK(w.Audit(audit_action::kDisable).size() == 1);

  const Session again = Must(w.services->accounts().Login("ada", kPassword));
  CHECK(Must(a.ForceLogout(w.admin.id, w.user.id)) >= 1);
  CHECK_FALSE(w.services->accounts().VerifyAccessToken(again.access_token).has_value());
  CHECK(w.Audit(audit_action::kForceLogout).size() == 1);
  CHECK(Failure(a.ForceLogout(w.admin.id, "no-such-user")).code() == Code::kNotFound);
}

TEMPLATE_TEST_CASE("admin: logins, failures, logouts, problems and pods are audited",
                   "[services][admin]", CODEYARD_STORAGE_BACKENDS) {
  AdminWorld w = MakeWorld<TestType>();
  Accounts& accounts = w.services->accounts();
  {
    const AuditScope scope({"req-login", "198.51.100.1"});
    const Session s = Must(accounts.Login("ada", kPassword));
    CHECK(Failure(accounts.Login("ada", "wrong password!")).code() == Code::kUnauthenticated);
    CHECK(Failure(accounts.Login("nobody", "wrong password!")).code() == Code::kUnauthenticated);
    Must(accounts.Logout(s.refresh_token));
  }
  auto logins = w.Audit(audit_action::kLogin);
  REQUIRE(logins.size() == 1);
  CHECK(logins[0].actor_id == w.user.id);
  CHECK(logins[0].source == "198.51.100.1");
  auto failed = w.Audit(audit_action::kLoginFailed);
  REQUIRE(failed.size() == 2);
  CHECK_FALSE(failed[0].actor_id.has_value());  // newest first: the unknown name
  CHECK_THAT(failed[0].detail, Catch::Contains("nobody"));
  CHECK(failed[1].actor_id == w.user.id);
  CHECK(w.Audit(audit_action::kLogout).size() == 1);

  Workspaces& workspaces = w.services->workspaces();
  const Workspace ws = Must(workspaces.Create(w.user.id, "lab"));
  Must(workspaces.Open(w.user.id, ws.id));
  auto created = w.Audit(audit_action::kPodCreate);
  REQUIRE(created.size() == 1);
  CHECK(created[0].target == ws.id);
  CHECK_THAT(created[0].detail, Catch::Contains("replica-a"));

  // An admin stops another user's workspace: the pod ends, both are recorded.
  WorkspaceQuery running;
  running.state = WorkspaceState::kRunning;
  auto listed = Must(w.admin_api().ListWorkspaces(w.admin.id, running)).items;
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].owner_username == "ada");
  REQUIRE(listed[0].pod);
  CHECK(listed[0].pod->replica == "replica-a");
  Must(w.admin_api().StopWorkspace(w.admin.id, ws.id));
  CHECK(Must(workspaces.Get(w.user.id, ws.id)).state == WorkspaceState::kStopped);
  CHECK(w.Audit(audit_action::kPodDelete).size() == 1);
  auto stops = w.Audit(audit_action::kWorkspaceStop);
  REQUIRE(stops.size() == 1);
  CHECK(stops[0].actor_id == w.admin.id);
  WorkspaceQuery mine;
  mine.owner_id = w.user.id;
  CHECK(Must(w.admin_api().ListWorkspaces(w.admin.id, mine)).items.size() == 1);
  mine.owner_id = w.admin.id;
  CHECK(Must(w.admin_api().ListWorkspaces(w.admin.id, mine)).items.empty());

  Problems& problems = w.services->problems();
  Problem p;
  p.id = "sum";
  p.title = "Sum";
  p.statement_markdown = "Add two numbers.";
  p.tests = {TestCase{"1", "", "1 2\n", "3\n", 1, true}};
  auto put = problems.Put(w.admin.id, p);
  REQUIRE(put.has_value());
  Must(problems.Delete(w.admin.id, "sum"));
  CHECK(w.Audit(audit_action::kProblemPut).at(0).actor_id == w.admin.id);
  CHECK(w.Audit(audit_action::kProblemDelete).at(0).target == "sum");

  // Filters combine; `to` is exclusive and `from` inclusive.
  AuditFilter by_actor;
  by_actor.actor = w.user.id;
  by_actor.action = std::string(audit_action::kLogin);
  CHECK(Must(w.admin_api().Audit(w.admin.id, by_actor, {})).items.size() == 1);
  by_actor.to = w.clock->NowMillis();
  CHECK(Must(w.admin_api().Audit(w.admin.id, by_actor, {})).items.empty());
  by_actor.to.reset();
  by_actor.from = w.clock->NowMillis();
  CHECK(Must(w.admin_api().Audit(w.admin.id, by_actor, {})).items.size() == 1);
}

TEMPLATE_TEST_CASE("admin: review decisions and self-service level changes are audited",
                   "[services][admin]", CODEYARD_STORAGE_BACKENDS) {
  AdminWorld w = MakeWorld<TestType>();
  const User rob = Must(w.services->accounts().Register({"rob", std::string(kPassword), "", {}}));
  Reviews& reviews = w.services->reviews();
  Must(reviews.SetReviewerLevel(rob.id, rob.id, 1));  // PATCH /me's path
  const auto levels = w.Audit(audit_action::kReviewerLevel);
  REQUIRE(levels.size() == 1);
  CHECK(levels[0].actor_id == rob.id);
  const Workspace ws = Must(w.services->workspaces().Create(w.user.id, "essay"));
  Must(w.services->files().Write(w.user.id, ws.id, "main.py", "print(1)\n"));
  const Review review =
      Must(reviews.Create(w.user.id, {ws.id, "please", "", ReviewPriority::kNormal, 1}));
  Must(reviews.Claim(rob.id, review.id));
  Must(reviews.Decide(rob.id, review.id, ReviewDecision::kApprove, ""));
  const auto decisions = w.Audit(audit_action::kReviewDecision);
  REQUIRE(decisions.size() == 1);
  CHECK(decisions[0].actor_id == rob.id);
  CHECK(decisions[0].target == review.id);
  CHECK(decisions[0].detail == R"({"status":"approved"})");
}

TEMPLATE_TEST_CASE("admin: jobs are counted, listed, cancelled and retried", "[services][admin]",
                   CODEYARD_STORAGE_BACKENDS) {
  AdminWorld w = MakeWorld<TestType>();
  Admin& a = w.admin_api();
  Jobs& jobs = w.services->jobs();
  const auto ids = Must(jobs.Submit(w.user.id, {PythonJob(), PythonJob()})).ids;
  // The second is taken by a worker that then vanished: running, its lease in the past.
  Must(store::Transact(w.services->platform().storage(), TxKind::kWrite,
                       [&](Transaction& tx) -> Result<void> {
                         auto r = tx.Exec(
                             "UPDATE jobs SET state = 'running', attempt = 1, "
                             "worker = 'replica-b/0', lease_until = ? WHERE id = ?",
                             {Value{w.clock->NowMillis() - 1}, Value{ids[1]}});
                         if (!r) return Fail(r.error());
                         return {};
                       }));
  const AdminJobStats stats = Must(a.JobStats(w.admin.id));
  CHECK(stats.queue.depth == 1);
  CHECK(stats.queue.running == 1);
  CHECK(stats.stuck == 1);
  auto stuck = Must(a.ListJobs(w.admin.id, JobFilter::kStuck, {})).items;
  REQUIRE(stuck.size() == 1);
  CHECK(stuck[0].id == ids[1]);
  CHECK(Must(a.ListJobs(w.admin.id, JobFilter::kQueued, {})).items.at(0).id == ids[0]);

  const Job cancelled = Must(a.CancelJob(w.admin.id, ids[1]));
  CHECK(cancelled.state == JobState::kDone);
  CHECK(cancelled.verdict == "internal_error");
  CHECK(cancelled.attempt == 2);  // a worker still holding attempt 1 is fenced off
  const Job seen = Must(jobs.Get(w.user.id, ids[1]));
  REQUIRE(seen.run);
  CHECK_THAT(seen.run->message, Catch::Contains("cancelled by an admin"));
  CHECK(Failure(a.CancelJob(w.admin.id, ids[1])).code() == Code::kFailedPrecondition);
  CHECK(Failure(a.RetryJob(w.admin.id, ids[0])).code() == Code::kFailedPrecondition);
  CHECK(Failure(a.CancelJob(w.admin.id, "no-such-job")).code() == Code::kNotFound);

  const Job retried = Must(a.RetryJob(w.admin.id, ids[1]));
  CHECK(retried.state == JobState::kQueued);
  CHECK(retried.max_attempts > retried.attempt);
  CHECK(Must(a.JobStats(w.admin.id)).queue.depth == 2);
  CHECK(w.Audit(audit_action::kJobCancel).at(0).target == ids[1]);
  CHECK(w.Audit(audit_action::kJobRetry).at(0).actor_id == w.admin.id);
}

TEMPLATE_TEST_CASE("admin: replicas from heartbeats and leases, and storage and executor health",
                   "[services][admin]", CODEYARD_STORAGE_BACKENDS) {
  AdminWorld w = MakeWorld<TestType>();
  Admin& a = w.admin_api();
  Must(a.Heartbeat());
  const Workspace ws = Must(w.services->workspaces().Create(w.user.id, "lab"));
  Must(w.services->workspaces().Open(w.user.id, ws.id));
  auto replicas = Must(a.Replicas(w.admin.id));
  REQUIRE(replicas.size() == 1);
  CHECK(replicas[0].id == "replica-a");
  CHECK(replicas[0].version == Version());
  CHECK(replicas[0].heartbeat_at == w.clock->NowMillis());
  CHECK(replicas[0].pods_held == 1);
  const AdminHealth health = Must(a.Health(w.admin.id));
  CHECK(health.storage.ok);
  CHECK(health.storage.backend == TestType::kName);
  CHECK(health.executor.ok);
  CHECK(health.executor.backend == "fake");
}

// org20: a replica that stopped heartbeating is counted stale (codeyard_replicas), then pruned
// by a live replica's heartbeat after replicas.prune_after_s.
TEMPLATE_TEST_CASE("admin: replicas gone quiet are counted stale, then pruned",
                   "[services][admin][org20]", CODEYARD_STORAGE_BACKENDS) {
  AdminWorld w = MakeWorld<TestType>();
  Admin& a = w.admin_api();
  const int64_t now = w.clock->NowMillis();
  const auto add = [&](const std::string& id, int64_t heartbeat_at) {
    Must(store::Transact(w.services->platform().storage(), TxKind::kWrite,
                         [&](Transaction& tx) -> Result<void> {
                           CY_CHECK(
                               tx.Exec("INSERT INTO replicas (id, version, started_at, "
                                       "heartbeat_at) VALUES (?, '0', ?, ?)",
                                       {Value{id}, Value{heartbeat_at}, Value{heartbeat_at}}));
                           return {};
                         }));
  };
  add("quiet", now - 20'000);    // past three 5 s intervals: stale
  add("gone", now - 3'601'000);  // past the hour of replicas.prune_after_s
  const Admin::ReplicaCounts before = Must(a.CountReplicas());
  CHECK(before.live == 0);
  CHECK(before.stale == 2);
  Must(a.Heartbeat());
  const Admin::ReplicaCounts after = Must(a.CountReplicas());
  CHECK(after.live == 1);   // replica-a
  CHECK(after.stale == 1);  // quiet; gone was pruned
  std::vector<std::string> ids;
  for (const ReplicaInfo& r : Must(a.Replicas(w.admin.id))) ids.push_back(r.id);
  CHECK(ids == std::vector<std::string>{"quiet", "replica-a"});
}

// org20: the operator's local `codeyard user` calls are audited, the actor "local:<unix user>".
TEMPLATE_TEST_CASE("admin: the operator's account changes are audited as the local user",
                   "[services][admin][audit][org20]", CODEYARD_STORAGE_BACKENDS) {
  AdminWorld w = MakeWorld<TestType>();
  Accounts& accounts = w.services->accounts();
  const std::string actor = OperatorActor();
  CHECK(actor.starts_with("local:"));
  CHECK(actor.size() > 6);
  const User made = Must(accounts.RegisterAsOperator({"opmade", std::string(kPassword), "", {}}));
  Must(accounts.SetRoleAsOperator(made.id, Role::kAdmin));
  Must(accounts.SetReviewerLevelAsOperator(made.id, 3));
  Must(accounts.SetDisabledAsOperator(made.id, true));
  Must(accounts.SetDisabledAsOperator(made.id, false));
  Must(accounts.SetPasswordAsOperator(made.id, "another long password"));
  CHECK(Failure(accounts.SetRoleAsOperator("nobody", Role::kAdmin)).code() == Code::kNotFound);
  const std::pair<std::string_view, std::string> expected[] = {
      {audit_action::kUserCreate, "{\"role\":\"user\"}"},
      {audit_action::kRole, "{\"role\":\"admin\"}"},
      {audit_action::kReviewerLevel, "{\"reviewer_level\":3}"},
      {audit_action::kDisable, "{}"},
      {audit_action::kEnable, "{}"},
      {audit_action::kPasswordReset, "{}"}};
  for (const auto& [action, detail] : expected) {
    const auto entries = w.Audit(action);
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].actor_id == actor);
    CHECK(entries[0].target == made.id);
    CHECK(entries[0].detail == detail);
  }
}

TEMPLATE_TEST_CASE("admin: the audit log refuses UPDATE and DELETE but for the retention sweep",
                   "[services][admin][audit]", CODEYARD_STORAGE_BACKENDS) {
  AdminWorld w = MakeWorld<TestType>();
  Storage& storage = w.services->platform().storage();
  Must(w.services->accounts().Login("ada", kPassword));  // one record now
  const auto refused = [&](std::string_view sql) {
    auto r = store::Transact(storage, TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
      auto changed = tx.Exec(sql, {});
      if (!changed) return Fail(changed.error());
      return {};
    });
    CHECK_FALSE(r.has_value());
  };
  refused("UPDATE audit_log SET action = 'forged'");
  refused("UPDATE audit_log SET ts = 0");
  refused("DELETE FROM audit_log");
  CHECK(w.Audit(audit_action::kLogin).size() == 1);
  CHECK(w.Audit("forged").empty());

  // 31 days on (retention 30): a new record, then the sweep deletes only the old one.
  w.clock->Advance(std::chrono::hours(24 * 31));
  Must(w.services->accounts().Login("ada", kPassword));
  const auto swept = Must(w.admin_api().SweepAudit());
  REQUIRE(swept.has_value());
  CHECK(*swept == 1);
  auto left = w.Audit(audit_action::kLogin);
  REQUIRE(left.size() == 1);
  CHECK(left[0].ts == w.clock->NowMillis());
  // The sweep left the guard armed.
  refused("DELETE FROM audit_log");
  CHECK(w.Audit(audit_action::kLogin).size() == 1);
  // Another replica finds the lease held and deletes nothing.
  const auto other = Must(store::Transact(storage, TxKind::kWrite, [&](Transaction& tx) {
    return store::audit::Sweep(tx, "replica-b", w.clock->NowMillis(), 3600000,
                               w.clock->NowMillis() + 1);
  }));
  CHECK_FALSE(other.has_value());
  CHECK(w.Audit(audit_action::kLogin).size() == 1);
}

TEST_CASE("admin: the audit CSV quotes fields and defuses formulas", "[admin][audit]") {
  AuditEntry e;
  e.id = 7;
  e.ts = 1000;
  e.actor_id = "u1";
  e.action = "user.login_failed";
  e.target = "=HYPERLINK(\"x\")";
  e.detail = R"({"username":"a,b"})";
  const std::string csv = AuditCsv({e});
  CHECK(csv ==
        "id,ts,actor_id,action,target,source,request_id,detail\r\n"
        "7,1000,u1,user.login_failed,\"'=HYPERLINK(\"\"x\"\")\",,,"
        "\"{\"\"username\"\":\"\"a,b\"\"}\"\r\n");
}

}  // namespace
}  // namespace codeyard
