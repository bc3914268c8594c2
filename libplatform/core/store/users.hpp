// Repository of users. All functions run inside the caller's transaction.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "codeyard/backend/storage.hpp"
#include "codeyard/records.hpp"

namespace codeyard::store::users {

// kAlreadyExists when the id or username is taken.
[[nodiscard]] Result<void> Insert(Transaction& tx, const User& user);
// kNotFound when absent.
[[nodiscard]] Result<User> Get(Transaction& tx, std::string_view id);
[[nodiscard]] Result<User> GetByUsername(Transaction& tx, std::string_view username);
// Ordered by username; `after` is the last username of the previous page ("" for the first).
[[nodiscard]] Result<std::vector<User>> List(Transaction& tx, std::string_view after, int limit);
// Writes every mutable field if `user.version` is still current and bumps the version.
// kConflict for a stale version, kNotFound when absent.
[[nodiscard]] Result<User> Update(Transaction& tx, const User& user, int64_t now);
[[nodiscard]] Result<void> Delete(Transaction& tx, std::string_view id);

// What an access token's check needs, in one statement: the user's role and disabled flag
// (primary key) and whether the login `family_id` still holds a live refresh token (the
// family index). kNotFound when the user is gone.
struct Standing {
  Role role = Role::kUser;
  bool disabled = false;
  bool session_live = false;
};
[[nodiscard]] Result<Standing> GetStanding(Transaction& tx, std::string_view id,
                                           std::string_view family_id);

// admin20 (codeyard/admin.hpp): users whose username or display name holds `search` (any
// case; empty matches all), by username after `after`, at most `limit`.
[[nodiscard]] Result<std::vector<User>> Search(Transaction& tx, std::string_view search,
                                               std::string_view after, int limit);

}  // namespace codeyard::store::users
