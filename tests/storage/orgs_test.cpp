// Organizations in storage (store/orgs, migration 0017) on every backend: the migration gives
// every existing user a personal organization and moves what they own into it; the repository
// keeps members, roles and quota limits; org_id is read back on every entity that has one.
#include <catch2/catch.hpp>

#include "codeyard/backend/schema.hpp"
#include "codeyard/clock.hpp"
#include "codeyard/id.hpp"
#include "core/store/jobs.hpp"
#include "core/store/orgs.hpp"
#include "core/store/reviews.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "core/store/workspaces.hpp"
#include "core/try.hpp"
#include "storage/backend_fixture.hpp"
#include "storage/rows.hpp"

namespace codeyard {
namespace {

namespace st = store;

using testing::MakeUser;
using testing::Write;

template <class F>
auto Read(Storage& s, F&& work) {
  auto r = st::Transact(s, TxKind::kRead, std::forward<F>(work));
  if (!r) FAIL(r.error().ToString());
  if constexpr (!std::is_void_v<typename decltype(r)::value_type>) return std::move(*r);
}

Org MakeOrg(std::string slug) {
  Org o;
  o.id = NewUuid();
  o.name = "Org " + slug;
  o.slug = std::move(slug);
  o.created_at = o.updated_at = 2000;
  return o;
}

TEMPLATE_TEST_CASE("orgs: the migration gives every user a personal organization holding theirs",
                   "[storage][orgs][migrations]", CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::CreateEmpty();
  Storage& s = db->storage();
  REQUIRE(ApplyMigrations(s, *DefaultClock(), BuiltinMigrations().first(16)) == 16);
  const std::string ada = NewUuid();
  const std::string ws = NewUuid();
  const std::string job = NewUuid();
  const std::string review = NewUuid();
  Write(s, [&](Transaction& tx) -> Result<void> {
    // Written as release 16 did.
    CY_CHECK(
        tx.Exec("INSERT INTO users (id, username, password_hash, created_at, updated_at) "
                "VALUES (?, 'ada', 'x', 5, 5)",
                {Value{ada}}));
    CY_CHECK(
        tx.Exec("INSERT INTO workspaces (id, owner_id, name, state, total_bytes, created_at, "
                "updated_at, last_active_at, version) VALUES (?, ?, 'w', 'stopped', 7, 1, 1, 1, 1)",
                {Value{ws}, Value{ada}}));
    CY_CHECK(
        tx.Exec("INSERT INTO jobs (id, owner_id, kind, state, max_attempts, payload, "
                "created_at) VALUES (?, ?, 'run', 'queued', 1, ?, 1)",
                {Value{job}, Value{ada}, Value{Blob{"p"}}}));
    CY_CHECK(
        tx.Exec("INSERT INTO review_requests (id, author_id, workspace_id, title, priority, "
                "required_level, status, created_at, updated_at) VALUES (?, ?, ?, 't', 1, 0, "
                "'pending', 1, 1)",
                {Value{review}, Value{ada}, Value{ws}}));
    return {};
  });
  REQUIRE(ApplyMigrations(s, *DefaultClock()).has_value());

  const Org personal = Read(s, [&](Transaction& tx) { return st::orgs::Get(tx, ada); });
  CHECK(personal.slug == "~ada");
  CHECK(personal.name == "ada");
  CHECK(personal.personal_of == ada);
  CHECK(personal.created_at == 5);
  CHECK(personal.org_quotas == OrgQuotas{});
  const auto member = Read(s, [&](Transaction& tx) { return st::orgs::GetMember(tx, ada, ada); });
  REQUIRE(member.has_value());
  CHECK(member->role == OrgRole::kOwner);
  CHECK(Read(s, [&](Transaction& tx) { return st::workspaces::Get(tx, ws); }).org_id == ada);
  const auto got_job = Read(s, [&](Transaction& tx) { return st::jobs::Get(tx, job); });
  REQUIRE(got_job.has_value());
  CHECK(got_job->org_id == ada);
  CHECK(Read(s, [&](Transaction& tx) { return st::reviews::Get(tx, review); }).org_id == ada);
  const auto usage = Read(s, [&](Transaction& tx) { return st::orgs::UsageOf(tx, ada, "", 0); });
  CHECK(usage.stored_bytes == 7);
  CHECK(usage.jobs_today == 1);
}

TEMPLATE_TEST_CASE("orgs: members, roles, quotas and org_id through the repositories",
                   "[storage][orgs]", CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  Storage& s = db->storage();
  const User ada = MakeUser("ada");
  const User bob = MakeUser("bob");
  Write(s, [&](Transaction& tx) -> Result<void> {
    CY_CHECK(st::users::Insert(tx, ada));
    return st::users::Insert(tx, bob);
  });
  // Registration made each a personal organization they own.
  CHECK(Read(s, [&](Transaction& tx) { return st::orgs::Get(tx, bob.id); }).slug == "~bob");

  Org cs = MakeOrg("cs101");
  cs.org_quotas.max_running_workspaces = 5;
  cs.member_quotas.max_stored_bytes = 1024;
  Write(s, [&](Transaction& tx) -> Result<void> {
    CY_CHECK(st::orgs::Insert(tx, cs));
    CY_CHECK(st::orgs::AddMember(tx, OrgMember{cs.id, ada.id, OrgRole::kOwner, 10}));
    return st::orgs::AddMember(tx, OrgMember{cs.id, bob.id, OrgRole::kMember, 11});
  });
  // A taken slug, a repeated member, an unknown user.
  auto dup = st::Transact(s, TxKind::kWrite,
                          [&](Transaction& tx) { return st::orgs::Insert(tx, MakeOrg("cs101")); });
  REQUIRE_FALSE(dup);
  CHECK(dup.error().code() == Error::Code::kAlreadyExists);
  auto again = st::Transact(s, TxKind::kWrite, [&](Transaction& tx) {
    return st::orgs::AddMember(tx, OrgMember{cs.id, bob.id, OrgRole::kAdmin, 12});
  });
  REQUIRE_FALSE(again);
  CHECK(again.error().code() == Error::Code::kAlreadyExists);
  auto ghost = st::Transact(s, TxKind::kWrite, [&](Transaction& tx) {
    return st::orgs::AddMember(tx, OrgMember{cs.id, NewUuid(), OrgRole::kMember, 12});
  });
  REQUIRE_FALSE(ghost);
  CHECK(ghost.error().code() == Error::Code::kFailedPrecondition);

  const Org got = Read(s, [&](Transaction& tx) { return st::orgs::Get(tx, cs.id); });
  CHECK(got.org_quotas.max_running_workspaces == 5);
  CHECK_FALSE(got.org_quotas.max_stored_bytes.has_value());
  CHECK(got.member_quotas.max_stored_bytes == 1024);
  CHECK_FALSE(got.personal_of.has_value());

  // Bob's organizations: the personal one first.
  const auto bobs = Read(s, [&](Transaction& tx) { return st::orgs::ListForUser(tx, bob.id); });
  REQUIRE(bobs.size() == 2);
  CHECK(bobs[0].first.id == bob.id);
  CHECK(bobs[0].second == OrgRole::kOwner);
  CHECK(bobs[1].first.slug == "cs101");
  CHECK(bobs[1].second == OrgRole::kMember);

  Write(s, [&](Transaction& tx) { return st::orgs::SetRole(tx, cs.id, bob.id, OrgRole::kOwner); });
  CHECK(Read(s, [&](Transaction& tx) { return st::orgs::CountOwners(tx, cs.id); }) == 2);
  Write(s, [&](Transaction& tx) { return st::orgs::RemoveMember(tx, cs.id, ada.id); });
  const auto members = Read(s, [&](Transaction& tx) { return st::orgs::ListMembers(tx, cs.id); });
  REQUIRE(members.size() == 1);
  CHECK(members[0].user_id == bob.id);
  auto gone = st::Transact(s, TxKind::kWrite, [&](Transaction& tx) {
    return st::orgs::RemoveMember(tx, cs.id, ada.id);
  });
  REQUIRE_FALSE(gone);
  CHECK(gone.error().code() == Error::Code::kNotFound);

  // Quotas are written with the version read; a stale one is a conflict.
  Org edit = got;
  edit.org_quotas.max_cpu_seconds_per_day = 3600;
  edit.member_quotas.max_cpu_seconds_per_day = 60;
  const Org updated = Write(s, [&](Transaction& tx) { return st::orgs::Update(tx, edit, 3000); });
  CHECK(updated.version == got.version + 1);
  CHECK(updated.org_quotas.max_cpu_seconds_per_day == 3600);
  auto stale = st::Transact(s, TxKind::kWrite,
                            [&](Transaction& tx) { return st::orgs::Update(tx, edit, 3001); });
  REQUIRE_FALSE(stale);
  CHECK(stale.error().code() == Error::Code::kConflict);
  CHECK(Read(s, [&](Transaction& tx) {
          return st::orgs::CpuSecondsPerDayLimit(tx, cs.id, st::orgs::QuotaScope::kMember);
        }) == 60);

  // A workspace made in the organization says so on every read path; one made without an
  // organization is its owner's personal one's.
  Workspace w{NewUuid(), bob.id, "in cs101", WorkspaceState::kStopped, 40, 0, 1, 1, 1};
  w.org_id = cs.id;
  Workspace mine{NewUuid(), bob.id, "mine", WorkspaceState::kStopped, 2, 0, 1, 1, 1};
  Write(s, [&](Transaction& tx) -> Result<void> {
    CY_CHECK(st::workspaces::Insert(tx, w));
    return st::workspaces::Insert(tx, mine);
  });
  CHECK(Read(s, [&](Transaction& tx) { return st::workspaces::Get(tx, w.id); }).org_id == cs.id);
  const auto listed =
      Read(s, [&](Transaction& tx) { return st::workspaces::ListByOwner(tx, bob.id); });
  REQUIRE(listed.size() == 2);
  for (const Workspace& one : listed) CHECK(one.org_id == (one.id == w.id ? cs.id : bob.id));
  const auto org_usage =
      Read(s, [&](Transaction& tx) { return st::orgs::UsageOf(tx, cs.id, bob.id, 0); });
  CHECK(org_usage.stored_bytes == 40);
  CHECK(org_usage.running_workspaces == 0);

  const Error refusal = st::orgs::QuotaRefusal(got, st::orgs::QuotaScope::kOrg,
                                               "max_running_workspaces", 5, 5, "", 0);
  CHECK(refusal.code() == Error::Code::kResourceExhausted);
  CHECK(refusal.message() == "quota org.max_running_workspaces of org \"cs101\": 5 of 5 in use");
  CHECK(refusal.limit() == "org.max_running_workspaces");
  CHECK(st::orgs::DayStart(86'400'000 * 3 + 5) == 86'400'000 * 3);
}

// org20: what an organization holds, its deletion (its done jobs re-homed), a workspace's move.
TEMPLATE_TEST_CASE("orgs: holdings, deletion and a workspace's move in the repository",
                   "[storage][orgs][org20]", CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  Storage& s = db->storage();
  const User ada = MakeUser("ada");
  Org cs = MakeOrg("cs101");
  Write(s, [&](Transaction& tx) -> Result<void> {
    CY_CHECK(st::users::Insert(tx, ada));
    CY_CHECK(st::orgs::Insert(tx, cs));
    return st::orgs::AddMember(tx, OrgMember{cs.id, ada.id, OrgRole::kOwner, 10});
  });
  Workspace w{NewUuid(), ada.id, "lab", WorkspaceState::kStopped, 40, 0, 1, 1, 1};
  w.org_id = cs.id;
  Write(s, [&](Transaction& tx) { return st::workspaces::Insert(tx, w); });
  const auto held = Read(s, [&](Transaction& tx) { return st::orgs::HoldingsOf(tx, cs.id); });
  CHECK(held.workspaces == 1);
  CHECK(held.problems == 0);
  CHECK(held.reviews == 0);
  CHECK(held.live_jobs == 0);

  // The move takes the locks (no live pod here), then sets org_id and bumps the version.
  const bool live =
      Write(s, [&](Transaction& tx) { return st::orgs::LockWorkspaceForMove(tx, w.id); });
  CHECK_FALSE(live);
  auto missing = st::Transact(s, TxKind::kWrite, [&](Transaction& tx) {
    return st::orgs::LockWorkspaceForMove(tx, "no-such-workspace");
  });
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code() == Error::Code::kNotFound);
  Write(s, [&](Transaction& tx) { return st::orgs::SetWorkspaceOrg(tx, w.id, ada.id, 5000); });
  const Workspace moved = Read(s, [&](Transaction& tx) { return st::workspaces::Get(tx, w.id); });
  CHECK(moved.org_id == ada.id);
  CHECK(moved.version == w.version + 1);
  CHECK(moved.updated_at == 5000);
  CHECK(Read(s, [&](Transaction& tx) { return st::orgs::HoldingsOf(tx, cs.id); }).workspaces == 0);

  // Deleting takes the members; a done job of the organization goes to its owner's personal
  // organization (jobs.org_id is a foreign key).
  Write(s, [&](Transaction& tx) -> Result<void> {
    CY_CHECK(
        tx.Exec("INSERT INTO jobs (id, owner_id, kind, state, max_attempts, payload, "
                "created_at, org_id) VALUES ('j1', ?, 'run', 'done', 3, '', 1, ?)",
                {Value{ada.id}, Value{cs.id}}));
    return {};
  });
  Write(s, [&](Transaction& tx) { return st::orgs::Delete(tx, cs.id); });
  auto gone =
      st::Transact(s, TxKind::kRead, [&](Transaction& tx) { return st::orgs::Get(tx, cs.id); });
  REQUIRE_FALSE(gone);
  CHECK(gone.error().code() == Error::Code::kNotFound);
  CHECK(Read(s, [&](Transaction& tx) { return st::orgs::ListForUser(tx, ada.id); }).size() == 1);
  const auto job_org = Read(s, [&](Transaction& tx) -> Result<std::string> {
    CY_TRY(Rows rows, tx.Query("SELECT org_id FROM jobs WHERE id = 'j1'", {}));
    return rows.front().Text(0);
  });
  CHECK(job_org == ada.id);
}

}  // namespace
}  // namespace codeyard
