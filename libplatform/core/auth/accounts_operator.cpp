// The operator's account calls (see accounts.hpp): whoever holds the storage administers
// users without an acting admin. Kept apart from accounts.cpp, whose setters check the actor.
#include <pwd.h>
#include <unistd.h>

#include <string>
#include <utility>

#include "codeyard/accounts.hpp"
#include "codeyard/audit.hpp"
#include "core/auth/passwords.hpp"
#include "core/store/audit.hpp"
#include "core/store/refresh_tokens.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

constexpr int kListPage = 500;

// Runs `change` on the user in one write transaction, recording `action` (with `detail`) by
// the operator in it, and returns the user without its hash.
template <class F>
Result<User> OperatorUpdate(Platform& platform, std::string_view user_id, std::string_view action,
                            std::string detail, F&& change) {
  const std::string actor = OperatorActor();
  return store::Transact(platform.storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<User> {
    CY_TRY(User user, store::users::Get(tx, user_id));
    CY_CHECK(change(tx, user));
    const int64_t now = platform.clock().NowMillis();
    CY_TRY(User updated, store::users::Update(tx, user, now));
    CY_CHECK(store::audit::Record(tx, now, actor, action, user.id, detail));
    updated.password_hash.clear();
    return updated;
  });
}

}  // namespace

std::string OperatorActor() {
  const uid_t uid = geteuid();
  std::string buffer(4096, '\0');
  passwd entry{};
  passwd* found = nullptr;
  if (getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr &&
      found->pw_name != nullptr && found->pw_name[0] != '\0') {
    return "local:" + std::string(found->pw_name);
  }
  return "local:uid-" + std::to_string(uid);
}

Result<User> Accounts::RegisterAsOperator(const NewUser& user) {
  return RegisterRecorded(user, {}, OperatorActor());
}

Result<std::vector<User>> Accounts::ListUsersAsOperator() const {
  std::vector<User> all;
  std::string after;
  for (;;) {
    CY_TRY(std::vector<User> page,
           store::Transact(platform_.storage(), TxKind::kRead, [&](Transaction& tx) {
             return store::users::List(tx, after, kListPage);
           }));
    for (User& user : page) {
      user.password_hash.clear();
      all.push_back(std::move(user));
    }
    if (page.size() < static_cast<std::size_t>(kListPage)) break;
    after = all.back().username;
  }
  return all;
}

Result<User> Accounts::SetRoleAsOperator(std::string_view user_id, Role role) {
  return OperatorUpdate(platform_, user_id, audit_action::kRole,
                        "{\"role\":\"" + std::string(RoleName(role)) + "\"}",
                        [&](Transaction&, User& user) -> Result<void> {
                          user.role = role;
                          return {};
                        });
}

Result<User> Accounts::SetReviewerLevelAsOperator(std::string_view user_id, int level) {
  if (level < 0 || level > 4) {
    return Fail(Error::Code::kInvalidArgument,
                "accounts: reviewer level must be 0 to 4, got " + std::to_string(level));
  }
  return OperatorUpdate(platform_, user_id, audit_action::kReviewerLevel,
                        "{\"reviewer_level\":" + std::to_string(level) + "}",
                        [&](Transaction&, User& user) -> Result<void> {
                          user.reviewer_level = level;
                          return {};
                        });
}

Result<User> Accounts::SetDisabledAsOperator(std::string_view user_id, bool disabled) {
  return OperatorUpdate(platform_, user_id,
                        disabled ? audit_action::kDisable : audit_action::kEnable, "{}",
                        [&](Transaction& tx, User& user) -> Result<void> {
                          user.disabled = disabled;
                          if (disabled) {
                            CY_CHECK(store::refresh_tokens::RevokeAllForUser(
                                tx, user.id, platform_.clock().NowMillis()));
                          }
                          return {};
                        });
}

Result<User> Accounts::SetPasswordAsOperator(std::string_view user_id, std::string_view password) {
  CY_CHECK(auth::ValidatePassword(password));
  // Hashed outside the transaction: argon2 takes a tenth of a second.
  CY_TRY(std::string hash, auth::HashPassword(password, options_.password_cost));
  return OperatorUpdate(platform_, user_id, audit_action::kPasswordReset, "{}",
                        [&](Transaction& tx, User& user) -> Result<void> {
                          user.password_hash = hash;
                          CY_CHECK(store::refresh_tokens::RevokeAllForUser(
                              tx, user.id, platform_.clock().NowMillis()));
                          return {};
                        });
}

Result<int64_t> Accounts::DeleteExpiredTokens() {
  return store::Transact(platform_.storage(), TxKind::kWrite, [&](Transaction& tx) {
    return store::refresh_tokens::DeleteExpired(tx, platform_.clock().NowMillis());
  });
}

}  // namespace codeyard
