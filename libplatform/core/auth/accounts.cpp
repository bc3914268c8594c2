// Users: registration, password login and changes, and the admin-only setters. Sessions and
// tokens are in sessions.cpp.
#include "codeyard/accounts.hpp"

#include <array>
#include <utility>

#include "codeyard/audit.hpp"
#include "codeyard/id.hpp"
#include "core/auth/passwords.hpp"
#include "core/json_text.hpp"
#include "core/store/audit.hpp"
#include "core/store/refresh_tokens.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

constexpr std::size_t kMinUsername = 3;
constexpr std::size_t kMaxUsername = 32;
constexpr std::size_t kMaxDisplayName = 100;
constexpr std::string_view kWrongCredentials = "accounts: wrong username or password";

User Public(User user) {
  user.password_hash.clear();
  return user;
}

Result<void> ValidateDisplayName(std::string_view name) {
  if (name.size() > kMaxDisplayName) {
    return Fail(Error::Code::kInvalidArgument, "accounts: display name must be at most 100 bytes");
  }
  for (const char c : name) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7f) {
      return Fail(Error::Code::kInvalidArgument,
                  "accounts: display name must not contain control characters");
    }
  }
  return {};
}

// Runs `change` on the target user in one write transaction, after checking that the acting
// user is an enabled admin. `change` edits the user and may touch other rows. The change is
// recorded in the audit log as `action` with `detail` (what it set), in the same transaction.
template <class F>
Result<User> AdminUpdate(Platform& platform, std::string_view acting_user_id,
                         std::string_view user_id, std::string_view action, std::string detail,
                         F&& change) {
  return store::Transact(platform.storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<User> {
    auto actor = store::users::Get(tx, acting_user_id);
    if (!actor && actor.error().code() != Error::Code::kNotFound) return Fail(actor.error());
    if (!actor || actor->role != Role::kAdmin || actor->disabled) {
      return Fail(Error::Code::kPermissionDenied, "accounts: only an admin may do this");
    }
    CY_TRY(User user, store::users::Get(tx, user_id));
    CY_CHECK(change(tx, user));
    const int64_t now = platform.clock().NowMillis();
    CY_TRY(User updated, store::users::Update(tx, user, now));
    CY_CHECK(store::audit::Record(tx, now, acting_user_id, action, user_id, detail));
    return Public(std::move(updated));
  });
}

}  // namespace

Result<std::string> NormalizeUsername(std::string_view username) {
  if (username.size() < kMinUsername || username.size() > kMaxUsername) {
    return Fail(Error::Code::kInvalidArgument,
                "accounts: username must be 3 to 32 characters long, got " +
                    std::to_string(username.size()));
  }
  std::string out(username);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && c != '_' && c != '.' && c != '-') {
      return Fail(Error::Code::kInvalidArgument,
                  "accounts: username may contain only letters a-z, digits, '_', '.' and '-'");
    }
  }
  // "..." or "-rf" would be confusing in URLs and command lines.
  const char first = out.front();
  if (!((first >= 'a' && first <= 'z') || (first >= '0' && first <= '9'))) {
    return Fail(Error::Code::kInvalidArgument,
                "accounts: username must start with a letter or a digit");
  }
  return out;
}

Accounts::Accounts(std::shared_ptr<Platform> platform, AccountsOptions options)
    : owner_(std::move(platform)),
      platform_(*owner_),
      options_(std::move(options)),
      limiter_(platform_.storage(), platform_.clock()) {}

const std::string& Accounts::DummyHash() {
  std::call_once(dummy_once_, [this] {
    auto password = RandomBytes(16);
    auto hash =
        auth::HashPassword(password ? *password : "unused-password", options_.password_cost);
    dummy_hash_ = hash ? *hash : "";
  });
  return dummy_hash_;
}

Result<User> Accounts::Register(const NewUser& request, const ClientInfo& client) {
  return RegisterRecorded(request, client, std::nullopt);
}

Result<User> Accounts::RegisterRecorded(const NewUser& request, const ClientInfo& client,
                                        std::optional<std::string> audit_actor) {
  CY_TRY(std::string username, NormalizeUsername(request.username));
  CY_CHECK(auth::ValidatePassword(request.password));
  CY_CHECK(ValidateDisplayName(request.display_name));
  // Counted before the hash (the costly part) and before the name is checked for being
  // taken, so probing names costs the same budget.
  CY_CHECK(limiter_.Take(options_.limits.registrations_per_address, client.address));
  // Hash before the transaction: argon2 takes a while and must not hold the SQLite writer.
  CY_TRY(std::string hash, auth::HashPassword(request.password, options_.password_cost));
  User user;
  user.id = NewUuid();
  user.display_name = request.display_name.empty() ? username : request.display_name;
  user.username = std::move(username);
  user.password_hash = std::move(hash);
  user.role = request.role;
  user.created_at = user.updated_at = platform_.clock().NowMillis();
  auto inserted =
      store::Transact(platform_.storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
        CY_CHECK(store::users::Insert(tx, user));
        if (audit_actor) {  // org20: the operator's `codeyard user add`
          CY_CHECK(store::audit::Record(tx, user.created_at, *audit_actor,
                                        audit_action::kUserCreate, user.id,
                                        "{\"role\":\"" + std::string(RoleName(user.role)) + "\"}"));
        }
        return {};
      });
  if (!inserted) {
    if (inserted.error().code() == Error::Code::kAlreadyExists) {
      return Fail(Error::Code::kAlreadyExists,
                  "accounts: username \"" + user.username + "\" is taken");
    }
    return Fail(inserted.error());
  }
  return Public(std::move(user));
}

Result<Session> Accounts::Login(std::string_view username, std::string_view password,
                                const ClientInfo& client) {
  // Made on the first login of any kind, so that making it does not mark an unknown user.
  const std::string& dummy_hash = DummyHash();
  auto name = NormalizeUsername(username);
  // Counted before the password is checked: parallel guesses are counted too, and a refused
  // attempt spends no argon2 work. A name that cannot exist has no account counter.
  const std::array<RateLimiter::Counter, 2> counters = {
      RateLimiter::Counter{&options_.limits.login_failures_per_account, name ? *name : "", true},
      RateLimiter::Counter{&options_.limits.login_failures_per_address, client.address, false}};
  CY_CHECK(limiter_.Attempt(counters, options_.limits.login_backoff));
  std::optional<User> user;
  if (name) {
    auto found = store::Transact(platform_.storage(), TxKind::kRead, [&](Transaction& tx) {
      return store::users::GetByUsername(tx, *name);
    });
    if (found) {
      user = std::move(*found);
    } else if (found.error().code() != Error::Code::kNotFound) {
      return Fail(found.error());
    }
  }
  // The same argon2 work whether or not the user exists, so timing does not tell which.
  const std::string_view bounded = password.substr(0, auth::kMaxPasswordBytes);
  const bool match = auth::VerifyPassword(user ? user->password_hash : dummy_hash, bounded);
  if (!user || !match || password.size() > auth::kMaxPasswordBytes) {
    LoginFailed(user ? std::optional<std::string_view>(user->id) : std::nullopt, username,
                "wrong username or password");
    return Fail(Error::Code::kUnauthenticated, std::string(kWrongCredentials));
  }
  // The password was right: the account's count starts again (a failure of bookkeeping
  // must not fail a good login).
  (void)limiter_.Succeeded(counters);
  if (user->disabled) {
    LoginFailed(user->id, username, "disabled");
    return Fail(Error::Code::kPermissionDenied, "accounts: this account is disabled");
  }
  if (auth::NeedsRehash(user->password_hash, options_.password_cost)) {
    // Best effort: the old hash still works if this loses a race or fails.
    if (auto rehashed = auth::HashPassword(password, options_.password_cost)) {
      User updated = *user;
      updated.password_hash = std::move(*rehashed);
      auto saved = store::Transact(platform_.storage(), TxKind::kWrite, [&](Transaction& tx) {
        return store::users::Update(tx, updated, platform_.clock().NowMillis());
      });
      if (saved) user = std::move(*saved);
    }
  }
  return StartSession(*user);
}

void Accounts::LoginFailed(std::optional<std::string_view> user_id, std::string_view username,
                           std::string_view reason) {
  // Its own transaction: a failed login changes nothing else. Best effort: the refusal stands
  // whether or not the record could be written (the rate limiter counted the attempt).
  std::string detail = "{\"username\":";
  AppendJsonString(detail, username.substr(0, kMaxUsername * 4));
  detail += ",\"reason\":";
  AppendJsonString(detail, reason);
  detail += '}';
  (void)store::Transact(platform_.storage(), TxKind::kWrite, [&](Transaction& tx) {
    return store::audit::Record(tx, platform_.clock().NowMillis(), user_id,
                                audit_action::kLoginFailed, user_id.value_or(""), detail);
  });
}

Result<void> Accounts::ChangePassword(std::string_view user_id, std::string_view old_password,
                                      std::string_view new_password) {
  CY_CHECK(auth::ValidatePassword(new_password));
  CY_TRY(User user, store::Transact(platform_.storage(), TxKind::kRead, [&](Transaction& tx) {
           return store::users::Get(tx, user_id);
         }));
  if (!auth::VerifyPassword(user.password_hash, old_password)) {
    return Fail(Error::Code::kUnauthenticated, "accounts: the current password is wrong");
  }
  CY_TRY(user.password_hash, auth::HashPassword(new_password, options_.password_cost));
  return store::Transact(platform_.storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
    const int64_t now = platform_.clock().NowMillis();
    // The version read above: a concurrent change (another password change, a role change)
    // is a kConflict rather than silently overwritten.
    CY_CHECK(store::users::Update(tx, user, now));
    CY_CHECK(store::refresh_tokens::RevokeAllForUser(tx, user.id, now));
    return {};
  });
}

Result<User> Accounts::GetUser(std::string_view user_id) const {
  CY_TRY(User user, store::Transact(platform_.storage(), TxKind::kRead, [&](Transaction& tx) {
           return store::users::Get(tx, user_id);
         }));
  return Public(std::move(user));
}

Result<User> Accounts::GetUserByUsername(std::string_view username) const {
  auto name = NormalizeUsername(username);
  if (!name) return Fail(Error::Code::kNotFound, "accounts: user not found");
  CY_TRY(User user, store::Transact(platform_.storage(), TxKind::kRead, [&](Transaction& tx) {
           return store::users::GetByUsername(tx, *name);
         }));
  return Public(std::move(user));
}

Result<User> Accounts::SetRole(std::string_view acting_user_id, std::string_view user_id,
                               Role role) {
  return AdminUpdate(platform_, acting_user_id, user_id, audit_action::kRole,
                     "{\"role\":\"" + std::string(RoleName(role)) + "\"}",
                     [&](Transaction&, User& user) -> Result<void> {
                       if (user.id == acting_user_id && role != Role::kAdmin) {
                         return Fail(Error::Code::kFailedPrecondition,
                                     "accounts: an admin cannot demote themselves");
                       }
                       user.role = role;
                       return {};
                     });
}

Result<User> Accounts::SetReviewerLevel(std::string_view acting_user_id, std::string_view user_id,
                                        int level) {
  if (level < 0 || level > 4) {
    return Fail(Error::Code::kInvalidArgument,
                "accounts: reviewer level must be 0 to 4, got " + std::to_string(level));
  }
  return AdminUpdate(platform_, acting_user_id, user_id, audit_action::kReviewerLevel,
                     "{\"reviewer_level\":" + std::to_string(level) + "}",
                     [&](Transaction&, User& user) -> Result<void> {
                       user.reviewer_level = level;
                       return {};
                     });
}

Result<User> Accounts::SetDisabled(std::string_view acting_user_id, std::string_view user_id,
                                   bool disabled) {
  return AdminUpdate(platform_, acting_user_id, user_id,
                     disabled ? audit_action::kDisable : audit_action::kEnable, "{}",
                     [&](Transaction& tx, User& user) -> Result<void> {
                       if (user.id == acting_user_id && disabled) {
                         return Fail(Error::Code::kFailedPrecondition,
                                     "accounts: an admin cannot disable themselves");
                       }
                       user.disabled = disabled;
                       if (disabled) {
                         CY_CHECK(store::refresh_tokens::RevokeAllForUser(
                             tx, user.id, platform_.clock().NowMillis()));
                       }
                       return {};
                     });
}

}  // namespace codeyard
