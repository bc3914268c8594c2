// Concurrent writers, in threads and in processes, lose no update; concurrent first opens
// agree on one schema.
#include <catch2/catch.hpp>

#include <array>
#include <thread>

#include "codeyard/backend/schema.hpp"
#include "core/store/users.hpp"
#include "core/store/workspaces.hpp"
#include "storage/backend_fixture.hpp"
#include "storage/counter.hpp"
#include "storage/stress_helper_process.hpp"

namespace codeyard {
namespace {

constexpr int kIncrements = 150;

// A user, a workspace, and the counter item at "0"; returns the workspace id.
std::string SeedCounter(Storage& s) {
  const std::string ws = NewUuid();
  const std::string user = NewUuid();
  auto r = store::Transact(s, TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
    CY_CHECK(store::users::Insert(
        tx, User{user, "u" + user.substr(0, 8), "", "h", Role::kUser, 0, false, 1, 1, 1}));
    CY_CHECK(store::workspaces::Insert(
        tx, Workspace{ws, user, "w", WorkspaceState::kStopped, 0, 1, 1, 1, 1}));
    WorkspaceItem item;
    item.id = NewUuid();
    item.workspace_id = ws;
    item.path = testing::kCounterPath;
    item.content = "0";
    item.sha256 = Sha256Hex("0");
    return store::items::Insert(tx, item);
  });
  REQUIRE(r);
  return ws;
}

std::pair<int64_t, int64_t> ReadCounter(Storage& s, const std::string& ws) {
  auto tx = s.Begin(TxKind::kRead);
  REQUIRE(tx);
  auto item = store::items::Get(**tx, ws, testing::kCounterPath, store::items::Content::kLoad);
  REQUIRE(item);
  return {std::stoll(item->content), item->version};
}

TEMPLATE_TEST_CASE("two threads incrementing one item lose no update", "[storage][concurrency]",
                   CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  Storage& s = db->storage();
  const std::string ws = SeedCounter(s);
  std::array<Result<int>, 2> results = {Result<int>(0), Result<int>(0)};
  std::thread a([&] { results[0] = testing::IncrementCounter(s, ws, kIncrements); });
  std::thread b([&] { results[1] = testing::IncrementCounter(s, ws, kIncrements); });
  a.join();
  b.join();
  for (const auto& r : results) {
    if (!r) FAIL(r.error().ToString());
  }
  const auto [value, version] = ReadCounter(s, ws);
  CHECK(value == 2 * kIncrements);
  CHECK(version == 2 * kIncrements + 1);
}

TEMPLATE_TEST_CASE("two processes incrementing one item lose no update", "[storage][concurrency]",
                   CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  const std::string ws = SeedCounter(db->storage());
  const std::string n = std::to_string(kIncrements);
  const pid_t p1 = testing::SpawnStressHelper({"increment", db->uri(), ws, n});
  const pid_t p2 = testing::SpawnStressHelper({"increment", db->uri(), ws, n});
  CHECK(testing::WaitExit(p1) == 0);
  CHECK(testing::WaitExit(p2) == 0);
  const auto [value, version] = ReadCounter(db->storage(), ws);
  CHECK(value == 2 * kIncrements);
  CHECK(version == 2 * kIncrements + 1);
}

TEST_CASE("two processes opening a new SQLite database at once both succeed",
          "[storage][concurrency]") {
  for (int round = 0; round < 5; ++round) {
    testing::TempDir dir;
    const std::string uri = "sqlite://" + (dir.path() / "fresh.db").string();
    const pid_t p1 = testing::SpawnStressHelper({"migrate", uri});
    const pid_t p2 = testing::SpawnStressHelper({"migrate", uri});
    CHECK(testing::WaitExit(p1) == 0);
    CHECK(testing::WaitExit(p2) == 0);
    auto s = testing::OpenOrDie(uri);
    CHECK(*SchemaVersion(*s) == BuiltinMigrations().back().version);
    auto tx = s->Begin(TxKind::kRead);
    REQUIRE(tx);
    auto rows = (*tx)->Query("SELECT COUNT(*) FROM schema_migrations", {});
    CHECK(*rows->front().Int(0) == static_cast<int64_t>(BuiltinMigrations().size()));
  }
}

TEST_CASE("two processes migrating a new PostgreSQL schema at once both succeed",
          "[storage][concurrency]") {
  // A fresh schema with nothing in it: the fixture migrates, so make our own.
  const std::string server = testing::PostgresServerUri();
  for (int round = 0; round < 3; ++round) {
    const std::string schema = "m_" + NewUuid().substr(0, 8);
    {
      auto admin = testing::OpenOrDie(server);
      auto tx = admin->Begin(TxKind::kWrite);
      REQUIRE(tx);
      REQUIRE((*tx)->Exec("CREATE SCHEMA " + schema, {}));
      REQUIRE((*tx)->Commit());
    }
    const char sep = server.find('?') == std::string::npos ? '?' : '&';
    const std::string uri = server + sep + "options=-csearch_path%3D" + schema;
    const pid_t p1 = testing::SpawnStressHelper({"migrate", uri});
    const pid_t p2 = testing::SpawnStressHelper({"migrate", uri});
    CHECK(testing::WaitExit(p1) == 0);
    CHECK(testing::WaitExit(p2) == 0);
    {
      auto s = testing::OpenOrDie(uri);
      auto tx = s->Begin(TxKind::kRead);
      REQUIRE(tx);
      auto rows = (*tx)->Query("SELECT COUNT(*) FROM schema_migrations", {});
      REQUIRE(rows);
      CHECK(*rows->front().Int(0) == static_cast<int64_t>(BuiltinMigrations().size()));
    }
    auto admin = testing::OpenOrDie(server);
    auto tx = admin->Begin(TxKind::kWrite);
    REQUIRE(tx);
    REQUIRE((*tx)->Exec("DROP SCHEMA " + schema + " CASCADE", {}));
    REQUIRE((*tx)->Commit());
  }
}

}  // namespace
}  // namespace codeyard
