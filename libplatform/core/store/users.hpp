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

}  // namespace codeyard::store::users
