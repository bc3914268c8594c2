#include "storage/backend_fixture.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>

#include "codeyard/backend/registry.hpp"
#include "codeyard/backend/schema.hpp"
#include "codeyard/id.hpp"

namespace codeyard::testing {

std::unique_ptr<Storage> OpenOrDie(const std::string& uri) {
  auto storage = BackendRegistry::WithBuiltins().OpenStorage(uri, {});
  if (!storage) FAIL("cannot open " << uri << ": " << storage.error().ToString());
  return std::move(*storage);
}

void TestDatabase::OpenAndMigrate(bool migrate) {
  storage_ = OpenOrDie(uri());
  if (!migrate) return;
  auto version = ApplyMigrations(*storage_, *DefaultClock());
  if (!version) FAIL("migrations failed: " << version.error().ToString());
}

std::string PostgresServerUri() {
  const char* uri = std::getenv("CODEYARD_TEST_POSTGRES_URI");
  if (uri == nullptr || *uri == '\0') {
    FAIL(
        "CODEYARD_TEST_POSTGRES_URI is not set: run ./scripts/test, which starts a "
        "throwaway PostgreSQL and sets it");
  }
  return uri;
}

namespace {

class SqliteDatabase final : public TestDatabase {
 public:
  explicit SqliteDatabase(bool migrate) { OpenAndMigrate(migrate); }
  ~SqliteDatabase() override { storage_.reset(); }
  std::string uri() const override { return "sqlite://" + (dir_.path() / "test.db").string(); }

 private:
  TempDir dir_;
};

// A fresh schema per test: much faster than CREATE DATABASE, and just as isolated.
class PostgresDatabase final : public TestDatabase {
 public:
  explicit PostgresDatabase(bool migrate)
      : server_(PostgresServerUri()),
        schema_("t_" + NewUuid().substr(0, 8) + NewUuid().substr(0, 8)) {
    const std::string error = Admin("CREATE SCHEMA " + schema_);
    if (!error.empty()) FAIL(error);
    OpenAndMigrate(migrate);
  }
  ~PostgresDatabase() override {
    storage_.reset();
    (void)Admin("DROP SCHEMA " + schema_ + " CASCADE");  // best effort: no throw here
  }
  std::string uri() const override {
    const char sep = server_.find('?') == std::string::npos ? '?' : '&';
    return server_ + sep + "options=-csearch_path%3D" + schema_;
  }

 private:
  // Runs one statement on the server's default schema; returns "" or the error.
  std::string Admin(const std::string& sql) const {
    auto admin = BackendRegistry::WithBuiltins().OpenStorage(server_, {});
    if (!admin) return admin.error().ToString();
    auto tx = (*admin)->Begin(TxKind::kWrite);
    if (!tx) return tx.error().ToString();
    if (auto r = (*tx)->Exec(sql, {}); !r) return sql + ": " + r.error().ToString();
    if (auto r = (*tx)->Commit(); !r) return r.error().ToString();
    return "";
  }

  std::string server_;
  std::string schema_;
};

}  // namespace

std::unique_ptr<TestDatabase> SqliteBackend::Create() {
  return std::make_unique<SqliteDatabase>(true);
}
std::unique_ptr<TestDatabase> SqliteBackend::CreateEmpty() {
  return std::make_unique<SqliteDatabase>(false);
}
std::unique_ptr<TestDatabase> PostgresBackend::Create() {
  return std::make_unique<PostgresDatabase>(true);
}
std::unique_ptr<TestDatabase> PostgresBackend::CreateEmpty() {
  return std::make_unique<PostgresDatabase>(false);
}

}  // namespace codeyard::testing
