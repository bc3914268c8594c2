// Issue 13 items 6 and 9 on every storage backend: access tokens die with their login (logout,
// password change, reuse), their user (disabled, deleted) at once, checked through storage so
// that another Accounts over the same database (a second server) agrees; logins wait after
// too many failures per account and per client address; registrations per address.
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>

#include "codeyard/accounts.hpp"
#include "core/auth/tokens.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "services/must.hpp"
#include "storage/backend_fixture.hpp"

namespace codeyard {
namespace {

using Code = Error::Code;
using std::chrono::seconds;

constexpr std::string_view kSecret = "q8Zr2LmX7vTn4WcJ0yHbE5sKdP1gA9uF6oRiY3eN";
constexpr std::string_view kPassword = "correct horse battery";

using testing::Failure;
using testing::Must;

AccountsOptions Options(UsageLimits limits = {}) {
  AccountsOptions o;
  o.secret = std::string(kSecret);
  o.password_cost = kPasswordCostMinimum;
  o.limits = std::move(limits);
  return o;
}

struct World {
  std::unique_ptr<testing::TestDatabase> db;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  std::shared_ptr<Platform> platform;
  std::shared_ptr<Accounts> accounts;
  std::shared_ptr<Accounts> replica;  // a second server on the same database

  User Add(std::string name, Role role = Role::kUser) {
    return Must(accounts->Register({std::move(name), std::string(kPassword), "", role}));
  }
  void Write(const std::function<Result<void>(Transaction&)>& f) {
    Must(store::Transact(platform->storage(), TxKind::kWrite, f));
  }
};

template <class Backend>
World MakeWorld(UsageLimits limits = {}) {
  World w;
  w.db = Backend::Create();
  codeyard::Options o;
  o.storage = w.db->shared();
  o.clock = w.clock;
  w.platform = Must(Platform::Open(o));
  w.accounts = std::make_unique<Accounts>(w.platform, Options(limits));
  w.replica = std::make_unique<Accounts>(w.platform, Options(limits));
  return w;
}

std::string Revoked(const Result<AccessClaims>& r) {
  const Error e = Failure(r);
  CHECK(e.code() == Code::kUnauthenticated);
  CHECK_THAT(e.message(), Catch::Contains("revoked"));
  return e.message();
}

TEMPLATE_TEST_CASE("revocation: logout ends that login's access tokens only",
                   "[accounts][security]", CODEYARD_STORAGE_BACKENDS) {
  World w = MakeWorld<TestType>();
  w.Add("ada");
  const Session a = Must(w.accounts->Login("ada", kPassword));
  const Session b = Must(w.accounts->Login("ada", kPassword));
  const AccessClaims claims = Must(w.accounts->VerifyAccessToken(a.access_token));
  CHECK_FALSE(claims.session_id.empty());
  // A rotation keeps the login: the access token issued before it still works.
  const Session a2 = Must(w.accounts->Refresh(a.refresh_token));
  CHECK(w.accounts->VerifyAccessToken(a.access_token));
  CHECK(Must(w.accounts->VerifyAccessToken(a2.access_token)).session_id == claims.session_id);

  Must(w.accounts->Logout(a2.refresh_token));
  CHECK_THAT(Revoked(w.accounts->VerifyAccessToken(a.access_token)), Catch::Contains("log in"));
  Revoked(w.replica->VerifyAccessToken(a2.access_token));
  CHECK(w.replica->VerifyAccessToken(b.access_token));

  // Reusing a rotated refresh token ends the login too.
  const Session b2 = Must(w.accounts->Refresh(b.refresh_token));
  CHECK(Failure(w.accounts->Refresh(b.refresh_token)).code() == Code::kUnauthenticated);
  Revoked(w.accounts->VerifyAccessToken(b2.access_token));
}

TEMPLATE_TEST_CASE("revocation: a password change ends every login", "[accounts][security]",
                   CODEYARD_STORAGE_BACKENDS) {
  World w = MakeWorld<TestType>();
  const User ada = w.Add("ada");
  const Session a = Must(w.accounts->Login("ada", kPassword));
  const Session b = Must(w.accounts->Login("ada", kPassword));
  Must(w.accounts->ChangePassword(ada.id, kPassword, "a new password"));
  Revoked(w.replica->VerifyAccessToken(a.access_token));
  Revoked(w.replica->VerifyAccessToken(b.access_token));
  const Session c = Must(w.accounts->Login("ada", "a new password"));
  CHECK(w.replica->VerifyAccessToken(c.access_token));
}

TEMPLATE_TEST_CASE("revocation: disabled and deleted users' tokens stop at once",
                   "[accounts][security]", CODEYARD_STORAGE_BACKENDS) {
  World w = MakeWorld<TestType>();
  const User root = w.Add("root", Role::kAdmin);
  const User ada = w.Add("ada");
  const Session a = Must(w.accounts->Login("ada", kPassword));
  Must(w.accounts->SetDisabled(root.id, ada.id, true));
  CHECK_THAT(Revoked(w.replica->VerifyAccessToken(a.access_token)), Catch::Contains("disabled"));
  // Enabling again does not bring back the logins that disabling ended.
  Must(w.accounts->SetDisabled(root.id, ada.id, false));
  Revoked(w.replica->VerifyAccessToken(a.access_token));

  // Disabled by an operator straight in the database: the flag alone is enough.
  const Session b = Must(w.accounts->Login("ada", kPassword));
  CHECK(w.accounts->VerifyAccessToken(b.access_token));
  w.Write([&](Transaction& tx) -> Result<void> {
    auto changed = tx.Exec("UPDATE users SET disabled = 1 WHERE id = ?", {Value{ada.id}});
    if (!changed) return Fail(changed.error());
    return {};
  });
  CHECK_THAT(Revoked(w.accounts->VerifyAccessToken(b.access_token)), Catch::Contains("disabled"));

  const User bob = w.Add("bob");
  const Session c = Must(w.accounts->Login("bob", kPassword));
  w.Write([&](Transaction& tx) { return store::users::Delete(tx, bob.id); });
  CHECK_THAT(Revoked(w.replica->VerifyAccessToken(c.access_token)),
             Catch::Contains("no longer exists"));
}

TEMPLATE_TEST_CASE("revocation: the role is the stored one, a token without its login is refused",
                   "[accounts][security]", CODEYARD_STORAGE_BACKENDS) {
  World w = MakeWorld<TestType>();
  const User root = w.Add("root", Role::kAdmin);
  const User ada = w.Add("ada");
  const Session a = Must(w.accounts->Login("ada", kPassword));
  Must(w.accounts->SetRole(root.id, ada.id, Role::kAdmin));
  CHECK(Must(w.accounts->VerifyAccessToken(a.access_token)).role == Role::kAdmin);

  AccessClaims claims = Must(w.accounts->VerifyAccessToken(a.access_token));
  claims.session_id.clear();
  const Error e = Failure(w.accounts->VerifyAccessToken(auth::SignAccessToken(claims, kSecret)));
  CHECK(e.code() == Code::kUnauthenticated);
  CHECK_THAT(e.message(), Catch::Contains("sid"));
  claims.session_id = "a login that never was";
  Revoked(w.accounts->VerifyAccessToken(auth::SignAccessToken(claims, kSecret)));
}

UsageLimits SmallLoginLimits() {
  UsageLimits l;
  l.login_failures_per_account.max = 3;
  l.login_failures_per_account.window = seconds(600);
  l.login_failures_per_address.max = 5;
  l.login_failures_per_address.window = seconds(600);
  l.login_backoff = seconds(10);
  l.registrations_per_address.max = 2;
  l.registrations_per_address.window = seconds(3600);
  return l;
}

// The error of a refused attempt, checking its shape.
Error Refused(const Result<Session>& r, std::string_view limit) {
  const Error e = Failure(r);
  CHECK(e.code() == Code::kResourceExhausted);
  CHECK(e.limit() == limit);
  return e;
}

TEMPLATE_TEST_CASE("limits: failed logins per account wait, longer each time",
                   "[accounts][security]", CODEYARD_STORAGE_BACKENDS) {
  World w = MakeWorld<TestType>(SmallLoginLimits());
  w.Add("ada");
  const ClientInfo from{"198.51.100.1"};
  for (int i = 0; i < 3; ++i) {
    CHECK(Failure(w.accounts->Login("ada", "wrong password", from)).code() ==
          Code::kUnauthenticated);
  }
  // The right password now waits too (no password is checked while waiting), on any server.
  const Error wait =
      Refused(w.replica->Login("ada", kPassword, {"192.0.2.9"}), "auth.login_failures_per_account");
  CHECK(wait.retry_after_s() == 10);
  w.clock->Advance(seconds(9));
  CHECK(Refused(w.accounts->Login("ADA", kPassword), "auth.login_failures_per_account")
            .retry_after_s() == 1);
  w.clock->Advance(seconds(1));
  // One more failure after the wait doubles it; then 40 s.
  CHECK(Failure(w.accounts->Login("ada", "wrong password")).code() == Code::kUnauthenticated);
  CHECK(Refused(w.accounts->Login("ada", kPassword), "auth.login_failures_per_account")
            .retry_after_s() == 20);
  w.clock->Advance(seconds(20));
  CHECK(Failure(w.accounts->Login("ada", "wrong password")).code() == Code::kUnauthenticated);
  CHECK(Refused(w.accounts->Login("ada", kPassword), "auth.login_failures_per_account")
            .retry_after_s() == 40);
  w.clock->Advance(seconds(40));
  // A success clears the count: three more failures before the next wait.
  Must(w.accounts->Login("ada", kPassword));
  for (int i = 0; i < 2; ++i) CHECK_FALSE(w.accounts->Login("ada", "wrong password"));
  Must(w.accounts->Login("ada", kPassword));

  // Unknown names are counted alike, so a wait tells nothing about who exists.
  for (int i = 0; i < 3; ++i) CHECK_FALSE(w.accounts->Login("ghost", "wrong password"));
  CHECK(Refused(w.accounts->Login("ghost", "wrong password"), "auth.login_failures_per_account")
            .retry_after_s() == 10);
  // The window forgets: failures spread wider than it never add up.
  w.Add("bea");
  for (int i = 0; i < 5; ++i) {
    CHECK(Failure(w.accounts->Login("bea", "wrong password")).code() == Code::kUnauthenticated);
    if (i % 2 == 1) w.clock->Advance(seconds(601));
  }
  CHECK(w.accounts->Login("bea", kPassword));
}

TEMPLATE_TEST_CASE("limits: failed logins per client address", "[accounts][security]",
                   CODEYARD_STORAGE_BACKENDS) {
  World w = MakeWorld<TestType>(SmallLoginLimits());
  w.Add("ada");
  const ClientInfo attacker{"203.0.113.7"};
  // Spread over names, so no account counter fills.
  for (int i = 0; i < 5; ++i) {
    CHECK(Failure(w.accounts->Login("name" + std::to_string(i), "wrong", attacker)).code() ==
          Code::kUnauthenticated);
  }
  CHECK(Refused(w.replica->Login("ada", kPassword, attacker), "auth.login_failures_per_address")
            .retry_after_s() == 10);
  CHECK(w.accounts->Login("ada", kPassword, {"203.0.113.8"}));  // another address
  CHECK(w.accounts->Login("ada", kPassword));                   // none known
  // The refused attempt counted nothing for ada's account.
  w.clock->Advance(seconds(10));
  Must(w.accounts->Login("ada", kPassword, attacker));
}

TEMPLATE_TEST_CASE("limits: registrations per client address", "[accounts][security]",
                   CODEYARD_STORAGE_BACKENDS) {
  World w = MakeWorld<TestType>(SmallLoginLimits());
  const ClientInfo from{"2001:db8::1"};
  const auto reg = [&](const std::string& name, const ClientInfo& client) {
    return w.accounts->Register({name, std::string(kPassword), "", Role::kUser}, client);
  };
  Must(reg("one", from));
  CHECK(Failure(reg("one", from)).code() == Code::kAlreadyExists);  // a taken name counts
  const Error e =
      Failure(w.replica->Register({"three", std::string(kPassword), "", Role::kUser}, from));
  CHECK(e.code() == Code::kResourceExhausted);
  CHECK(e.limit() == "auth.registrations_per_address");
  CHECK(e.retry_after_s() == 3600);
  CHECK_FALSE(w.accounts->GetUserByUsername("three"));
  Must(reg("four", {"2001:db8::2"}));
  Must(reg("five", {}));  // no address: only what the caller limits
  w.clock->Advance(seconds(3600));
  Must(reg("three", from));
}

}  // namespace
}  // namespace codeyard
