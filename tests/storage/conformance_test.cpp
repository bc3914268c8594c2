// Storage interface semantics every backend must share: value round-trips, transactions,
// errors, migrations.
#include <catch2/catch.hpp>

#include "codeyard/backend/schema.hpp"
#include "codeyard/clock.hpp"
#include "storage/backend_fixture.hpp"
#include "storage/sql/sql_text.hpp"

namespace codeyard {
namespace {

using testing::OpenOrDie;

void CreateScratch(Storage& s) {
  auto tx = s.Begin(TxKind::kWrite);
  REQUIRE(tx);
  REQUIRE((*tx)->Exec(s.Dialect("CREATE TABLE scratch (id {id}, n BIGINT, d DOUBLE PRECISION, "
                                "t TEXT, b {blob})"),
                      {}));
  REQUIRE((*tx)->Commit());
}

int64_t CountScratch(Storage& s) {
  auto tx = s.Begin(TxKind::kRead);
  REQUIRE(tx);
  auto rows = (*tx)->Query("SELECT COUNT(*) FROM scratch", {});
  REQUIRE(rows);
  return *rows->front().Int(0);
}

TEMPLATE_TEST_CASE("values round-trip exactly", "[storage]", CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  Storage& s = db->storage();
  CreateScratch(s);
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
  const std::string unicode = "héllo wörld ✓ 日本語 🚀 \xe2\x80\x8b";
  {
    auto tx = s.Begin(TxKind::kWrite);
    REQUIRE(tx);
    REQUIRE((*tx)->Exec(
        "INSERT INTO scratch (n, d, t, b) VALUES (?, ?, ?, ?)",
        {Value{int64_t{-9007199254740993}}, Value{3.25}, Value{unicode}, Value{Blob{all_bytes}}}));
    REQUIRE((*tx)->Exec("INSERT INTO scratch (n, d, t, b) VALUES (?, ?, ?, ?)",
                        {Value{}, Value{}, Value{std::string()}, Value{Blob{}}}));
    REQUIRE((*tx)->Commit());
  }
  auto tx = s.Begin(TxKind::kRead);
  REQUIRE(tx);
  auto rows = (*tx)->Query("SELECT n, d, t, b FROM scratch ORDER BY id", {});
  REQUIRE(rows);
  REQUIRE(rows->size() == 2);
  Row& first = (*rows)[0];
  CHECK(*first.Int(0) == -9007199254740993);
  CHECK(*first.Double(1) == 3.25);
  CHECK(*first.Text(2) == unicode);
  CHECK(*first.TakeBytes(3) == all_bytes);
  Row& second = (*rows)[1];
  CHECK(second.IsNull(0));
  CHECK(second.IsNull(1));
  CHECK(*second.Text(2) == "");
  CHECK_FALSE(second.IsNull(3));  // an empty blob is not NULL
  CHECK(*second.TakeBytes(3) == "");
  // A type mismatch is an error, not garbage.
  CHECK(first.Int(2).error().code() == Error::Code::kInternal);
}

TEMPLATE_TEST_CASE("transactions commit, roll back, and isolate", "[storage]",
                   CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  Storage& s = db->storage();
  CreateScratch(s);
  const auto insert = [](Transaction& tx, int64_t n) {
    REQUIRE(tx.Exec("INSERT INTO scratch (n) VALUES (?)", {Value{n}}));
  };

  SECTION("destroying an unfinished transaction rolls it back") {
    {
      auto tx = s.Begin(TxKind::kWrite);
      REQUIRE(tx);
      insert(**tx, 1);
    }
    CHECK(CountScratch(s) == 0);
  }
  SECTION("explicit rollback discards, commit keeps") {
    auto tx = s.Begin(TxKind::kWrite);
    REQUIRE(tx);
    insert(**tx, 1);
    (*tx)->Rollback();
    CHECK(CountScratch(s) == 0);
    auto tx2 = s.Begin(TxKind::kWrite);
    REQUIRE(tx2);
    insert(**tx2, 2);
    REQUIRE((*tx2)->Commit());
    CHECK(CountScratch(s) == 1);
    // A finished transaction refuses more work.
    CHECK((*tx2)->Exec("DELETE FROM scratch", {}).error().code() ==
          Error::Code::kFailedPrecondition);
  }
  SECTION("an error mid-transaction leaves nothing applied") {
    auto tx = s.Begin(TxKind::kWrite);
    REQUIRE(tx);
    insert(**tx, 1);
    auto bad = (*tx)->Exec("INSERT INTO no_such_table (x) VALUES (?)", {Value{int64_t{1}}});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code() == Error::Code::kInternal);
    // The transaction is poisoned: even a good statement and the commit are refused.
    CHECK_FALSE((*tx)->Exec("INSERT INTO scratch (n) VALUES (?)", {Value{int64_t{2}}}));
    CHECK_FALSE((*tx)->Commit());
    CHECK(CountScratch(s) == 0);
  }
  SECTION("a read transaction sees a snapshot and cannot write") {
    auto reader = s.Begin(TxKind::kRead);
    REQUIRE(reader);
    auto before = (*reader)->Query("SELECT COUNT(*) FROM scratch", {});
    REQUIRE(before);
    CHECK(*before->front().Int(0) == 0);
    CHECK_FALSE((*reader)->Exec("INSERT INTO scratch (n) VALUES (?)", {Value{int64_t{1}}}));
  }
  SECTION("a wrong parameter count is reported") {
    auto tx = s.Begin(TxKind::kWrite);
    REQUIRE(tx);
    auto r = (*tx)->Exec("INSERT INTO scratch (n, d) VALUES (?, ?)", {Value{int64_t{1}}});
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == Error::Code::kInternal);
  }
}

TEMPLATE_TEST_CASE("migrations are recorded, idempotent, and refuse a newer schema", "[storage]",
                   CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  const int64_t latest = BuiltinMigrations().back().version;
  CHECK(*SchemaVersion(db->storage()) == latest);

  // Opening again (a second process would) applies nothing and agrees on the version.
  auto again = OpenOrDie(db->uri());
  auto applied = ApplyMigrations(*again, *DefaultClock());
  REQUIRE(applied);
  CHECK(*applied == latest);

  // A database written by a newer build is refused with a clear reason.
  {
    auto tx = again->Begin(TxKind::kWrite);
    REQUIRE(tx);
    REQUIRE(
        (*tx)->Exec("INSERT INTO schema_migrations (version, name, applied_at) "
                    "VALUES (?, ?, ?)",
                    {Value{latest + 1}, Value{std::string("from the future")}, Value{int64_t{0}}}));
    REQUIRE((*tx)->Commit());
  }
  auto newer = ApplyMigrations(*again, *DefaultClock());
  REQUIRE_FALSE(newer);
  CHECK(newer.error().code() == Error::Code::kFailedPrecondition);
  CHECK_THAT(newer.error().message(), Catch::Contains("upgrade Codeyard"));
}

TEMPLATE_TEST_CASE("a failing migration leaves the schema unchanged", "[storage]",
                   CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  const int64_t latest = BuiltinMigrations().back().version;
  std::vector<Migration> migrations(BuiltinMigrations().begin(), BuiltinMigrations().end());
  migrations.push_back(
      {latest + 1, "half good",
       "CREATE TABLE half_good (x BIGINT); INSERT INTO no_such_table (x) VALUES (1)"});
  auto r = ApplyMigrations(db->storage(), *DefaultClock(), migrations);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message(), Catch::Contains("half good"));
  CHECK(*SchemaVersion(db->storage()) == latest);
  auto tx = db->storage().Begin(TxKind::kRead);
  REQUIRE(tx);
  CHECK_FALSE((*tx)->Query("SELECT x FROM half_good", {}));  // rolled back with the rest
}

}  // namespace
}  // namespace codeyard
