// The operator's account calls (see accounts.hpp): whoever holds the storage administers
// users without an acting admin. Kept apart from accounts.cpp, whose setters check the actor.
#include <utility>

#include "codeyard/accounts.hpp"
#include "core/auth/passwords.hpp"
#include "core/store/refresh_tokens.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

constexpr int kListPage = 500;

// Runs `change` on the user in one write transaction and returns it without its hash.
template <class F>
Result<User> OperatorUpdate(Platform& platform, std::string_view user_id, F&& change) {
  return store::Transact(platform.storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<User> {
    CY_TRY(User user, store::users::Get(tx, user_id));
    CY_CHECK(change(tx, user));
    CY_TRY(User updated, store::users::Update(tx, user, platform.clock().NowMillis()));
    updated.password_hash.clear();
    return updated;
  });
}

}  // namespace

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
  return OperatorUpdate(platform_, user_id, [&](Transaction&, User& user) -> Result<void> {
    user.role = role;
    return {};
  });
}

Result<User> Accounts::SetReviewerLevelAsOperator(std::string_view user_id, int level) {
  if (level < 0 || level > 4) {
    return Fail(Error::Code::kInvalidArgument,
                "accounts: reviewer level must be 0 to 4, got " + std::to_string(level));
  }
  return OperatorUpdate(platform_, user_id, [&](Transaction&, User& user) -> Result<void> {
    user.reviewer_level = level;
    return {};
  });
}

Result<User> Accounts::SetDisabledAsOperator(std::string_view user_id, bool disabled) {
  return OperatorUpdate(platform_, user_id, [&](Transaction& tx, User& user) -> Result<void> {
    user.disabled = disabled;
    if (disabled) {
      CY_CHECK(store::refresh_tokens::RevokeAllForUser(tx, user.id, platform_.clock().NowMillis()));
    }
    return {};
  });
}

Result<User> Accounts::SetPasswordAsOperator(std::string_view user_id, std::string_view password) {
  CY_CHECK(auth::ValidatePassword(password));
  // Hashed outside the transaction: argon2 takes a tenth of a second.
  CY_TRY(std::string hash, auth::HashPassword(password, options_.password_cost));
  return OperatorUpdate(platform_, user_id, [&](Transaction& tx, User& user) -> Result<void> {
    user.password_hash = hash;
    CY_CHECK(store::refresh_tokens::RevokeAllForUser(tx, user.id, platform_.clock().NowMillis()));
    return {};
  });
}

Result<int64_t> Accounts::DeleteExpiredTokens() {
  return store::Transact(platform_.storage(), TxKind::kWrite, [&](Transaction& tx) {
    return store::refresh_tokens::DeleteExpired(tx, platform_.clock().NowMillis());
  });
}

}  // namespace codeyard
