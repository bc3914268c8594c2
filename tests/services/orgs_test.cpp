// Organizations through the library (codeyard/orgs.hpp) on every backend: what each role may
// do (owner, admin, member, someone else, a platform admin), the last owner kept, the reviewer
// pools of organizations, the quotas that refuse naming themselves, and problems only an
// organization sees.
#include <catch2/catch.hpp>

#include "codeyard/orgs.hpp"
#include "codeyard/problem_store.hpp"
#include "core/store/audit.hpp"
#include "core/store/transact.hpp"
#include "services/reviews_world.hpp"

namespace codeyard {
namespace {

using testing::FailsWith;
using testing::Must;
using testing::ReviewWorld;
using Code = Error::Code;

// Quotas with one limit set.
OrgQuotas With(std::optional<int64_t> OrgQuotas::*limit, int64_t value) {
  OrgQuotas q;
  q.*limit = value;
  return q;
}

// ReviewWorld's people: author "ada" (level 0), "rob" (1), "rae" (2), "ria" (4), "olf" (0) and
// the platform admin "adm". Ada owns "cs101"; rae is its admin, rob a member.
struct OrgWorld : ReviewWorld {
  explicit OrgWorld(std::unique_ptr<testing::TestDatabase> db)
      : ReviewWorld(std::move(db)), orgs(platform()) {
    cs = Must(orgs.Create(author, "CS 101", "cs101"));
    Must(orgs.AddMember(author, "cs101", "rae", OrgRole::kAdmin));
    Must(orgs.AddMember(author, "cs101", "rob", OrgRole::kMember));
  }

  // A workspace of `owner` in `org` with one file.
  std::string OrgWorkspace(const std::string& owner, const std::string& org) {
    Workspace w;
    w.id = NewUuid();
    w.owner_id = owner;
    w.name = "in " + org + " " + w.id.substr(0, 6);
    w.org_id = org;
    Commit([&](Transaction& tx) { return store::workspaces::Insert(tx, w); });
    Must(files().Write(owner, w.id, "main.py", "print(1)\n"));
    return w.id;
  }

  Orgs orgs;
  Org cs;
};

TEMPLATE_TEST_CASE("orgs: what owners, admins, members and others may do", "[orgs]",
                   CODEYARD_STORAGE_BACKENDS) {
  OrgWorld w(TestType::Create());
  auto& orgs = w.orgs;
  FailsWith(orgs.Create(w.author, "Bad", "Not A Slug"), Code::kInvalidArgument, "slug");
  FailsWith(orgs.Create(w.r4, "Again", "cs101"), Code::kAlreadyExists, "taken");
  FailsWith(orgs.Create(w.r4, " ", "blank"), Code::kInvalidArgument, "blank");

  // Everyone sees their role; others get not_found, as for an organization that is not there.
  CHECK(Must(orgs.Get(w.author, "cs101")).role == OrgRole::kOwner);
  CHECK(Must(orgs.Get(w.r2, w.cs.id)).role == OrgRole::kAdmin);
  CHECK(Must(orgs.Get(w.r1, "cs101")).role == OrgRole::kMember);
  FailsWith(orgs.Get(w.outsider, "cs101"), Code::kNotFound, "organization not found");
  FailsWith(orgs.Members(w.outsider, "cs101"), Code::kNotFound);
  FailsWith(orgs.AddMember(w.outsider, "cs101", "olf", OrgRole::kMember), Code::kNotFound);
  CHECK(Must(orgs.Get(w.admin, "cs101")).role == OrgRole::kOwner);  // platform admin
  CHECK(Must(orgs.Members(w.r1, "cs101")).size() == 3);

  // Members use; they manage nothing.
  FailsWith(orgs.AddMember(w.r1, "cs101", "olf", OrgRole::kMember), Code::kPermissionDenied);
  FailsWith(orgs.SetQuotas(w.r1, "cs101", {}, {}), Code::kPermissionDenied);
  FailsWith(orgs.RemoveMember(w.r1, "cs101", "rae"), Code::kPermissionDenied);

  // Admins manage members, admins and quotas, never owners.
  Must(orgs.AddMember(w.r2, "cs101", "olf", OrgRole::kMember));
  FailsWith(orgs.AddMember(w.r2, "cs101", "olf", OrgRole::kMember), Code::kAlreadyExists);
  FailsWith(orgs.AddMember(w.r2, "cs101", "ria", OrgRole::kOwner), Code::kPermissionDenied);
  CHECK(Must(orgs.SetRole(w.r2, "cs101", "olf", OrgRole::kAdmin)).member.role == OrgRole::kAdmin);
  FailsWith(orgs.SetRole(w.r2, "cs101", "olf", OrgRole::kOwner), Code::kPermissionDenied);
  FailsWith(orgs.SetRole(w.r2, "cs101", "ada", OrgRole::kMember), Code::kPermissionDenied);
  FailsWith(orgs.RemoveMember(w.r2, "cs101", "ada"), Code::kPermissionDenied);
  Must(orgs.RemoveMember(w.r2, "cs101", "olf"));
  OrgQuotas q;
  q.max_running_workspaces = 5;
  FailsWith(orgs.SetQuotas(w.r2, "cs101", With(&OrgQuotas::max_stored_bytes, -1), {}),
            Code::kInvalidArgument, "max_stored_bytes");
  const Org limited = Must(orgs.SetQuotas(w.r2, "cs101", q, {}));
  CHECK(limited.org_quotas.max_running_workspaces == 5);
  FailsWith(orgs.SetQuotas(w.r2, "cs101", q, {}, limited.version - 1), Code::kConflict);

  // The last owner stays; owners manage owners.
  FailsWith(orgs.SetRole(w.author, "cs101", "ada", OrgRole::kAdmin), Code::kFailedPrecondition,
            "last owner");
  FailsWith(orgs.RemoveMember(w.author, "cs101", "ada"), Code::kFailedPrecondition, "last owner");
  Must(orgs.SetRole(w.author, "cs101", "rae", OrgRole::kOwner));
  Must(orgs.RemoveMember(w.author, "cs101", "ada"));  // leaves; rae owns it now
  FailsWith(orgs.Get(w.author, "cs101"), Code::kNotFound);
  Must(orgs.RemoveMember(w.r1, "cs101", "rob"));  // anyone may leave
  CHECK(Must(orgs.Members(w.r2, "cs101")).size() == 1);

  // A personal organization is its user's alone; everyone's lists start with it.
  FailsWith(orgs.AddMember(w.author, w.author, "rob", OrgRole::kMember), Code::kFailedPrecondition,
            "personal");
  const auto raes = Must(orgs.ListMine(w.r2));
  REQUIRE(raes.size() == 2);
  CHECK(raes[0].org.id == w.r2);
  CHECK(raes[0].org.slug == "~rae");
  CHECK(raes[1].org.slug == "cs101");
  CHECK(raes[1].role == OrgRole::kOwner);
}

TEMPLATE_TEST_CASE("orgs: an organization's reviewers review its members' work, within quotas",
                   "[orgs][reviews]", CODEYARD_STORAGE_BACKENDS) {
  OrgWorld w(TestType::Create());
  // Ria (level 4) is no member: cs101's reviews are not hers; rae (level 2) is.
  const std::string ws = w.OrgWorkspace(w.author, w.cs.id);
  const Review r =
      Must(w.reviews().Create(w.author, {ws, "org work", "", ReviewPriority::kNormal, 1}));
  CHECK(r.org_id == w.cs.id);
  ReviewListRequest queue;
  queue.role = ReviewRole::kQueue;
  CHECK(Must(w.reviews().List(w.r4, queue)).items.empty());
  CHECK(Must(w.reviews().List(w.r2, queue)).items.size() == 1);
  FailsWith(w.reviews().Get(w.r4, r.id), Code::kNotFound);
  FailsWith(w.reviews().Claim(w.r4, r.id), Code::kNotFound);
  // A review of the author's personal organization stays the platform pool's.
  const Review personal = w.Submit();
  CHECK(personal.org_id == w.author);
  CHECK(Must(w.reviews().List(w.r4, queue)).items.size() == 1);

  // Each reviewer of cs101 holds at most one open claim there.
  Must(w.orgs.SetQuotas(w.author, "cs101", {}, With(&OrgQuotas::max_open_claims, 1)));
  Must(w.reviews().Claim(w.r2, r.id));
  const std::string ws2 = w.OrgWorkspace(w.author, w.cs.id);
  const Review second =
      Must(w.reviews().Create(w.author, {ws2, "more", "", ReviewPriority::kNormal, 1}));
  const Error refused = testing::Failure(w.reviews().Claim(w.r2, second.id));
  CHECK(refused.code() == Code::kResourceExhausted);
  CHECK(refused.message() == "quota member.max_open_claims of org \"cs101\": 1 of 1 in use");
  CHECK(refused.limit() == "member.max_open_claims");
  Must(w.reviews().Claim(w.r1, second.id));  // rob's first
  const OrgView view = Must(w.orgs.Get(w.r2, "cs101"));
  CHECK(view.usage.open_claims == 2);
  CHECK(view.my_usage.open_claims == 1);
}

TEMPLATE_TEST_CASE("orgs: the stored bytes quota refuses a write naming itself", "[orgs][files]",
                   CODEYARD_STORAGE_BACKENDS) {
  OrgWorld w(TestType::Create());
  const std::string ws = w.OrgWorkspace(w.r1, w.cs.id);  // 9 bytes
  Must(w.orgs.SetQuotas(w.author, "cs101", With(&OrgQuotas::max_stored_bytes, 12), {}));
  Must(w.files().Write(w.r1, ws, "b.txt", "abc"));  // 12 of 12
  const Error refused = testing::Failure(w.files().Write(w.r1, ws, "c.txt", "de"));
  CHECK(refused.code() == Code::kResourceExhausted);
  CHECK(refused.message().find("quota org.max_stored_bytes of org \"cs101\": 12 of 12 bytes in "
                               "use; this needs 2 more") != std::string::npos);
  // Shrinking is always allowed, and then there is room again.
  Must(w.files().Write(w.r1, ws, "b.txt", "a"));
  Must(w.files().Write(w.r1, ws, "c.txt", "de"));
  // The member's quota is counted over their own workspaces only.
  Must(w.orgs.SetQuotas(w.author, "cs101", {}, With(&OrgQuotas::max_stored_bytes, 12)));
  const std::string rae_ws = w.OrgWorkspace(w.r2, w.cs.id);
  Must(w.files().Write(w.r2, rae_ws, "more.txt", "xyz"));
  const Error mine = testing::Failure(w.files().Write(w.r1, ws, "d.txt", "z"));
  CHECK(mine.limit() == "member.max_stored_bytes");
  CHECK(Must(w.orgs.Get(w.r1, "cs101")).my_usage.stored_bytes == 12);
}

TEMPLATE_TEST_CASE("orgs: a problem with visibility org is its members' alone", "[orgs][problems]",
                   CODEYARD_STORAGE_BACKENDS) {
  OrgWorld w(TestType::Create());
  Problems problems(w.platform());
  Problem p = Must(ProblemFromJson(R"({"title":"Secret","org_id":"cs101","visibility":"org",)"
                                   R"("tests":[{"name":"1","input":"","expected_output":""}]})",
                                   "secret"));
  // Members may not add problems; the organization's admins may, to their organization only.
  FailsWith(problems.Create(w.r1, p), Code::kPermissionDenied);
  const Problem stored = Must(problems.Create(w.r2, p));
  CHECK(stored.org_id == w.cs.id);
  Problem elsewhere = p;
  elsewhere.id = "elsewhere";
  elsewhere.org_id = w.r2;     // rae's personal organization: she owns it
  elsewhere.org_only = false;  // visibility public
  Must(problems.Create(w.r2, elsewhere));
  Problem moved = p;  // names cs101, but the stored "elsewhere" is rae's personal one's
  moved.id = "elsewhere";
  FailsWith(problems.Put(w.r2, moved), Code::kPermissionDenied);
  Problem platform_one = p;  // the platform's problems are the platform admins'
  platform_one.id = "open";
  platform_one.org_id.clear();
  platform_one.org_only = false;
  FailsWith(problems.Create(w.r2, platform_one), Code::kPermissionDenied);

  CHECK(Must(problems.Get(w.r1, "secret")).problem.org_only);
  FailsWith(problems.Get(w.r4, "secret"), Code::kNotFound);
  FailsWith(problems.Get("", "secret"), Code::kNotFound);
  CHECK(Must(problems.Get(w.admin, "secret")).problem.id == "secret");
  ProblemListRequest all;
  const auto for_rob = Must(problems.List(w.r1, all));
  const auto for_ria = Must(problems.List(w.r4, all));
  const auto has = [](const Page<ProblemSummary>& page, const std::string& id) {
    for (const auto& s : page.items) {
      if (s.id == id) return true;
    }
    return false;
  };
  CHECK(has(for_rob, "secret"));
  CHECK_FALSE(has(for_ria, "secret"));
  CHECK(has(for_ria, "elsewhere"));  // visibility public
}

// org20: renaming and deleting an organization, moving a workspace between organizations.
TEMPLATE_TEST_CASE("orgs: owners rename and delete, owners move workspaces within quotas",
                   "[orgs][org20]", CODEYARD_STORAGE_BACKENDS) {
  OrgWorld w(TestType::Create());
  auto& orgs = w.orgs;
  const Org other = Must(orgs.Create(w.r4, "Other", "other"));

  // Rename: owners (and platform admins) only, never a personal organization.
  FailsWith(orgs.Rename(w.r2, "cs101", "New", std::nullopt), Code::kPermissionDenied, "owners");
  FailsWith(orgs.Rename(w.r1, "cs101", "New", std::nullopt), Code::kPermissionDenied);
  FailsWith(orgs.Rename(w.outsider, "cs101", "New", std::nullopt), Code::kNotFound);
  FailsWith(orgs.Rename(w.author, w.author, "Mine", std::nullopt), Code::kFailedPrecondition,
            "personal");
  FailsWith(orgs.Rename(w.author, "cs101", std::nullopt, "other"), Code::kAlreadyExists, "taken");
  FailsWith(orgs.Rename(w.author, "cs101", std::nullopt, "Bad Slug"), Code::kInvalidArgument);
  FailsWith(orgs.Rename(w.author, "cs101", " ", std::nullopt), Code::kInvalidArgument, "blank");
  const Org renamed = Must(orgs.Rename(w.author, "cs101", "CS 102", "cs102"));
  CHECK(renamed.slug == "cs102");
  CHECK(renamed.version == w.cs.version + 1);
  CHECK(Must(orgs.Get(w.r1, "cs102")).org.name == "CS 102");
  FailsWith(orgs.Get(w.r1, "cs101"), Code::kNotFound);
  FailsWith(orgs.Rename(w.author, "cs102", "Stale", std::nullopt, w.cs.version), Code::kConflict);
  CHECK(Must(orgs.Rename(w.admin, "cs102", "By the admin", std::nullopt)).slug == "cs102");

  // Move: the owner, a member of both; the target's quotas in the move's transaction.
  const std::string ws = w.OrgWorkspace(w.r1, w.r1);                  // rob's personal one, 9 bytes
  FailsWith(orgs.MoveWorkspace(w.r2, ws, "cs102"), Code::kNotFound);  // not rae's
  FailsWith(orgs.MoveWorkspace(w.r1, ws, "other"), Code::kNotFound);  // rob is no member
  FailsWith(orgs.MoveWorkspace(w.admin, ws, "other"), Code::kFailedPrecondition, "no member");
  Must(orgs.SetQuotas(w.author, "cs102", With(&OrgQuotas::max_stored_bytes, 5), {}));
  FailsWith(orgs.MoveWorkspace(w.r1, ws, "cs102"), Code::kResourceExhausted,
            "quota org.max_stored_bytes of org \"cs102\": 0 of 5 bytes in use; this needs 9 more");
  Must(orgs.SetQuotas(w.author, "cs102", {}, With(&OrgQuotas::max_stored_bytes, 9)));
  const Workspace moved = Must(orgs.MoveWorkspace(w.r1, ws, "cs102"));
  CHECK(moved.org_id == renamed.id);
  CHECK(Must(orgs.Get(w.r1, "cs102")).my_usage.stored_bytes == 9);
  CHECK(Must(orgs.MoveWorkspace(w.r1, ws, renamed.id)).version == moved.version);  // no-op
  // Its writes now count against the target's quotas.
  FailsWith(w.files().Write(w.r1, ws, "more.txt", "x"), Code::kResourceExhausted,
            "member.max_stored_bytes");

  // Delete: owners only, never personal, and only once it holds nothing.
  FailsWith(orgs.Delete(w.r2, "cs102"), Code::kPermissionDenied);
  FailsWith(orgs.Delete(w.author, w.author), Code::kFailedPrecondition, "personal");
  FailsWith(orgs.Delete(w.author, "cs102"), Code::kFailedPrecondition,
            "organization \"cs102\" still holds 1 workspace; move or delete them first");
  Must(orgs.MoveWorkspace(w.r1, ws, w.r1));  // back home
  Must(orgs.Delete(w.author, "cs102"));
  FailsWith(orgs.Get(w.author, renamed.id), Code::kNotFound);
  CHECK(Must(orgs.ListMine(w.r1)).size() == 1);  // the personal one left
  Must(orgs.Delete(w.admin, other.id));          // a platform admin stands as an owner

  // Each change is audited, with its actor and target.
  const auto audited = Must(store::Transact(w.storage(), TxKind::kRead, [&](Transaction& tx) {
    return store::audit::Query(tx, {}, std::nullopt, 100);
  }));
  std::vector<std::string> seen;
  for (const AuditEntry& e : audited) {
    if (e.action.starts_with("org.") || e.action == "workspace.move") {
      seen.push_back(e.action + " " + e.actor_id.value_or("") + " " + e.target);
    }
  }
  const std::vector<std::string> expected = {
      "org.delete " + w.admin + " " + other.id,   "org.delete " + w.author + " " + renamed.id,
      "workspace.move " + w.r1 + " " + ws,        "workspace.move " + w.r1 + " " + ws,
      "org.rename " + w.admin + " " + renamed.id, "org.rename " + w.author + " " + renamed.id};
  CHECK(seen == expected);
}

}  // namespace
}  // namespace codeyard
