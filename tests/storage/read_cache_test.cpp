// The SQLite read cache (storage/sqlite/sqlite_read_cache.hpp): repeated reads are answered
// from memory, and never after a commit by anyone (this storage's writer, another connection,
// another process), and one transaction never mixes answers from two states. SQLite only:
// PostgreSQL has no cache.
#include <sqlite3.h>

#include <catch2/catch.hpp>

#include "codeyard/backend/registry.hpp"
#include "codeyard/id.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "storage/backend_fixture.hpp"
#include "storage/sqlite/sqlite_read_cache.hpp"
#include "storage/stress_helper_process.hpp"

namespace codeyard {
namespace {

constexpr const char* kNameSql = "SELECT username FROM users WHERE id = ?";

std::string AddUser(Storage& storage, const std::string& name) {
  const std::string id = NewUuid();
  auto added = store::Transact(storage, TxKind::kWrite, [&](Transaction& tx) {
    return store::users::Insert(tx, User{id, name, "", "h", Role::kUser, 0, false, 1, 1, 1});
  });
  REQUIRE(added);
  return id;
}

void Rename(Storage& storage, const std::string& id, const std::string& name) {
  auto changed = store::Transact(storage, TxKind::kWrite, [&](Transaction& tx) {
    return tx.Exec("UPDATE users SET username = ? WHERE id = ?", {Value{name}, Value{id}});
  });
  REQUIRE(changed);
  REQUIRE(*changed == 1);
}

// The user's name as a read transaction sees it ("" when there is no such user).
std::string NameOf(Storage& storage, const std::string& id) {
  auto name = store::Transact(storage, TxKind::kRead, [&](Transaction& tx) -> Result<std::string> {
    CY_TRY(Rows rows, tx.Query(kNameSql, {Value{id}}));
    if (rows.empty()) return std::string();
    return rows.front().Text(0);
  });
  REQUIRE(name);
  return *name;
}

int64_t Hits(const Storage& storage) {
  const auto stats = storage.CacheStats();
  REQUIRE(stats);
  return stats->hits;
}

TEST_CASE("the SQLite read cache answers a repeated read until anyone commits",
          "[storage][read_cache]") {
  auto db = testing::SqliteBackend::Create();
  Storage& storage = db->storage();
  const std::string id = AddUser(storage, "ada");

  CHECK(NameOf(storage, id) == "ada");  // filled
  const int64_t hits = Hits(storage);
  CHECK(NameOf(storage, id) == "ada");
  CHECK(Hits(storage) == hits + 1);  // answered from memory

  SECTION("a commit of this storage's own writer") {
    Rename(storage, id, "grace");
    CHECK(NameOf(storage, id) == "grace");
    CHECK(Hits(storage) == hits + 1);
  }
  SECTION("a commit of another connection in this process") {
    auto other = testing::OpenOrDie(db->uri());
    Rename(*other, id, "grace");
    CHECK(NameOf(storage, id) == "grace");
    CHECK(Hits(storage) == hits + 1);
  }
  SECTION("a commit of another process") {
    CHECK(testing::RunStressHelper(
              {"exec", db->uri(), "UPDATE users SET username = 'grace' WHERE id = '" + id + "'"}) ==
          0);
    CHECK(NameOf(storage, id) == "grace");
    CHECK(Hits(storage) == hits + 1);
  }
  SECTION("a delete") {
    CHECK(testing::RunStressHelper(
              {"exec", db->uri(), "DELETE FROM users WHERE id = '" + id + "'"}) == 0);
    CHECK(NameOf(storage, id).empty());
  }
  SECTION("a commit that changes another table") {
    AddUser(storage, "other");
    CHECK(NameOf(storage, id) == "ada");
    CHECK(Hits(storage) == hits + 1);  // any commit empties the cache
  }
  // Whatever changed, the new answer is kept in turn.
  const int64_t after = Hits(storage);
  (void)NameOf(storage, id);
  CHECK(Hits(storage) == after + 1);
}

TEST_CASE("a cached read transaction never mixes answers from two states",
          "[storage][read_cache]") {
  auto db = testing::SqliteBackend::Create();
  Storage& storage = db->storage();
  const std::string a = AddUser(storage, "ada");
  const std::string b = AddUser(storage, "bob");
  CHECK(NameOf(storage, a) == "ada");  // a is cached, b is not

  auto tx = storage.Begin(TxKind::kRead);
  REQUIRE(tx);
  const int64_t hits = Hits(storage);
  auto first = (*tx)->Query(kNameSql, {Value{a}});
  REQUIRE(first);
  CHECK(Hits(storage) == hits + 1);  // answered by the cache, as of the transaction's start
  Rename(storage, b, "bea");
  // b needs SQLite, whose snapshot now is after the rename: refused, not mixed.
  auto second = (*tx)->Query(kNameSql, {Value{b}});
  REQUIRE_FALSE(second);
  CHECK(second.error().code() == Error::Code::kAborted);
  (*tx)->Rollback();

  // store::Transact runs such a transaction again and it sees one state.
  int attempts = 0;
  Rename(storage, a, "ann");
  CHECK(NameOf(storage, a) == "ann");  // cached again
  auto both = store::Transact(storage, TxKind::kRead, [&](Transaction& t) -> Result<std::string> {
    ++attempts;
    CY_TRY(Rows ra, t.Query(kNameSql, {Value{a}}));
    if (attempts == 1) Rename(storage, b, "bo");
    CY_TRY(Rows rb, t.Query(kNameSql, {Value{b}}));
    CY_TRY(std::string na, ra.front().Text(0));
    CY_TRY(std::string nb, rb.front().Text(0));
    return na + "," + nb;
  });
  REQUIRE(both);
  CHECK(*both == "ann,bo");
  CHECK(attempts == 2);

  // A transaction reads the state it began in (as a SQLite snapshot taken then would), and
  // one begun after a commit reads the commit.
  auto older = storage.Begin(TxKind::kRead);
  REQUIRE(older);
  Rename(storage, b, "bill");
  auto newer = storage.Begin(TxKind::kRead);
  REQUIRE(newer);
  const int64_t before = Hits(storage);
  auto old_rows = (*older)->Query(kNameSql, {Value{b}});
  REQUIRE(old_rows);
  CHECK(std::get<std::string>(old_rows->front().at(0)) == "bo");
  CHECK(Hits(storage) == before + 1);
  auto new_rows = (*newer)->Query(kNameSql, {Value{b}});
  REQUIRE(new_rows);
  CHECK(std::get<std::string>(new_rows->front().at(0)) == "bill");
  (*older)->Rollback();
  (*newer)->Rollback();
}

TEST_CASE("the read cache can be turned off and leaves probes to SQLite", "[storage][read_cache]") {
  auto db = testing::SqliteBackend::Create();
  auto off = testing::OpenOrDie(db->uri() + "?read_cache_bytes=0");
  CHECK_FALSE(off->CacheStats());
  CHECK_FALSE(testing::OpenOrDie("sqlite::memory:")->CacheStats());
  CHECK_FALSE(BackendRegistry::WithBuiltins().OpenStorage(db->uri() + "?read_cache_bytes=x", {}));

  Storage& storage = db->storage();
  const int64_t hits = Hits(storage);
  for (int i = 0; i < 3; ++i) {
    auto tx = storage.Begin(TxKind::kRead);
    REQUIRE(tx);
    REQUIRE((*tx)->Query("SELECT 1", {}));  // names no table: always asked of SQLite
    (*tx)->Rollback();
  }
  CHECK(Hits(storage) == hits);
}

// Why the cache reads the WAL-index header rather than PRAGMA data_version: the header moves
// on every commit, the reading connection's own included; data_version does not move for the
// connection's own commits (and reading it costs a read transaction).
TEST_CASE("the WAL header moves on every commit, data_version not on the connection's own",
          "[storage][read_cache]") {
  const testing::TempDir dir;
  const std::string path = (dir.path() / "raw.db").string();
  sqlite3* one = nullptr;
  sqlite3* two = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &one) == SQLITE_OK);
  REQUIRE(sqlite3_exec(one, "PRAGMA journal_mode=WAL; CREATE TABLE t(v)", nullptr, nullptr,
                       nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_open(path.c_str(), &two) == SQLITE_OK);
  const auto data_version = [](sqlite3* db) {
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "PRAGMA data_version", -1, &stmt, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    const int64_t v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return v;
  };
  REQUIRE(sqlite3_exec(two, "SELECT 1 FROM sqlite_schema LIMIT 0", nullptr, nullptr, nullptr) ==
          SQLITE_OK);
  const auto header = sqlite::WalHeader::Map(two);
  REQUIRE(header);
  const auto stamp = header->Read();
  REQUIRE(stamp);
  const int64_t one_before = data_version(one);
  const int64_t two_before = data_version(two);
  CHECK(header->Read() == stamp);  // reads change nothing

  REQUIRE(sqlite3_exec(one, "INSERT INTO t VALUES (1)", nullptr, nullptr, nullptr) == SQLITE_OK);
  CHECK(header->Read() != stamp);
  CHECK(data_version(one) == one_before);  // its own commit: unchanged
  CHECK(data_version(two) != two_before);

  const auto second = header->Read();
  REQUIRE(sqlite3_exec(two, "INSERT INTO t VALUES (2)", nullptr, nullptr, nullptr) == SQLITE_OK);
  CHECK(header->Read() != second);  // the mapping connection's own commit moves it too
  sqlite3_close(two);
  sqlite3_close(one);
}

}  // namespace
}  // namespace codeyard
