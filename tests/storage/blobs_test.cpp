// Content blobs on both backends: the migration that moved file bytes out of workspace_items
// (run on a database made by the previous release's schema, 0001-0005), identical content
// stored once, and collection of what nothing references.
#include <catch2/catch.hpp>

#include <map>

#include "codeyard/backend/registry.hpp"
#include "codeyard/backend/schema.hpp"
#include "codeyard/files.hpp"
#include "codeyard/id.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/reviews.hpp"
#include "codeyard/workspaces.hpp"
#include "core/store/blobs.hpp"
#include "core/store/items.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "core/store/workspaces.hpp"
#include "storage/backend_fixture.hpp"

namespace codeyard {
namespace {

constexpr int64_t kPreviousRelease = 5;  // the schema before content blobs

template <class F>
void Write(Storage& s, F&& work) {
  auto done = store::Transact(s, TxKind::kWrite, std::forward<F>(work));
  if (!done) FAIL(done.error().ToString());
}

// Every byte value, a NUL in the middle, and some size.
std::string Binary(int seed, std::size_t size) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>((i * 31 + seed) & 0xff);
  return out;
}

TEMPLATE_TEST_CASE("blobs: the migration moves every file's bytes out of the items",
                   "[storage][blobs]", CODEYARD_STORAGE_BACKENDS) {
  const auto db = TestType::CreateEmpty();
  Storage& s = db->storage();
  const auto all = BuiltinMigrations();
  REQUIRE(all.size() > static_cast<std::size_t>(kPreviousRelease));
  REQUIRE(ApplyMigrations(s, *DefaultClock(), all.first(kPreviousRelease)) == kPreviousRelease);

  // Rows as the previous release wrote them: content in workspace_items, with its digest.
  // Two workspaces share two contents; an empty file; a binary one; a folder.
  struct File {
    std::string ws;
    std::string path;
    std::string content;
  };
  const std::string ws_a = NewUuid();
  const std::string ws_b = NewUuid();
  const std::vector<File> files = {
      {ws_a, "same.txt", "shared\n"},
      {ws_b, "copy.txt", "shared\n"},
      {ws_a, "empty", ""},
      {ws_b, "empty2", ""},
      {ws_a, "bin.dat", Binary(7, 70000)},
      {ws_b, "big.dat", Binary(9, 300000)},
      {ws_a, "dir/inner.py", "print(1)\n"},
  };
  Write(s, [&](Transaction& tx) -> Result<void> {
    const std::string user = NewUuid();
    CY_CHECK(
        tx.Exec("INSERT INTO users (id, username, password_hash, created_at, updated_at) "
                "VALUES (?, 'old', 'h', 1, 1)",
                {Value{user}}));
    for (const std::string& ws : {ws_a, ws_b}) {
      CY_CHECK(
          tx.Exec("INSERT INTO workspaces (id, owner_id, name, created_at, updated_at, "
                  "last_active_at) VALUES (?, ?, ?, 1, 1, 1)",
                  {Value{ws}, Value{user}, Value{ws.substr(0, 8)}}));
    }
    const std::string dir = NewUuid();
    CY_CHECK(
        tx.Exec("INSERT INTO workspace_items (id, workspace_id, path, kind, mtime, "
                "created_at) VALUES (?, ?, 'dir', 'dir', 1, 1)",
                {Value{dir}, Value{ws_a}}));
    for (const File& f : files) {
      const bool nested = f.path.starts_with("dir/");
      CY_CHECK(tx.Exec(
          "INSERT INTO workspace_items (id, workspace_id, parent_id, path, kind, content, size, "
          "sha256, mtime, created_at) VALUES (?, ?, ?, ?, 'file', ?, ?, ?, 2, 2)",
          {Value{NewUuid()}, Value{f.ws}, nested ? Value{dir} : Value{}, Value{f.path},
           Value{Blob{f.content}}, Value{static_cast<int64_t>(f.content.size())},
           Value{Sha256Hex(f.content)}}));
    }
    return {};
  });

  REQUIRE(ApplyMigrations(s, *DefaultClock()) == static_cast<int64_t>(all.size()));

  // Every byte reads back, through the repository the library uses.
  auto read = store::Transact(s, TxKind::kRead, [&](Transaction& tx) -> Result<void> {
    for (const File& f : files) {
      INFO(f.path);
      CY_TRY(const WorkspaceItem item,
             store::items::Get(tx, f.ws, f.path, store::items::Content::kLoad));
      CHECK(item.content == f.content);
      CHECK(item.size == static_cast<int64_t>(f.content.size()));
      CHECK(item.sha256 == Sha256Hex(f.content));
    }
    CY_TRY(const WorkspaceItem dir,
           store::items::Get(tx, ws_a, "dir", store::items::Content::kLoad));
    CHECK(dir.kind == ItemKind::kDir);
    // Identical content is one blob: 7 files, 5 distinct contents.
    CY_TRY(const store::blobs::Totals totals, store::blobs::Count(tx));
    CHECK(totals.count == 5);
    CHECK(totals.bytes == 7 + 0 + 70000 + 300000 + 9);
    return {};
  });
  REQUIRE(read);
}

TEMPLATE_TEST_CASE("blobs: the migration refuses a digest that does not match", "[storage][blobs]",
                   CODEYARD_STORAGE_BACKENDS) {
  const auto db = TestType::CreateEmpty();
  Storage& s = db->storage();
  const auto all = BuiltinMigrations();
  REQUIRE(ApplyMigrations(s, *DefaultClock(), all.first(kPreviousRelease)) == kPreviousRelease);
  // Two different contents under one digest: merging them would lose one.
  Write(s, [&](Transaction& tx) -> Result<void> {
    CY_CHECK(
        tx.Exec("INSERT INTO users (id, username, password_hash, created_at, updated_at) "
                "VALUES ('u', 'old', 'h', 1, 1)",
                {}));
    CY_CHECK(
        tx.Exec("INSERT INTO workspaces (id, owner_id, name, created_at, updated_at, "
                "last_active_at) VALUES ('w', 'u', 'w', 1, 1, 1)",
                {}));
    for (const std::string& text : {std::string("one"), std::string("two")}) {
      CY_CHECK(
          tx.Exec("INSERT INTO workspace_items (id, workspace_id, path, kind, content, size, "
                  "sha256, mtime, created_at) VALUES (?, 'w', ?, 'file', ?, 3, ?, 2, 2)",
                  {Value{NewUuid()}, Value{text}, Value{Blob{text}}, Value{Sha256Hex("one")}}));
    }
    return {};
  });
  auto migrated = ApplyMigrations(s, *DefaultClock());
  REQUIRE_FALSE(migrated);
  CHECK(migrated.error().message().find("migration 6") != std::string::npos);
  // Nothing changed: the schema is still the previous release's, the bytes still there.
  CHECK(SchemaVersion(s) == kPreviousRelease);
}

// A platform over a fresh database of one backend, with a user and two workspaces.
struct World {
  explicit World(std::unique_ptr<testing::TestDatabase> database) : db(std::move(database)) {
    Options o;
    o.storage = db->shared();
    auto opened = Platform::Open(o);
    if (!opened) FAIL(opened.error().ToString());
    platform = std::shared_ptr<Platform>(std::move(*opened));
    files = std::make_unique<Files>(platform);
    User u;
    u.id = NewUuid();
    u.username = "ada";
    u.password_hash = "h";
    user = u.id;
    Write(platform->storage(), [&](Transaction& tx) { return store::users::Insert(tx, u); });
    for (std::string* id : {&ws_a, &ws_b}) {
      Workspace w;
      w.id = *id = NewUuid();
      w.owner_id = user;
      w.name = id == &ws_a ? "a" : "b";
      Write(platform->storage(), [&](Transaction& tx) { return store::workspaces::Insert(tx, w); });
    }
  }
  store::blobs::Totals Totals() const {
    auto t = store::Transact(platform->storage(), TxKind::kRead,
                             [](Transaction& tx) { return store::blobs::Count(tx); });
    if (!t) FAIL(t.error().ToString());
    return *t;
  }
  int64_t Collect() const {
    auto n = store::blobs::CollectAll(platform->storage(), 2);  // small batches: the loop
    if (!n) FAIL(n.error().ToString());
    return *n;
  }
  void DeleteWorkspace(const std::string& id) const {
    Write(platform->storage(), [&](Transaction& tx) { return store::workspaces::Delete(tx, id); });
  }

  std::unique_ptr<testing::TestDatabase> db;
  std::shared_ptr<Platform> platform;
  std::unique_ptr<Files> files;
  std::string user, ws_a, ws_b;
};

TEMPLATE_TEST_CASE("blobs: identical content is stored once, and collected when unreferenced",
                   "[storage][blobs]", CODEYARD_STORAGE_BACKENDS) {
  World w(TestType::Create());
  Files& f = *w.files;
  const std::string big = Binary(3, 100000);
  for (const std::string& ws : {w.ws_a, w.ws_b}) {
    REQUIRE(f.Write(w.user, ws, "one.bin", big));
    REQUIRE(f.Write(w.user, ws, "two.bin", big));
    REQUIRE(f.Write(w.user, ws, "src/x.py", "x\n"));
  }
  CHECK(w.Totals().count == 2);
  CHECK(w.Totals().bytes == 100000 + 2);
  CHECK(f.Read(w.user, w.ws_b, "two.bin")->content == big);
  // Nothing is unreferenced yet.
  CHECK(w.Collect() == 0);

  // Overwriting the last holder of content leaves its blob for the collector.
  REQUIRE(f.Write(w.user, w.ws_a, "src/x.py", "y\n"));
  CHECK(w.Collect() == 0);  // ws_b still holds "x\n"
  REQUIRE(f.Write(w.user, w.ws_b, "src/x.py", "y\n"));
  CHECK(w.Totals().count == 3);
  CHECK(w.Collect() == 1);
  CHECK(w.Totals().count == 2);

  // A review's snapshot keeps its blobs after the workspace is gone.
  Reviews reviews(w.platform);
  REQUIRE(f.Write(w.user, w.ws_a, "only-in-a.txt", "mine\n"));
  auto review = reviews.Create(w.user, {w.ws_a, "t", "", ReviewPriority::kLow, 0});
  REQUIRE(review);
  w.DeleteWorkspace(w.ws_a);
  CHECK(w.Collect() == 0);
  auto kept = reviews.ReadFile(w.user, review->id, 1, "only-in-a.txt");
  REQUIRE(kept);
  CHECK(kept->content == "mine\n");
  // Deleting the other workspace frees what only it and nothing else held.
  w.DeleteWorkspace(w.ws_b);
  CHECK(w.Collect() == 0);  // the review holds big, "y\n" and "mine\n"
  CHECK(w.Totals().count == 3);
  CHECK(reviews.CollectBlobs() == 0);
}

TEMPLATE_TEST_CASE("blobs: deleting a workspace leaves no unreachable blob after a sweep",
                   "[storage][blobs]", CODEYARD_STORAGE_BACKENDS) {
  World w(TestType::Create());
  for (int i = 0; i < 7; ++i) {
    REQUIRE(w.files->Write(w.user, w.ws_a, "f" + std::to_string(i), Binary(i, 1000 + i)));
  }
  REQUIRE(w.files->Write(w.user, w.ws_b, "shared", Binary(0, 1000)));
  CHECK(w.Totals().count == 7);
  w.DeleteWorkspace(w.ws_a);
  CHECK(w.Collect() == 6);  // batches of 2: the loop runs until a batch comes up short
  CHECK(w.Totals().count == 1);
  CHECK(w.files->Read(w.user, w.ws_b, "shared")->content == Binary(0, 1000));
}

}  // namespace
}  // namespace codeyard
