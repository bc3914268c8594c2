// User accounts and sessions: registration, password login, short-lived signed access tokens
// and long-lived opaque refresh tokens, roles and reviewer levels. Passwords are hashed with
// argon2id (libsodium). An access token is a JWT (HS256 over the server secret) naming its
// user and its login (the refresh-token family, claim `sid`); VerifyAccessToken checks the
// signature and then, with one indexed read of storage, that the user still exists, is not
// disabled and that the login was not ended, so logout, a password change, disabling or
// deleting a user take effect on the next request, on every server sharing the storage. A
// refresh token is 256 random bits, stored only as its SHA-256, rotated on every use;
// presenting an already rotated token again is treated as theft and revokes every token of
// that login (its "family"). Login and registration are rate-limited in storage (see
// limits.hpp). Users returned by this API always have an empty `password_hash`: the hash
// never leaves the library. An Accounts object is safe to use from many threads at once; it
// keeps its Platform alive.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/config.hpp"
#include "codeyard/error.hpp"
#include "codeyard/limits.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/records.hpp"

namespace codeyard {

// The cost of argon2id. The defaults are libsodium's OPSLIMIT/MEMLIMIT_INTERACTIVE (about
// 0.1 s and 64 MiB per hash); kPasswordCostMinimum is for tests only.
struct PasswordCost {
  unsigned long long opslimit = 2;               // crypto_pwhash_OPSLIMIT_INTERACTIVE
  std::size_t memlimit = std::size_t{64} << 20;  // crypto_pwhash_MEMLIMIT_INTERACTIVE
};
inline constexpr PasswordCost kPasswordCostMinimum{1, 8192};  // *_MIN: fast, never in production

struct AccountsOptions {
  // The HMAC-SHA256 key for access tokens, at least 32 bytes (see ResolveSecret). With a
  // shorter one every call that signs or checks a token fails with kFailedPrecondition.
  std::string secret;
  std::chrono::seconds access_token_ttl = std::chrono::minutes(15);
  // Each rotation starts a fresh lifetime, so a client that refreshes keeps its login.
  std::chrono::seconds refresh_token_ttl = std::chrono::hours(24 * 30);
  PasswordCost password_cost;
  // Login failures and registrations per client address (the other fields are for
  // Workspaces). UsageLimitsFrom(config) gives the configured ones.
  UsageLimits limits;
};

// Who is calling, as far as the caller knows: the client's address (an IP address as text)
// for the per-address limits. Empty fields are not counted.
struct ClientInfo {
  std::string address;
};

struct NewUser {
  std::string username;      // see NormalizeUsername; stored lower-case
  std::string password;      // 8 to 1024 bytes, any bytes
  std::string display_name;  // at most 100 bytes, no control characters; empty = username
  // kAdmin is for trusted callers (bootstrap tools, tests); the HTTP API always asks kUser.
  Role role = Role::kUser;
};

// What a valid access token says. Times are milliseconds since the epoch (whole seconds).
struct AccessClaims {
  std::string user_id;
  Role role = Role::kUser;  // VerifyAccessToken gives the user's current role
  int64_t issued_at = 0;
  int64_t expires_at = 0;
  std::string token_id;    // the `jti` claim, unique per token
  std::string session_id;  // the `sid` claim: the login (refresh-token family) it belongs to
};

// A login: what the client keeps. Expiry times are milliseconds since the epoch.
struct Session {
  std::string access_token;
  int64_t access_expires_at = 0;
  std::string refresh_token;
  int64_t refresh_expires_at = 0;
  User user;  // password_hash is empty
};

// Lower-cases a username and checks it: 3 to 32 characters from [a-z0-9_.-] (upper-case
// ASCII letters are folded), starting with a letter or digit. kInvalidArgument names the
// rule that failed.
[[nodiscard]] Result<std::string> NormalizeUsername(std::string_view username);

// The access-token signing secret a server should use. A configured `secret` must be at
// least 32 bytes and not a known weak value (a word such as "changeme", too few distinct
// bytes, a repeated or sequential pattern); otherwise, and when it is missing outside dev
// mode, kFailedPrecondition says how to set one. In dev mode without one, 32 random bytes
// (as 64 hex characters) are generated once into `<data_dir>/secret` (mode 0600, created
// atomically along with data_dir) and read back on later starts. File errors are
// kPermissionDenied or kInternal.
[[nodiscard]] Result<std::string> ResolveSecret(const Config& config);

// org20: the audit actor of the operator's calls (*AsOperator): "local:" and the name of the
// process's effective unix user ("local:uid-<n>" when it has none).
[[nodiscard]] std::string OperatorActor();

class Accounts {
 public:
  Accounts(std::shared_ptr<Platform> platform, AccountsOptions options);
  Accounts(const Accounts&) = delete;
  Accounts& operator=(const Accounts&) = delete;

  // Creates a user. kInvalidArgument for a username, password or display name that breaks a
  // rule (the message names it); kAlreadyExists when the username is taken in any case;
  // kResourceExhausted (limit auth.registrations_per_address) when the client's address
  // registered too many accounts in the window.
  [[nodiscard]] Result<User> Register(const NewUser& user, const ClientInfo& client = {});

  // Checks the password and starts a session. kUnauthenticated "wrong username or password"
  // for an unknown user and a wrong password alike (both spend the same argon2 work);
  // kPermissionDenied for a disabled user whose password was right. kResourceExhausted
  // (limits auth.login_failures_per_account / _per_address, with the wait) while the
  // username or the client's address is waiting after too many failures; a refused attempt
  // checks no password. Unknown usernames are counted like known ones.
  [[nodiscard]] Result<Session> Login(std::string_view username, std::string_view password,
                                      const ClientInfo& client = {});

  // Trades a refresh token for a new access and refresh token pair; the old one is revoked.
  // kUnauthenticated for an unknown, expired or revoked token; presenting a token that was
  // already rotated also revokes the whole family (so the token that replaced it fails too).
  // Of two calls racing with one token, exactly one succeeds. kPermissionDenied when the
  // user is disabled.
  [[nodiscard]] Result<Session> Refresh(std::string_view refresh_token);

  // Ends the login the token belongs to: revokes its whole family, and with it the access
  // tokens of that login (other logins of the user go on). Logging out twice is fine;
  // kUnauthenticated for a token that was never issued.
  [[nodiscard]] Result<void> Logout(std::string_view refresh_token);

  // Requires the current password (kUnauthenticated if wrong); revokes every refresh token
  // of the user, which ends every login: access tokens already issued stop working at once.
  // kNotFound for an unknown user; kConflict if the user changed meanwhile (call again).
  [[nodiscard]] Result<void> ChangePassword(std::string_view user_id, std::string_view old_password,
                                            std::string_view new_password);

  // Checks signature (constant time), algorithm (HS256 only) and expiry against the
  // platform clock, then reads storage once (the user row by primary key and its login's
  // live refresh token by the family index): a deleted or disabled user, or a login that was
  // logged out, revoked for reuse or ended by a password change, fails. Every failure is
  // kUnauthenticated with a message saying which check; storage errors pass through (an
  // outage is not a reason to accept a token). Cheap and thread-safe: terminals call it
  // periodically to close sessions whose token was revoked.
  [[nodiscard]] Result<AccessClaims> VerifyAccessToken(std::string_view token) const;

  // The storage half of VerifyAccessToken, for a token verified earlier: kUnauthenticated when
  // the user is gone or disabled or the login `session_id` has ended (logout, password change,
  // a reused refresh token), whatever the token's expiry. Gives the user's current role.
  // Interactive runs call it periodically: they stop when the login is revoked, not when the
  // 15-minute token they were started with merely expires.
  [[nodiscard]] Result<Role> CheckLogin(std::string_view user_id,
                                        std::string_view session_id) const;

  // kNotFound when absent.
  [[nodiscard]] Result<User> GetUser(std::string_view user_id) const;
  [[nodiscard]] Result<User> GetUserByUsername(std::string_view username) const;

  // Admin-only changes: kPermissionDenied unless `acting_user_id` is an enabled admin;
  // kNotFound for an unknown target; kFailedPrecondition when an admin would demote or
  // disable themselves (so the last admin cannot lock everyone out by accident).
  [[nodiscard]] Result<User> SetRole(std::string_view acting_user_id, std::string_view user_id,
                                     Role role);
  // kInvalidArgument outside 0-4.
  [[nodiscard]] Result<User> SetReviewerLevel(std::string_view acting_user_id,
                                              std::string_view user_id, int level);
  // Disabling also revokes every refresh token of the user; its access tokens stop working.
  [[nodiscard]] Result<User> SetDisabled(std::string_view acting_user_id, std::string_view user_id,
                                         bool disabled);

  // The operator's calls: whoever holds the storage (the `codeyard user` and `gc` commands)
  // administers accounts without signing in, as Problems::PutAsOperator does. The same rules
  // as the admin setters (levels 0-4, a disable or password reset ends every login), but no
  // acting user and no self-lockout check: the operator is not a user. kNotFound for an
  // unknown user; kConflict if the user changed meanwhile.
  // Every user, by username (password hashes empty).
  // org20: every change below is recorded in the audit log in its transaction, with the
  // actor OperatorActor() ("local:<unix user>"): user.create, user.role, user.reviewer_level,
  // user.disable / user.enable, user.password_reset.
  // Register's rules, for `codeyard user add`.
  [[nodiscard]] Result<User> RegisterAsOperator(const NewUser& user);
  [[nodiscard]] Result<std::vector<User>> ListUsersAsOperator() const;
  [[nodiscard]] Result<User> SetRoleAsOperator(std::string_view user_id, Role role);
  [[nodiscard]] Result<User> SetReviewerLevelAsOperator(std::string_view user_id, int level);
  [[nodiscard]] Result<User> SetDisabledAsOperator(std::string_view user_id, bool disabled);
  // Sets a new password (the password rules apply) and ends every login of the user.
  [[nodiscard]] Result<User> SetPasswordAsOperator(std::string_view user_id,
                                                   std::string_view password);
  // Deletes refresh tokens past their expiry (revoked ones included once expired); returns
  // how many. For `codeyard gc`.
  [[nodiscard]] Result<int64_t> DeleteExpiredTokens();

 private:
  // Register, recording user.create by `audit_actor` in the insert's transaction when set.
  [[nodiscard]] Result<User> RegisterRecorded(const NewUser& request, const ClientInfo& client,
                                              std::optional<std::string> audit_actor);
  // A session in a new refresh-token family (a fresh login).
  [[nodiscard]] Result<Session> StartSession(const User& user);
  [[nodiscard]] Result<void> CheckSecret() const;
  // admin20: records a refused login in the audit log (best effort).
  void LoginFailed(std::optional<std::string_view> user_id, std::string_view username,
                   std::string_view reason);
  [[nodiscard]] const std::string& DummyHash();

  std::shared_ptr<Platform> owner_;  // keeps platform_ alive
  Platform& platform_;
  AccountsOptions options_;
  RateLimiter limiter_;
  std::once_flag dummy_once_;
  std::string dummy_hash_;  // a hash of a random password, verified for unknown usernames
};

}  // namespace codeyard
