// Storage interface semantics every backend must share: value round-trips, transactions,
// errors, migrations.
#include <catch2/catch.hpp>

#include <thread>

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

TEMPLATE_TEST_CASE("dialect tokens expand in every statement, {skip_locked} skips held rows",
                   "[storage][dialect]", CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  Storage& s = db->storage();
  {
    auto tx = s.Begin(TxKind::kWrite);
    REQUIRE(tx);
    // Straight through Exec, not Dialect(): the backend expands the tokens itself, and
    // leaves a token inside a literal alone.
    REQUIRE((*tx)->Exec("CREATE TABLE dialect_probe (id {id}, payload {blob}, note TEXT)", {}));
    for (int i = 0; i < 3; ++i) {
      REQUIRE((*tx)->Exec("INSERT INTO dialect_probe (payload, note) VALUES (?, '{blob}')",
                          {Value{Blob{std::string("\0x", 2)}}}));
    }
    REQUIRE((*tx)->Commit());
  }
  {
    auto tx = s.Begin(TxKind::kRead);
    REQUIRE(tx);
    auto rows = (*tx)->Query("SELECT note, payload FROM dialect_probe ORDER BY id", {});
    REQUIRE(rows);
    REQUIRE(rows->size() == 3);
    CHECK(*rows->front().Text(0) == "{blob}");
    CHECK(std::get<Blob>(rows->front().at(1)).bytes == std::string("\0x", 2));
  }
  constexpr std::string_view kNext =
      "SELECT id FROM dialect_probe ORDER BY id LIMIT 1 {skip_locked}";
  auto first = s.Begin(TxKind::kWrite);
  REQUIRE(first);
  auto taken = (*first)->Query(kNext, {});
  REQUIRE(taken);
  REQUIRE(taken->size() == 1);
  const int64_t first_id = *taken->front().Int(0);
  if (s.Info().backend == "postgres") {
    // Writers run side by side: a second worker skips the row the first one holds.
    Result<Rows> second = Fail(Error::Code::kInternal, "not run");
    std::thread worker([&] {
      auto tx = s.Begin(TxKind::kWrite);
      if (!tx) {
        second = Fail(tx.error());
        return;
      }
      second = (*tx)->Query(kNext, {});
      (*tx)->Rollback();
    });
    worker.join();
    REQUIRE(second);
    REQUIRE(second->size() == 1);
    CHECK(*second->front().Int(0) > first_id);
    REQUIRE((*first)->Commit());
  } else {
    // One writer at a time: the next one starts after the first ends and sees every row.
    REQUIRE((*first)->Commit());
    auto tx = s.Begin(TxKind::kWrite);
    REQUIRE(tx);
    auto next = (*tx)->Query(kNext, {});
    REQUIRE(next);
    CHECK(*next->front().Int(0) == first_id);
    (*tx)->Rollback();
  }
  CHECK(s.Dialect("x {skip_locked}") ==
        (s.Info().backend == "postgres" ? "x FOR UPDATE SKIP LOCKED" : "x "));
}

}  // namespace
}  // namespace codeyard
