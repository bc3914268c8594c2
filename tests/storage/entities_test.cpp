// CRUD and constraints of every entity through its repository, on every backend.
#include <catch2/catch.hpp>

#include "codeyard/backend/schema.hpp"
#include "codeyard/clock.hpp"
#include "codeyard/id.hpp"
#include "core/store/audit.hpp"
#include "core/store/items.hpp"
#include "core/store/manifests.hpp"
#include "core/store/pods.hpp"
#include "core/store/refresh_tokens.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "core/store/workspaces.hpp"
#include "storage/backend_fixture.hpp"
#include "storage/rows.hpp"

namespace codeyard {
namespace {

namespace st = store;

using testing::MakeUser;
using testing::Write;

Workspace MakeWorkspace(const User& owner, std::string name) {
  Workspace w;
  w.id = NewUuid();
  w.owner_id = owner.id;
  w.name = std::move(name);
  w.created_at = w.updated_at = w.last_active_at = 2000;
  return w;
}

WorkspaceItem MakeItem(const Workspace& ws, std::string path, ItemKind kind,
                       std::optional<std::string> parent, std::string content = "") {
  WorkspaceItem it;
  it.id = NewUuid();
  it.workspace_id = ws.id;
  it.parent_id = std::move(parent);
  it.path = std::move(path);
  it.kind = kind;
  it.sha256 = kind == ItemKind::kFile ? Sha256Hex(content) : "";
  it.content = std::move(content);
  it.mtime = it.created_at = 3000;
  return it;
}

template <class F>
auto Read(Storage& s, F&& work) {
  return st::Transact(s, TxKind::kRead, std::forward<F>(work));
}

TEMPLATE_TEST_CASE("users: create, read, update, delete, constraints", "[storage][entities]",
                   CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  Storage& s = db->storage();
  const User ada = MakeUser("ada");
  Write(s, [&](Transaction& tx) { return st::users::Insert(tx, ada); });

  auto got = Read(s, [&](Transaction& tx) { return st::users::GetByUsername(tx, "ada"); });
  REQUIRE(got);
  CHECK(got->id == ada.id);
  CHECK(got->display_name == "Ada Lovelace");
  CHECK(got->role == Role::kUser);

  // Duplicate username.
  auto dup = st::Transact(s, TxKind::kWrite,
                          [&](Transaction& tx) { return st::users::Insert(tx, MakeUser("ada")); });
  REQUIRE_FALSE(dup);
  CHECK(dup.error().code() == Error::Code::kAlreadyExists);

  // CHECK constraint on reviewer level.
  User bad = MakeUser("bob");
  bad.reviewer_level = 9;
  auto rejected =
      st::Transact(s, TxKind::kWrite, [&](Transaction& tx) { return st::users::Insert(tx, bad); });
  REQUIRE_FALSE(rejected);
  CHECK(rejected.error().code() == Error::Code::kInvalidArgument);

  // Update with optimistic version; a stale version is a conflict.
  User edit = *got;
  edit.role = Role::kAdmin;
  edit.reviewer_level = 3;
  const User updated = Write(s, [&](Transaction& tx) { return st::users::Update(tx, edit, 5000); });
  CHECK(updated.version == 2);
  auto stale = st::Transact(s, TxKind::kWrite,
                            [&](Transaction& tx) { return st::users::Update(tx, edit, 6000); });
  REQUIRE_FALSE(stale);
  CHECK(stale.error().code() == Error::Code::kConflict);
  auto reread = Read(s, [&](Transaction& tx) { return st::users::Get(tx, ada.id); });
  CHECK(reread->role == Role::kAdmin);
  CHECK(reread->reviewer_level == 3);
  CHECK(reread->updated_at == 5000);

  Write(s, [&](Transaction& tx) { return st::users::Insert(tx, MakeUser("carol")); });
  auto page = Read(s, [&](Transaction& tx) { return st::users::List(tx, "", 1); });
  REQUIRE(page->size() == 1);
  CHECK(page->front().username == "ada");
  auto next = Read(s, [&](Transaction& tx) { return st::users::List(tx, "ada", 10); });
  REQUIRE(next->size() == 1);
  CHECK(next->front().username == "carol");

  Write(s, [&](Transaction& tx) { return st::users::Delete(tx, ada.id); });
  auto gone = Read(s, [&](Transaction& tx) { return st::users::Get(tx, ada.id); });
  CHECK(gone.error().code() == Error::Code::kNotFound);
}

TEMPLATE_TEST_CASE("refresh tokens: rotate once, revoke families", "[storage][entities]",
                   CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  Storage& s = db->storage();
  const User ada = MakeUser("ada");
  Write(s, [&](Transaction& tx) { return st::users::Insert(tx, ada); });
  RefreshToken t1{NewUuid(), ada.id, "fam-1", Sha256Hex("token-1"), 10, 100, {}, {}};
  RefreshToken t2{NewUuid(), ada.id, "fam-1", Sha256Hex("token-2"), 20, 200, {}, {}};
  Write(s, [&](Transaction& tx) -> Result<void> {
    CY_CHECK(st::refresh_tokens::Insert(tx, t1));
    return st::refresh_tokens::Insert(tx, t2);
  });
  // Unknown user: foreign key.
  RefreshToken orphan{NewUuid(), NewUuid(), "fam-2", Sha256Hex("x"), 1, 2, {}, {}};
  auto fk = st::Transact(s, TxKind::kWrite,
                         [&](Transaction& tx) { return st::refresh_tokens::Insert(tx, orphan); });
  CHECK(fk.error().code() == Error::Code::kFailedPrecondition);

  auto found = Read(
      s, [&](Transaction& tx) { return st::refresh_tokens::GetByHash(tx, Sha256Hex("token-1")); });
  REQUIRE(found);
  CHECK(found->id == t1.id);
  CHECK_FALSE(found->revoked_at.has_value());

  // Only the first rotation wins.
  CHECK(
      Write(s, [&](Transaction& tx) { return st::refresh_tokens::Revoke(tx, t1.id, 50, t2.id); }));
  CHECK_FALSE(
      Write(s, [&](Transaction& tx) { return st::refresh_tokens::Revoke(tx, t1.id, 60, "x"); }));
  auto revoked =
      Read(s, [&](Transaction& tx) { return st::refresh_tokens::GetByHash(tx, t1.token_hash); });
  CHECK(revoked->revoked_at == 50);
  CHECK(revoked->replaced_by == t2.id);

  CHECK(Write(s, [&](Transaction& tx) {
          return st::refresh_tokens::RevokeFamily(tx, "fam-1", 70);
        }) == 1);
  CHECK(Write(s, [&](Transaction& tx) { return st::refresh_tokens::DeleteExpired(tx, 150); }) == 1);
  auto left = Read(s, [&](Transaction& tx) { return st::refresh_tokens::ListForUser(tx, ada.id); });
  REQUIRE(left->size() == 1);
  CHECK(left->front().id == t2.id);
  CHECK(left->front().revoked_at == 70);

  // Deleting the user takes the tokens along.
  Write(s, [&](Transaction& tx) { return st::users::Delete(tx, ada.id); });
  auto none = Read(s, [&](Transaction& tx) { return st::refresh_tokens::ListForUser(tx, ada.id); });
  CHECK(none->empty());
}

TEMPLATE_TEST_CASE("workspaces: lifecycle fields, states, owner foreign key", "[storage][entities]",
                   CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  Storage& s = db->storage();
  const User ada = MakeUser("ada");
  Write(s, [&](Transaction& tx) { return st::users::Insert(tx, ada); });
  const Workspace w1 = MakeWorkspace(ada, "homework");
  Workspace w2 = MakeWorkspace(ada, "ünïcode ✓");
  w2.created_at = 2500;
  Write(s, [&](Transaction& tx) -> Result<void> {
    CY_CHECK(st::workspaces::Insert(tx, w1));
    return st::workspaces::Insert(tx, w2);
  });
  auto fk = st::Transact(s, TxKind::kWrite, [&](Transaction& tx) {
    return st::workspaces::Insert(tx, MakeWorkspace(MakeUser("ghost"), "x"));
  });
  CHECK(fk.error().code() == Error::Code::kFailedPrecondition);

  auto list = Read(s, [&](Transaction& tx) { return st::workspaces::ListByOwner(tx, ada.id); });
  REQUIRE(list->size() == 2);
  CHECK(list->at(1).name == "ünïcode ✓");  // oldest first: created_at, then id

  CHECK(Write(s, [&](Transaction& tx) {
    return st::workspaces::TransitionState(tx, w1.id, WorkspaceState::kStopped,
                                           WorkspaceState::kStarting, 10);
  }));
  CHECK_FALSE(Write(s, [&](Transaction& tx) {
    return st::workspaces::TransitionState(tx, w1.id, WorkspaceState::kStopped,
                                           WorkspaceState::kStarting, 11);
  }));
  Write(s, [&](Transaction& tx) -> Result<void> {
    CY_CHECK(st::workspaces::Touch(tx, w1.id, 99));
    return st::workspaces::AddBytes(tx, w1.id, 1234);
  });
  auto starting = Read(s, [&](Transaction& tx) {
    return st::workspaces::ListByState(tx, WorkspaceState::kStarting);
  });
  REQUIRE(starting->size() == 1);
  CHECK(starting->front().id == w1.id);
  CHECK(starting->front().last_active_at == 99);
  CHECK(starting->front().total_bytes == 1234);
  CHECK(starting->front().version == 1);  // activity is not an edit

  Workspace renamed = starting->front();
  renamed.name = "homework-2";
  CHECK(Write(s, [&](Transaction& tx) { return st::workspaces::Update(tx, renamed, 7); }).version ==
        2);
  auto stale = st::Transact(
      s, TxKind::kWrite, [&](Transaction& tx) { return st::workspaces::Update(tx, renamed, 8); });
  CHECK(stale.error().code() == Error::Code::kConflict);
  auto missing = st::Transact(
      s, TxKind::kWrite, [&](Transaction& tx) { return st::workspaces::Delete(tx, NewUuid()); });
  CHECK(missing.error().code() == Error::Code::kNotFound);
}

TEMPLATE_TEST_CASE("items: tree, content, versions, move and delete", "[storage][entities]",
                   CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  Storage& s = db->storage();
  const User ada = MakeUser("ada");
  const Workspace ws = MakeWorkspace(ada, "proj");
  const WorkspaceItem src = MakeItem(ws, "src", ItemKind::kDir, {});
  const WorkspaceItem lib = MakeItem(ws, "src/lib", ItemKind::kDir, src.id);
  const WorkspaceItem main_py = MakeItem(ws, "src/main.py", ItemKind::kFile, src.id, "print(1)\n");
  const WorkspaceItem util = MakeItem(ws, "src/lib/ütil.py", ItemKind::kFile, lib.id, "x = 1\n");
  const WorkspaceItem readme = MakeItem(ws, "README.md", ItemKind::kFile, {}, "# hi\n");
  Write(s, [&](Transaction& tx) -> Result<void> {
    CY_CHECK(st::users::Insert(tx, ada));
    CY_CHECK(st::workspaces::Insert(tx, ws));
    for (const auto* it : {&src, &lib, &main_py, &util, &readme}) {
      CY_CHECK(st::items::Insert(tx, *it));
    }
    return {};
  });

  auto dup = st::Transact(s, TxKind::kWrite, [&](Transaction& tx) {
    return st::items::Insert(tx, MakeItem(ws, "README.md", ItemKind::kFile, {}, "again"));
  });
  CHECK(dup.error().code() == Error::Code::kAlreadyExists);

  auto all = Read(s, [&](Transaction& tx) { return st::items::List(tx, ws.id); });
  REQUIRE(all->size() == 5);
  CHECK_FALSE(all->front().content_loaded);
  auto top = Read(s, [&](Transaction& tx) { return st::items::ListChildren(tx, ws.id, {}); });
  REQUIRE(top->size() == 2);
  auto in_src =
      Read(s, [&](Transaction& tx) { return st::items::ListChildren(tx, ws.id, src.id); });
  REQUIRE(in_src->size() == 2);

  // Content write with the right version, then a stale one.
  auto written = Write(s, [&](Transaction& tx) {
    return st::items::WriteContent(tx, ws.id, "src/main.py", "print(2)\nprint(3)\n",
                                   Sha256Hex("print(2)\nprint(3)\n"), 4000, int64_t{1});
  });
  CHECK(written.version == 2);
  CHECK(written.size_delta == 9);
  auto stale = st::Transact(s, TxKind::kWrite, [&](Transaction& tx) {
    return st::items::WriteContent(tx, ws.id, "src/main.py", "lost", "", 4001, int64_t{1});
  });
  CHECK(stale.error().code() == Error::Code::kConflict);
  auto loaded = Read(s, [&](Transaction& tx) {
    return st::items::Get(tx, ws.id, "src/main.py", st::items::Content::kLoad);
  });
  CHECK(loaded->content == "print(2)\nprint(3)\n");
  CHECK(loaded->size == 18);
  CHECK(loaded->sha256 == Sha256Hex("print(2)\nprint(3)\n"));
  auto folder_write = st::Transact(s, TxKind::kWrite, [&](Transaction& tx) {
    return st::items::WriteContent(tx, ws.id, "src", "x", "", 1, {});
  });
  CHECK(folder_write.error().code() == Error::Code::kInvalidArgument);

  // Moving a folder moves what it holds.
  Write(s, [&](Transaction& tx) { return st::items::Move(tx, ws.id, "src", "app", {}, 5000, {}); });
  auto moved = Read(s, [&](Transaction& tx) {
    return st::items::Get(tx, ws.id, "app/lib/ütil.py", st::items::Content::kLoad);
  });
  REQUIRE(moved);
  CHECK(moved->content == "x = 1\n");
  CHECK(moved->parent_id == lib.id);
  auto old = Read(s, [&](Transaction& tx) {
    return st::items::Get(tx, ws.id, "src/main.py", st::items::Content::kSkip);
  });
  CHECK(old.error().code() == Error::Code::kNotFound);
  auto onto = st::Transact(s, TxKind::kWrite, [&](Transaction& tx) {
    return st::items::Move(tx, ws.id, "README.md", "app", {}, 1, {});
  });
  CHECK(onto.error().code() == Error::Code::kAlreadyExists);
  auto into_self = st::Transact(s, TxKind::kWrite, [&](Transaction& tx) {
    return st::items::Move(tx, ws.id, "app", "app/lib/app", lib.id, 1, {});
  });
  CHECK(into_self.error().code() == Error::Code::kInvalidArgument);

  // Deleting a folder deletes its contents and reports the bytes freed.
  CHECK(Read(s, [&](Transaction& tx) { return st::items::TotalBytes(tx, ws.id); }) == 18 + 6 + 5);
  const int64_t freed =
      Write(s, [&](Transaction& tx) { return st::items::Delete(tx, ws.id, "app", {}); });
  CHECK(freed == 18 + 6);
  auto rest = Read(s, [&](Transaction& tx) { return st::items::List(tx, ws.id); });
  REQUIRE(rest->size() == 1);
  CHECK(rest->front().path == "README.md");

  // Deleting the workspace deletes its items.
  Write(s, [&](Transaction& tx) { return st::workspaces::Delete(tx, ws.id); });
  auto after = Read(s, [&](Transaction& tx) { return st::items::List(tx, ws.id); });
  CHECK(after->empty());
}

TEMPLATE_TEST_CASE("items: an 8 MiB binary file round-trips byte-exact", "[storage][entities]",
                   CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  Storage& s = db->storage();
  const User ada = MakeUser("ada");
  const Workspace ws = MakeWorkspace(ada, "big");
  std::string big(8u << 20, '\0');
  uint32_t x = 2463534242u;  // xorshift: every byte value, no pattern a backend could fold
  for (char& c : big) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    c = static_cast<char>(x & 0xff);
  }
  const WorkspaceItem item = MakeItem(ws, "data.bin", ItemKind::kFile, {}, big);
  Write(s, [&](Transaction& tx) -> Result<void> {
    CY_CHECK(st::users::Insert(tx, ada));
    CY_CHECK(st::workspaces::Insert(tx, ws));
    return st::items::Insert(tx, item);
  });
  auto got = Read(s, [&](Transaction& tx) {
    return st::items::Get(tx, ws.id, "data.bin", st::items::Content::kLoad);
  });
  REQUIRE(got);
  CHECK(got->size == static_cast<int64_t>(big.size()));
  CHECK(got->content.size() == big.size());
  CHECK(got->content == big);
  CHECK(Sha256Hex(got->content) == item.sha256);
}

TEMPLATE_TEST_CASE("pods, manifests and the audit log", "[storage][entities]",
                   CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  Storage& s = db->storage();
  const User ada = MakeUser("ada");
  const Workspace ws = MakeWorkspace(ada, "p");
  Write(s, [&](Transaction& tx) -> Result<void> {
    CY_CHECK(st::users::Insert(tx, ada));
    return st::workspaces::Insert(tx, ws);
  });

  st::pods::ClaimRequest claim{.workspace_id = ws.id,
                               .owner_id = ada.id,
                               .replica = "replica-a",
                               .executor = "local",
                               .now = 10,
                               .lease_ms = 100,
                               .max_running_per_user = 3,
                               .max_running_total = 3};
  const auto claimed = Write(s, [&](Transaction& tx) { return st::pods::Claim(tx, claim); });
  CHECK(claimed.outcome == st::pods::ClaimOutcome::kNew);
  Write(s, [&](Transaction& tx) {
    return st::pods::SetPod(tx, ws.id, "replica-a", claimed.lease.generation, "pod-1", 11);
  });
  auto got = Read(s, [&](Transaction& tx) { return st::pods::Get(tx, ws.id); });
  CHECK(got->pod_id == "pod-1");
  CHECK(got->replica == "replica-a");
  CHECK(got->state == "running");
  CHECK(got->lease_until == 110);
  auto held = Read(s, [&](Transaction& tx) { return st::pods::ListHeld(tx); });
  REQUIRE(held->size() == 1);
  CHECK(held->front().workspace_id == ws.id);
  claim.workspace_id = "no-such-workspace";
  auto orphan =
      st::Transact(s, TxKind::kWrite, [&](Transaction& tx) { return st::pods::Claim(tx, claim); });
  CHECK(orphan.error().code() == Error::Code::kFailedPrecondition);

  const std::vector<ManifestEntry> manifest = {
      {"a.py", ItemKind::kFile, 3, 1700000000123456789, Sha256Hex("abc"), 1},
      {"dir", ItemKind::kDir, 0, 5, "", 1},
  };
  Write(s, [&](Transaction& tx) { return st::manifests::Replace(tx, ws.id, manifest); });
  CHECK(Read(s, [&](Transaction& tx) { return st::manifests::List(tx, ws.id); }) == manifest);
  ManifestEntry changed = manifest[0];
  changed.size = 4;
  changed.item_version = 2;
  Write(s, [&](Transaction& tx) { return st::manifests::Put(tx, ws.id, changed); });
  CHECK(Write(s, [&](Transaction& tx) { return st::manifests::Remove(tx, ws.id, "dir"); }));
  auto now = Read(s, [&](Transaction& tx) { return st::manifests::List(tx, ws.id); });
  REQUIRE(now->size() == 1);
  CHECK(now->front() == changed);

  const int64_t id1 = Write(s, [&](Transaction& tx) {
    return st::audit::Append(
        tx, AuditEntry{0, 10, ada.id, "user.login", ada.id, "{}", "req-1", "192.0.2.1"});
  });
  const int64_t id2 = Write(s, [&](Transaction& tx) {
    return st::audit::Append(tx, AuditEntry{0, 11, {}, "system.start", "", R"({"n":1})", "", ""});
  });
  CHECK(id2 > id1);
  // After id1: the pod set above was recorded too (pod.create).
  auto entries = Read(s, [&](Transaction& tx) { return st::audit::List(tx, id1 - 1, 10); });
  REQUIRE(entries->size() == 2);
  CHECK(entries->at(0).actor_id == ada.id);
  CHECK_FALSE(entries->at(1).actor_id.has_value());
  CHECK(entries->at(1).detail == R"({"n":1})");
  // The audit log outlives its actors.
  Write(s, [&](Transaction& tx) { return st::users::Delete(tx, ada.id); });
  auto mine = Read(s, [&](Transaction& tx) { return st::audit::ListByActor(tx, ada.id, 10); });
  REQUIRE(mine->size() == 1);
  CHECK(mine->front().request_id == "req-1");
  CHECK(mine->front().source == "192.0.2.1");
}

}  // namespace
TEMPLATE_TEST_CASE("workspaces: the quota migration keeps duplicate names and counts entries",
                   "[storage][entities][migrations]", CODEYARD_STORAGE_BACKENDS) {
  // The schema before migration 2, as an existing database would have it.
  auto db = TestType::CreateEmpty();
  Storage& s = db->storage();
  REQUIRE(ApplyMigrations(s, *DefaultClock(), BuiltinMigrations().first(1)) == 1);
  const User ada = MakeUser("ada");
  const User bob = MakeUser("bob");
  Workspace older = MakeWorkspace(ada, "Python basics");
  Workspace newer = MakeWorkspace(ada, "Python basics");
  newer.created_at = 2500;
  Workspace bobs = MakeWorkspace(bob, "Python basics");
  Write(s, [&](Transaction& tx) -> Result<void> {
    // As that release wrote users (today's repository also makes a personal organization).
    for (const User* u : {&ada, &bob}) {
      CY_CHECK(
          tx.Exec("INSERT INTO users (id, username, password_hash, created_at, updated_at) "
                  "VALUES (?, ?, 'x', 1000, 1000)",
                  {Value{u->id}, Value{u->username}}));
    }
    for (const Workspace* w : {&older, &newer, &bobs}) {
      CY_CHECK(
          tx.Exec("INSERT INTO workspaces (id, owner_id, name, state, total_bytes, created_at, "
                  "updated_at, last_active_at, version) VALUES (?, ?, ?, 'stopped', 0, ?, ?, ?, 1)",
                  {Value{w->id}, Value{w->owner_id}, Value{w->name}, Value{w->created_at},
                   Value{w->created_at}, Value{w->created_at}}));
    }
    // Written as that release did (today's repository writes columns it did not have).
    CY_CHECK(
        tx.Exec("INSERT INTO workspace_items (id, workspace_id, path, kind, mtime, "
                "created_at) VALUES (?, ?, 'src', 'dir', 1, 1)",
                {Value{NewUuid()}, Value{older.id}}));
    // A pod record of the node era, before leases (migration 4).
    CY_CHECK(
        tx.Exec("INSERT INTO pods (workspace_id, pod_id, executor, node, state, created_at, "
                "updated_at) VALUES (?, 'pod-old', 'local', 'host-a', 'running', 7, 8)",
                {Value{older.id}}));
    return {};
  });
  auto applied = ApplyMigrations(s, *DefaultClock());
  REQUIRE(applied.has_value());
  // The old record became an expired lease on its pod: the next replica to open the
  // workspace takes it over (and adopts the pod if it is alive).
  auto old_pod = Read(s, [&](Transaction& tx) { return st::pods::Get(tx, older.id); });
  REQUIRE(old_pod);
  CHECK(old_pod->pod_id == "pod-old");
  CHECK(old_pod->replica == "host-a");
  CHECK(old_pod->state == "running");
  CHECK(old_pod->lease_until == 0);
  CHECK(old_pod->generation == 1);

  auto got_older = Read(s, [&](Transaction& tx) { return st::workspaces::Get(tx, older.id); });
  auto got_newer = Read(s, [&](Transaction& tx) { return st::workspaces::Get(tx, newer.id); });
  auto got_bobs = Read(s, [&](Transaction& tx) { return st::workspaces::Get(tx, bobs.id); });
  CHECK(got_older->name == "Python basics");
  CHECK(got_newer->name == "Python basics (" + newer.id.substr(0, 8) + ")");
  CHECK(got_bobs->name == "Python basics");  // another user's is no duplicate
  CHECK(got_older->entry_count == 1);
  CHECK(got_newer->entry_count == 0);
  // From now on the index refuses a duplicate, whoever checks first.
  Workspace dup = MakeWorkspace(ada, "Python basics");
  auto refused = st::Transact(s, TxKind::kWrite,
                              [&](Transaction& tx) { return st::workspaces::Insert(tx, dup); });
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code() == Error::Code::kAlreadyExists);
}

}  // namespace codeyard
