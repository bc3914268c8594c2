// The operator's calls the CLI makes through the library, on every storage backend: accounts
// (`codeyard user ...` and `gc`: no acting user and no self-lockout check, but the same rules
// as the admin setters, and a disable or password reset ending every login of the user), and
// `codeyard backup` / `restore` (SQLite's online copy; PostgreSQL pointed to its own tools).
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <type_traits>

#include "codeyard/accounts.hpp"
#include "codeyard/backup.hpp"
#include "codeyard/id.hpp"
#include "services/must.hpp"
#include "services/world.hpp"
#include "storage/backend_fixture.hpp"
#include "storage/temp_dir.hpp"

namespace codeyard {
namespace {

using Code = Error::Code;
using testing::Failure;
using testing::kPassword;
using testing::Must;

struct OperatorWorld : testing::DatabaseWorld {
  std::shared_ptr<Platform> platform;
  std::unique_ptr<Accounts> accounts;

  User Add(std::string name, Role role = Role::kUser) {
    return Must(accounts->Register({std::move(name), std::string(kPassword), "", role}));
  }
};

AccountsOptions TestAccountsOptions() {
  AccountsOptions options;
  options.secret = "q8Zr2LmX7vTn4WcJ0yHbE5sKdP1gA9uF6oRiY3eN";
  options.password_cost = kPasswordCostMinimum;
  return options;
}

template <class Backend>
OperatorWorld MakeOperatorWorld() {
  OperatorWorld w;
  w.db = Backend::Create();
  Options o;
  o.storage = w.db->shared();
  o.clock = w.clock;
  w.platform = Must(Platform::Open(o));
  w.accounts = std::make_unique<Accounts>(w.platform, TestAccountsOptions());
  return w;
}

TEMPLATE_TEST_CASE("accounts: the operator lists users and sets roles and levels",
                   "[accounts][operator]", CODEYARD_STORAGE_BACKENDS) {
  OperatorWorld w = MakeOperatorWorld<TestType>();
  const User root = w.Add("root", Role::kAdmin);
  const User bob = w.Add("bob");
  const User ada = w.Add("Ada");

  const std::vector<User> users = Must(w.accounts->ListUsersAsOperator());
  REQUIRE(users.size() == 3);
  CHECK(users[0].username == "ada");  // by username
  CHECK(users[1].username == "bob");
  CHECK(users[2].username == "root");
  for (const User& u : users) CHECK(u.password_hash.empty());

  CHECK(Must(w.accounts->SetReviewerLevelAsOperator(ada.id, 4)).reviewer_level == 4);
  CHECK(Must(w.accounts->GetUser(ada.id)).reviewer_level == 4);
  for (const int bad : {-1, 5}) {
    CHECK(Failure(w.accounts->SetReviewerLevelAsOperator(ada.id, bad)).code() ==
          Code::kInvalidArgument);
  }
  CHECK(Must(w.accounts->GetUser(ada.id)).reviewer_level == 4);
  CHECK(Must(w.accounts->SetRoleAsOperator(bob.id, Role::kAdmin)).role == Role::kAdmin);
  CHECK(Must(w.accounts->VerifyAccessToken(Must(w.accounts->Login("bob", kPassword)).access_token))
            .role == Role::kAdmin);
  // The operator is not a user: demoting the last admins is allowed (the admin API refuses
  // an admin demoting themselves).
  CHECK(Must(w.accounts->SetRoleAsOperator(root.id, Role::kUser)).role == Role::kUser);
  CHECK(Must(w.accounts->SetRoleAsOperator(bob.id, Role::kUser)).role == Role::kUser);
  for (const auto& u : Must(w.accounts->ListUsersAsOperator())) CHECK(u.role == Role::kUser);

  const std::string nobody = NewUuid();
  CHECK(Failure(w.accounts->SetRoleAsOperator(nobody, Role::kAdmin)).code() == Code::kNotFound);
  CHECK(Failure(w.accounts->SetReviewerLevelAsOperator(nobody, 1)).code() == Code::kNotFound);
  CHECK(Failure(w.accounts->SetDisabledAsOperator(nobody, true)).code() == Code::kNotFound);
  CHECK(Failure(w.accounts->SetPasswordAsOperator(nobody, "another good password")).code() ==
        Code::kNotFound);
}

TEMPLATE_TEST_CASE("accounts: the operator's disable and password reset end every login",
                   "[accounts][operator]", CODEYARD_STORAGE_BACKENDS) {
  OperatorWorld w = MakeOperatorWorld<TestType>();
  const User ada = w.Add("ada");
  const Session first = Must(w.accounts->Login("ada", kPassword));

  CHECK(Must(w.accounts->SetDisabledAsOperator(ada.id, true)).disabled);
  CHECK(Failure(w.accounts->Refresh(first.refresh_token)).code() == Code::kUnauthenticated);
  CHECK(Failure(w.accounts->Login("ada", kPassword)).code() == Code::kPermissionDenied);
  CHECK_FALSE(Must(w.accounts->SetDisabledAsOperator(ada.id, false)).disabled);
  const Session second = Must(w.accounts->Login("ada", kPassword));

  // The password rules of registration hold; a refused password changes nothing.
  CHECK(Failure(w.accounts->SetPasswordAsOperator(ada.id, "short")).code() ==
        Code::kInvalidArgument);
  CHECK(Must(w.accounts->Refresh(second.refresh_token)).user.id == ada.id);
  const Session third = Must(w.accounts->Login("ada", kPassword));
  Must(w.accounts->SetPasswordAsOperator(ada.id, "a new good password"));
  CHECK(Failure(w.accounts->Refresh(third.refresh_token)).code() == Code::kUnauthenticated);
  CHECK(Failure(w.accounts->Login("ada", kPassword)).code() == Code::kUnauthenticated);
  CHECK(Must(w.accounts->Login("ada", "a new good password")).user.id == ada.id);
}

TEMPLATE_TEST_CASE("accounts: gc deletes refresh tokens past their expiry only",
                   "[accounts][operator]", CODEYARD_STORAGE_BACKENDS) {
  OperatorWorld w = MakeOperatorWorld<TestType>();
  w.Add("ada");
  const Session old_login = Must(w.accounts->Login("ada", kPassword));
  const Session rotated = Must(w.accounts->Refresh(old_login.refresh_token));
  CHECK(Must(w.accounts->DeleteExpiredTokens()) == 0);  // nothing has expired yet

  // Past the first login family's expiry (30 days), a new login is made: only the old
  // family's rows (the rotated-away token and its successor) go.
  w.clock->Advance(std::chrono::hours(24 * 31));
  const Session fresh = Must(w.accounts->Login("ada", kPassword));
  CHECK(Must(w.accounts->DeleteExpiredTokens()) == 2);
  CHECK(Must(w.accounts->DeleteExpiredTokens()) == 0);
  CHECK(Failure(w.accounts->Refresh(rotated.refresh_token)).code() == Code::kUnauthenticated);
  CHECK(Must(w.accounts->Refresh(fresh.refresh_token)).user.username == "ada");
}

TEMPLATE_TEST_CASE("backup: a SQLite storage is copied online and restored, PostgreSQL is not",
                   "[backup][operator]", CODEYARD_STORAGE_BACKENDS) {
  OperatorWorld w = MakeOperatorWorld<TestType>();
  w.Add("ada");
  testing::TempDir dir;
  const std::string copy = (dir.path() / "copy.db").string();
  if constexpr (std::is_same_v<TestType, testing::PostgresBackend>) {
    const Error backup = Failure(BackupStorage(w.db->uri(), copy));
    CHECK(backup.code() == Code::kInvalidArgument);
    CHECK_THAT(backup.message(), Catch::Contains("pg_dump") && Catch::Contains("pg_restore"));
    std::ofstream(copy) << "x";
    CHECK(Failure(RestoreStorage(copy, w.db->uri(), true)).code() == Code::kInvalidArgument);
    return;
  }
  int64_t last_done = -1;
  int64_t last_total = -1;
  const int64_t size = Must(BackupStorage(w.db->uri(), copy, [&](int64_t done, int64_t total) {
    last_done = done;
    last_total = total;
  }));
  CHECK(size == static_cast<int64_t>(std::filesystem::file_size(copy)));
  CHECK((last_done == last_total && last_total > 0));
  w.Add("bob");  // after the backup: not in it
  CHECK(Failure(BackupStorage(w.db->uri(), copy)).code() == Code::kAlreadyExists);
  CHECK(
      Failure(BackupStorage("sqlite://" + (dir.path() / "none.db").string(), copy + "2")).code() ==
      Code::kNotFound);
  CHECK(Failure(BackupStorage("sqlite::memory:", copy + "2")).code() == Code::kInvalidArgument);

  // Into a new data directory, then opened as a server would open it.
  const std::string target = "sqlite://" + (dir.path() / "new" / "codeyard.db").string();
  Must(RestoreStorage(copy, target, false));
  {
    Options o;
    o.storage_uri = target;
    std::shared_ptr<Platform> restored = Must(Platform::Open(o));
    Accounts accounts(restored, TestAccountsOptions());
    const std::vector<User> users = Must(accounts.ListUsersAsOperator());
    REQUIRE(users.size() == 1);
    CHECK(users[0].username == "ada");
  }
  CHECK(Failure(RestoreStorage(copy, target, false)).code() == Code::kAlreadyExists);
  Must(RestoreStorage(copy, target, true));
  CHECK(Failure(RestoreStorage(copy + ".missing", target, true)).code() == Code::kNotFound);

  // Not a database: refused, and nothing left where the database would be.
  const std::string junk = (dir.path() / "junk.db").string();
  std::ofstream(junk) << std::string(4096, 'j');
  const std::string other = "sqlite://" + (dir.path() / "other" / "codeyard.db").string();
  CHECK(Failure(RestoreStorage(junk, other, false)).code() == Code::kInvalidArgument);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "other" / "codeyard.db"));
}

}  // namespace
}  // namespace codeyard
