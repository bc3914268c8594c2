// Accounts on every storage backend: username and password rules, argon2id, login, access
// tokens (expiry, tampering, alg none), refresh rotation with reuse detection and racing
// rotations, logout, password change, admin-only setters; plus the server secret.
#include <sys/stat.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <latch>
#include <thread>

#include "codeyard/accounts.hpp"
#include "codeyard/id.hpp"
#include "core/auth/passwords.hpp"
#include "core/auth/tokens.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "services/must.hpp"
#include "storage/backend_fixture.hpp"

namespace codeyard {
namespace {

using Code = Error::Code;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr std::string_view kSecret = "q8Zr2LmX7vTn4WcJ0yHbE5sKdP1gA9uF6oRiY3eN";
constexpr std::string_view kPassword = "correct horse battery";

using testing::Failure;
using testing::Must;

NewUser Creds(std::string username, std::string password) {
  NewUser u;
  u.username = std::move(username);
  u.password = std::move(password);
  return u;
}

AccountsOptions TestOptions() {
  AccountsOptions o;
  o.secret = std::string(kSecret);
  o.password_cost = kPasswordCostMinimum;
  return o;
}

struct World {
  std::unique_ptr<testing::TestDatabase> db;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  std::shared_ptr<Platform> platform;
  std::shared_ptr<Accounts> accounts;

  User Add(std::string name, Role role = Role::kUser) {
    return Must(accounts->Register({std::move(name), std::string(kPassword), "", role}));
  }
  // The stored record, password hash included.
  User Stored(const std::string& id) {
    return Must(store::Transact(platform->storage(), TxKind::kRead,
                                [&](Transaction& tx) { return store::users::Get(tx, id); }));
  }
};

template <class Backend>
World MakeWorld(AccountsOptions options = TestOptions()) {
  World w;
  w.db = Backend::Create();
  Options o;
  o.storage = w.db->shared();
  o.clock = w.clock;
  w.platform = Must(Platform::Open(o));
  w.accounts = std::make_unique<Accounts>(w.platform, std::move(options));
  return w;
}

// `token` with its claims part replaced by `claims` (the signature left as it was).
std::string WithClaims(const std::string& token, std::string_view claims) {
  const auto dot1 = token.find('.');
  const auto dot2 = token.find('.', dot1 + 1);
  return token.substr(0, dot1 + 1) + auth::Base64UrlEncode(claims) + token.substr(dot2);
}

TEMPLATE_TEST_CASE("accounts: username rules", "[accounts]", CODEYARD_STORAGE_BACKENDS) {
  World w = MakeWorld<TestType>();
  auto rejected = [&](const std::string& name) {
    return Failure(w.accounts->Register(Creds(name, std::string(kPassword))));
  };
  const Error short_name = rejected("ab");
  CHECK(short_name.code() == Code::kInvalidArgument);
  CHECK_THAT(short_name.message(), Catch::Contains("3 to 32 characters"));
  CHECK_THAT(rejected(std::string(33, 'a')).message(), Catch::Contains("3 to 32 characters"));
  for (const char* bad : {"ada lovelace", "ada@home", "adé", "ada/x", "ada\n"}) {
    const Error e = rejected(bad);
    CHECK(e.code() == Code::kInvalidArgument);
    CHECK_THAT(e.message(), Catch::Contains("only letters a-z, digits"));
  }
  for (const char* bad : {"_ada", ".ada", "-rf", "..."}) {
    CHECK_THAT(rejected(bad).message(), Catch::Contains("start with a letter or a digit"));
  }
  // Every allowed character, upper case folded, both length limits.
  CHECK(w.Add("Ada.Lovelace-1_x").username == "ada.lovelace-1_x");
  CHECK(w.Add("abc").username == "abc");
  CHECK(w.Add(std::string(32, 'Z')).username == std::string(32, 'z'));
  CHECK(Must(NormalizeUsername("9Lives")) == "9lives");
}

TEMPLATE_TEST_CASE("accounts: usernames are unique in any case", "[accounts]",
                   CODEYARD_STORAGE_BACKENDS) {
  World w = MakeWorld<TestType>();
  const User ada = w.Add("Ada");
  const Error dup = Failure(w.accounts->Register(Creds("ADA", "another password")));
  CHECK(dup.code() == Code::kAlreadyExists);
  CHECK_THAT(dup.message(), Catch::Contains("\"ada\" is taken"));
  CHECK(Must(w.accounts->GetUserByUsername("aDa")).id == ada.id);
  CHECK(Must(w.accounts->Login("ADA", kPassword)).user.id == ada.id);
  CHECK(Failure(w.accounts->GetUserByUsername("nobody")).code() == Code::kNotFound);
}

TEMPLATE_TEST_CASE("accounts: passwords are argon2id hashes and obey the length rule", "[accounts]",
                   CODEYARD_STORAGE_BACKENDS) {
  World w = MakeWorld<TestType>();
  const User ada = w.Add("ada");
  CHECK(ada.password_hash.empty());  // never handed out
  CHECK(Must(w.accounts->GetUser(ada.id)).password_hash.empty());
  const std::string hash = w.Stored(ada.id).password_hash;
  CHECK(hash.starts_with("$argon2id$v=19$"));
  CHECK(hash.find(kPassword) == std::string::npos);
  CHECK(auth::VerifyPassword(hash, kPassword));
  CHECK_FALSE(auth::VerifyPassword(hash, "correct horse battery!"));
  CHECK_FALSE(auth::VerifyPassword("not a hash", kPassword));

  const Error too_short = Failure(w.accounts->Register(Creds("bob", "1234567")));
  CHECK(too_short.code() == Code::kInvalidArgument);
  CHECK_THAT(too_short.message(), Catch::Contains("8 to 1024 bytes"));
  CHECK(Failure(w.accounts->Register(Creds("bob", std::string(1025, 'p')))).code() ==
        Code::kInvalidArgument);
  const User bob = w.Add("bob");
  Must(w.accounts->Register(Creds("carol", std::string(1024, 'p'))));
  Must(w.accounts->Register(Creds("dave", std::string("12345678\0", 9))));  // any bytes, NUL too
  CHECK(Must(w.accounts->Login("dave", std::string("12345678\0", 9))).user.username == "dave");
  CHECK_FALSE(w.accounts->Login("dave", "12345678"));

  // After the cost changes, a login upgrades the stored hash.
  CHECK_THAT(w.Stored(bob.id).password_hash, Catch::StartsWith("$argon2id$v=19$m=8,t=1,p=1$"));
  AccountsOptions stronger = TestOptions();
  stronger.password_cost = {2, 16384};
  Accounts upgraded(w.platform, stronger);
  Must(upgraded.Login("bob", kPassword));
  CHECK_THAT(w.Stored(bob.id).password_hash, Catch::StartsWith("$argon2id$v=19$m=16,t=2,p=1$"));
  Must(w.accounts->Login("bob", kPassword));  // and the old cost still verifies it
}

TEST_CASE("accounts: the default cost is libsodium's interactive argon2id", "[accounts]") {
  const std::string hash = Must(auth::HashPassword("a password", PasswordCost{}));
  CHECK(hash.starts_with("$argon2id$v=19$m=65536,t=2,p=1$"));
  CHECK(auth::VerifyPassword(hash, "a password"));
  CHECK(auth::NeedsRehash(hash, kPasswordCostMinimum));
  CHECK_FALSE(auth::NeedsRehash(hash, PasswordCost{}));
}

TEMPLATE_TEST_CASE("accounts: login", "[accounts]", CODEYARD_STORAGE_BACKENDS) {
  World w = MakeWorld<TestType>();
  const User ada = w.Add("ada");
  const int64_t now = w.clock->NowMillis();
  const Session s = Must(w.accounts->Login("ada", kPassword));
  CHECK(s.user.id == ada.id);
  CHECK(s.user.password_hash.empty());
  CHECK(s.access_expires_at == now / 1000 * 1000 + int64_t{15} * 60 * 1000);
  CHECK(s.refresh_expires_at == now + int64_t{30} * 24 * 3600 * 1000);
  CHECK(auth::IsRefreshTokenShaped(s.refresh_token));

  // An unknown user, a wrong password, a name that could not exist and an over-long
  // password all get the same answer.
  const Error wrong = Failure(w.accounts->Login("ada", "wrong password"));
  CHECK(wrong.code() == Code::kUnauthenticated);
  CHECK(wrong.message() == "accounts: wrong username or password");
  for (const Error& e :
       {Failure(w.accounts->Login("nobody", kPassword)), Failure(w.accounts->Login("x", kPassword)),
        Failure(w.accounts->Login("ada", std::string(2000, 'p'))),
        Failure(w.accounts->Login("ada", ""))}) {
    CHECK(e == wrong);
  }
}

TEMPLATE_TEST_CASE("accounts: a disabled user cannot log in or refresh", "[accounts]",
                   CODEYARD_STORAGE_BACKENDS) {
  World w = MakeWorld<TestType>();
  const User root = w.Add("root", Role::kAdmin);
  const User ada = w.Add("ada");
  const Session before = Must(w.accounts->Login("ada", kPassword));

  // Disabled behind the API's back: the refresh token is still live, the user is not.
  User stored = w.Stored(ada.id);
  stored.disabled = true;
  Must(store::Transact(w.platform->storage(), TxKind::kWrite, [&](Transaction& tx) {
    return store::users::Update(tx, stored, w.clock->NowMillis());
  }));
  CHECK(Failure(w.accounts->Refresh(before.refresh_token)).code() == Code::kPermissionDenied);
  CHECK(Failure(w.accounts->Login("ada", kPassword)).code() == Code::kPermissionDenied);
  // A wrong password still says only that.
  CHECK(Failure(w.accounts->Login("ada", "wrong password")).code() == Code::kUnauthenticated);

  CHECK_FALSE(Must(w.accounts->SetDisabled(root.id, ada.id, false)).disabled);
  const Session again = Must(w.accounts->Login("ada", kPassword));
  // Disabling through the API also revokes the user's refresh tokens.
  CHECK(Must(w.accounts->SetDisabled(root.id, ada.id, true)).disabled);
  CHECK(Failure(w.accounts->Refresh(again.refresh_token)).code() == Code::kUnauthenticated);
  CHECK(Failure(w.accounts->SetDisabled(ada.id, root.id, true)).code() == Code::kPermissionDenied);
  CHECK(Failure(w.accounts->SetDisabled(root.id, root.id, true)).code() ==
        Code::kFailedPrecondition);
}

TEMPLATE_TEST_CASE("accounts: access tokens", "[accounts]", CODEYARD_STORAGE_BACKENDS) {
  World w = MakeWorld<TestType>();
  const User ada = w.Add("ada");
  const Session s = Must(w.accounts->Login("ada", kPassword));
  const AccessClaims claims = Must(w.accounts->VerifyAccessToken(s.access_token));
  CHECK(claims.user_id == ada.id);
  CHECK(claims.role == Role::kUser);
  CHECK(claims.expires_at == s.access_expires_at);
  CHECK(claims.expires_at - claims.issued_at == int64_t{15} * 60 * 1000);
  CHECK(IsUuid(claims.token_id));

  auto rejected = [&](const std::string& token) {
    const Error e = Failure(w.accounts->VerifyAccessToken(token));
    CHECK(e.code() == Code::kUnauthenticated);
    return e.message();
  };
  // Tampered claims (a role upgrade) and a tampered signature.
  const std::string payload =
      R"({"sub":")" + ada.id + R"(","role":"admin","iat":1,"exp":99999999999,"jti":"x"})";
  CHECK_THAT(rejected(WithClaims(s.access_token, payload)), Catch::Contains("signature"));
  std::string flipped = s.access_token;
  flipped[flipped.size() - 2] = flipped[flipped.size() - 2] == 'A' ? 'B' : 'A';
  CHECK_THAT(rejected(flipped), Catch::Contains("signature"));
  // alg "none", with and without a signature; another HMAC algorithm.
  const std::string none = auth::Base64UrlEncode(R"({"alg":"none","typ":"JWT"})");
  const std::string claims_part = auth::Base64UrlEncode(payload);
  CHECK_THAT(rejected(none + "." + claims_part + "."), Catch::Contains("\"none\""));
  CHECK_THAT(rejected(none + "." + claims_part + "." +
                      s.access_token.substr(s.access_token.rfind('.') + 1)),
             Catch::Contains("\"none\" is not accepted"));
  CHECK_THAT(rejected(auth::Base64UrlEncode(R"({"alg":"HS512"})") + "." + claims_part + ".x"),
             Catch::Contains("\"HS512\""));
  // Garbage.
  for (const std::string& junk :
       {std::string(), std::string("abc"), std::string("a.b.c"), std::string("a.b.c.d"),
        s.access_token + ".", s.access_token + "=", std::string(5000, 'a')}) {
    rejected(junk);
  }
  CHECK_THAT(rejected("a.b"), Catch::Contains("malformed"));
  // Signed with another key.
  const AccessClaims forged{ada.id, Role::kAdmin,     claims.issued_at, claims.expires_at,
                            "f",    claims.session_id};
  CHECK_THAT(rejected(auth::SignAccessToken(forged, std::string(40, 'k') + "other")),
             Catch::Contains("signature does not match"));
  // The same claims with our key pass: the check above was the signature. The role is the
  // stored one, whatever the token says.
  const AccessClaims ours =
      Must(w.accounts->VerifyAccessToken(auth::SignAccessToken(forged, kSecret)));
  CHECK(ours.user_id == ada.id);
  CHECK(ours.role == Role::kUser);

  // Expiry by the platform clock: valid up to the last millisecond before `exp`.
  w.clock->Advance(std::chrono::milliseconds(s.access_expires_at - w.clock->NowMillis() - 1));
  CHECK(w.accounts->VerifyAccessToken(s.access_token));
  w.clock->Advance(std::chrono::milliseconds(1));
  CHECK_THAT(rejected(s.access_token), Catch::Contains("expired"));
}

TEMPLATE_TEST_CASE("accounts: token lifetimes and the secret come from the options", "[accounts]",
                   CODEYARD_STORAGE_BACKENDS) {
  AccountsOptions options = TestOptions();
  options.access_token_ttl = seconds(60);
  options.refresh_token_ttl = minutes(10);
  World w = MakeWorld<TestType>(options);
  w.Add("ada");
  const Session s = Must(w.accounts->Login("ada", kPassword));
  w.clock->Advance(seconds(61));
  CHECK(Failure(w.accounts->VerifyAccessToken(s.access_token)).code() == Code::kUnauthenticated);
  const Session s2 = Must(w.accounts->Refresh(s.refresh_token));
  w.clock->Advance(minutes(10));
  const Error expired = Failure(w.accounts->Refresh(s2.refresh_token));
  CHECK(expired.code() == Code::kUnauthenticated);
  CHECK_THAT(expired.message(), Catch::Contains("expired"));

  // A short secret signs nothing and accepts nothing.
  options.secret = "too short";
  Accounts weak(w.platform, options);
  CHECK(Failure(weak.Login("ada", kPassword)).code() == Code::kFailedPrecondition);
  CHECK(Failure(weak.VerifyAccessToken(s.access_token)).code() == Code::kFailedPrecondition);
}

TEMPLATE_TEST_CASE("accounts: refresh rotates the token", "[accounts]", CODEYARD_STORAGE_BACKENDS) {
  World w = MakeWorld<TestType>();
  const User ada = w.Add("ada");
  const Session s1 = Must(w.accounts->Login("ada", kPassword));
  w.clock->Advance(seconds(5));
  const Session s2 = Must(w.accounts->Refresh(s1.refresh_token));
  CHECK(s2.user.id == ada.id);
  CHECK(s2.refresh_token != s1.refresh_token);
  CHECK(s2.access_token != s1.access_token);
  CHECK(s2.refresh_expires_at == s1.refresh_expires_at + 5000);
  CHECK(Must(w.accounts->VerifyAccessToken(s2.access_token)).user_id == ada.id);
  const Session s3 = Must(w.accounts->Refresh(s2.refresh_token));
  CHECK(Must(w.accounts->VerifyAccessToken(s3.access_token)).user_id == ada.id);

  for (const std::string& junk :
       {std::string(), std::string("nope"), std::string(43, '!'), std::string(43, 'A')}) {
    const Error e = Failure(w.accounts->Refresh(junk));
    CHECK(e.code() == Code::kUnauthenticated);
    CHECK(e.message() == "accounts: invalid refresh token");
  }
}

TEMPLATE_TEST_CASE("accounts: reusing a rotated refresh token revokes its family", "[accounts]",
                   CODEYARD_STORAGE_BACKENDS) {
  World w = MakeWorld<TestType>();
  w.Add("ada");
  const Session s1 = Must(w.accounts->Login("ada", kPassword));
  const Session other = Must(w.accounts->Login("ada", kPassword));  // another device
  const Session s2 = Must(w.accounts->Refresh(s1.refresh_token));

  const Error reused = Failure(w.accounts->Refresh(s1.refresh_token));
  CHECK(reused.code() == Code::kUnauthenticated);
  CHECK_THAT(reused.message(), Catch::Contains("already used"));
  // The thief's (or the victim's) newer token is dead too; the other login is not.
  CHECK(Failure(w.accounts->Refresh(s2.refresh_token)).code() == Code::kUnauthenticated);
  CHECK(w.accounts->Refresh(other.refresh_token));
}

TEMPLATE_TEST_CASE("accounts: of two racing rotations exactly one wins", "[accounts]",
                   CODEYARD_STORAGE_BACKENDS) {
  World w = MakeWorld<TestType>();
  w.Add("ada");
  for (int round = 0; round < 10; ++round) {
    const Session s = Must(w.accounts->Login("ada", kPassword));
    std::latch start(2);
    Result<Session> results[2] = {Fail(Code::kInternal, "not run"),
                                  Fail(Code::kInternal, "not run")};
    auto race = [&](int i) {
      start.arrive_and_wait();
      results[i] = w.accounts->Refresh(s.refresh_token);
    };
    std::thread a(race, 0);
    std::thread b(race, 1);
    a.join();
    b.join();
    INFO("round " << round);
    REQUIRE(results[0].has_value() != results[1].has_value());
    const Result<Session>& winner = results[0] ? results[0] : results[1];
    const Result<Session>& loser = results[0] ? results[1] : results[0];
    CHECK(loser.error().code() == Code::kUnauthenticated);
    // The loser presented a token that was (or was being) rotated: a reuse, so the family
    // is revoked on either backend and the winner's token is dead as well.
    CHECK(Failure(w.accounts->Refresh(winner->refresh_token)).code() == Code::kUnauthenticated);
  }
}

TEMPLATE_TEST_CASE("accounts: logout revokes the login", "[accounts]", CODEYARD_STORAGE_BACKENDS) {
  World w = MakeWorld<TestType>();
  w.Add("ada");
  const Session s1 = Must(w.accounts->Login("ada", kPassword));
  const Session other = Must(w.accounts->Login("ada", kPassword));
  const Session s2 = Must(w.accounts->Refresh(s1.refresh_token));
  Must(w.accounts->Logout(s2.refresh_token));
  const Error after = Failure(w.accounts->Refresh(s2.refresh_token));
  CHECK(after.code() == Code::kUnauthenticated);
  CHECK_THAT(after.message(), Catch::Contains("revoked"));
  Must(w.accounts->Logout(s2.refresh_token));  // twice is fine
  Must(w.accounts->Logout(s1.refresh_token));  // an older token of the same login too
  CHECK(Failure(w.accounts->Logout(std::string(43, 'A'))).code() == Code::kUnauthenticated);
  CHECK(Failure(w.accounts->Logout("garbage")).code() == Code::kUnauthenticated);
  CHECK(w.accounts->Refresh(other.refresh_token));
}

TEMPLATE_TEST_CASE("accounts: changing the password", "[accounts]", CODEYARD_STORAGE_BACKENDS) {
  World w = MakeWorld<TestType>();
  const User ada = w.Add("ada");
  const Session s1 = Must(w.accounts->Login("ada", kPassword));
  const Session s2 = Must(w.accounts->Login("ada", kPassword));

  const Error wrong = Failure(w.accounts->ChangePassword(ada.id, "not it at all", "new password"));
  CHECK(wrong.code() == Code::kUnauthenticated);
  CHECK(Failure(w.accounts->ChangePassword(ada.id, kPassword, "short")).code() ==
        Code::kInvalidArgument);
  CHECK(w.accounts->Refresh(s1.refresh_token));  // nothing changed so far

  Must(w.accounts->ChangePassword(ada.id, kPassword, "new password"));
  CHECK(Failure(w.accounts->Refresh(s2.refresh_token)).code() == Code::kUnauthenticated);
  CHECK(Failure(w.accounts->Login("ada", kPassword)).code() == Code::kUnauthenticated);
  CHECK(w.accounts->Login("ada", "new password"));
  CHECK(Failure(w.accounts->ChangePassword(NewUuid(), kPassword, "x new password")).code() ==
        Code::kNotFound);
}

TEMPLATE_TEST_CASE("accounts: roles and reviewer levels are admin-only", "[accounts]",
                   CODEYARD_STORAGE_BACKENDS) {
  World w = MakeWorld<TestType>();
  const User root = w.Add("root", Role::kAdmin);
  const User ada = w.Add("ada");
  const User bob = w.Add("bob");
  CHECK(ada.role == Role::kUser);
  CHECK(ada.reviewer_level == 0);

  const Error denied = Failure(w.accounts->SetRole(ada.id, bob.id, Role::kAdmin));
  CHECK(denied.code() == Code::kPermissionDenied);
  CHECK(Failure(w.accounts->SetRole(ada.id, ada.id, Role::kAdmin)).code() ==
        Code::kPermissionDenied);
  CHECK(Failure(w.accounts->SetReviewerLevel(ada.id, bob.id, 2)).code() == Code::kPermissionDenied);
  CHECK(Failure(w.accounts->SetReviewerLevel(NewUuid(), bob.id, 2)).code() ==
        Code::kPermissionDenied);

  CHECK(Must(w.accounts->SetRole(root.id, ada.id, Role::kAdmin)).role == Role::kAdmin);
  CHECK(Must(w.accounts->VerifyAccessToken(Must(w.accounts->Login("ada", kPassword)).access_token))
            .role == Role::kAdmin);
  CHECK(Must(w.accounts->SetReviewerLevel(ada.id, bob.id, 4)).reviewer_level == 4);
  CHECK(Must(w.accounts->GetUser(bob.id)).reviewer_level == 4);
  for (const int bad : {-1, 5}) {
    CHECK(Failure(w.accounts->SetReviewerLevel(root.id, bob.id, bad)).code() ==
          Code::kInvalidArgument);
  }
  CHECK(Failure(w.accounts->SetRole(root.id, NewUuid(), Role::kUser)).code() == Code::kNotFound);
  CHECK(Failure(w.accounts->SetRole(root.id, root.id, Role::kUser)).code() ==
        Code::kFailedPrecondition);
  CHECK(Must(w.accounts->SetRole(ada.id, root.id, Role::kUser)).role == Role::kUser);
  CHECK(Failure(w.accounts->SetRole(root.id, bob.id, Role::kAdmin)).code() ==
        Code::kPermissionDenied);  // root is no longer an admin
  CHECK(w.Stored(bob.id).role == Role::kUser);
}

TEST_CASE("accounts: base64url is strict", "[accounts]") {
  for (const std::string& bytes : {std::string(), std::string("f"), std::string("fo"),
                                   std::string("foo"), std::string("\xff\xfe\x00\x01", 4)}) {
    CHECK(auth::Base64UrlDecode(auth::Base64UrlEncode(bytes)) == bytes);
  }
  CHECK(auth::Base64UrlEncode("\xfb\xff") == "-_8");
  CHECK_FALSE(auth::Base64UrlDecode("Zm8="));  // padding
  CHECK_FALSE(auth::Base64UrlDecode("Zm+v"));  // the other alphabet
  CHECK_FALSE(auth::Base64UrlDecode("Zm9"));   // stray bits: "Zm8" is the one spelling
  CHECK_FALSE(auth::Base64UrlDecode("Z"));
}

TEST_CASE("accounts: ResolveSecret", "[accounts]") {
  testing::TempDir dir;
  Config c;
  c.data_dir = (dir.path() / "nested" / "data").string();

  const Error missing = Failure(ResolveSecret(c));
  CHECK(missing.code() == Code::kFailedPrecondition);
  CHECK_THAT(missing.message(), Catch::Contains("secret") && Catch::Contains("CODEYARD_SECRET") &&
                                    Catch::Contains("openssl rand -hex 32"));
  CHECK_FALSE(std::filesystem::exists(c.data_dir));

  for (const char* weak :
       {"tooshort", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "abababababababababababababababababab", "0123456789abcdef0123456789abcdef",
        "0123456789abcdefghijklmnopqrstuvwxyz", "my-changeme-value-0x7Fq2Lp9Zr4Tn8Wm",
        "MySuperSecretKeyThatIsLong1234567890", "Q7zA1xPq2Q7zA1xPq2Q7zA1xPq2Q7zA1xPq2",
        "abcdefgh12345678ijklmnop98765432"}) {
    c.secret = weak;
    const Error e = Failure(ResolveSecret(c));
    INFO(weak << ": " << e.message());
    CHECK(e.code() == Code::kFailedPrecondition);
    CHECK_THAT(e.message(), Catch::Contains("openssl rand -hex 32"));
  }
  c.secret = std::string(kSecret);
  CHECK(Must(ResolveSecret(c)) == kSecret);
  c.secret = HexEncode(Must(RandomBytes(32)));
  CHECK(Must(ResolveSecret(c)) == c.secret);

  // Dev mode: generated once, 0600, reused; a configured secret still wins.
  c.dev_mode = true;
  CHECK(Must(ResolveSecret(c)) == c.secret);
  c.secret.clear();
  const std::string generated = Must(ResolveSecret(c));
  CHECK(generated.size() == 64);
  const std::filesystem::path file = std::filesystem::path(c.data_dir) / "secret";
  struct stat st {};
  REQUIRE(stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(Must(ResolveSecret(c)) == generated);
  CHECK(std::distance(std::filesystem::directory_iterator(c.data_dir),
                      std::filesystem::directory_iterator()) == 1);  // no temp files left

  REQUIRE(chmod(file.c_str(), 0644) == 0);
  CHECK_THAT(Failure(ResolveSecret(c)).message(), Catch::Contains("chmod 600"));
  std::filesystem::remove(file);
  std::ofstream(file) << "changeme\n";
  REQUIRE(chmod(file.c_str(), 0600) == 0);
  CHECK(Failure(ResolveSecret(c)).code() == Code::kFailedPrecondition);
}

}  // namespace
}  // namespace codeyard
