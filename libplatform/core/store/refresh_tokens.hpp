// Repository of refresh tokens (stored hashed). Runs inside the caller's transaction.
#pragma once

#include <string_view>
#include <vector>

#include "codeyard/backend/storage.hpp"
#include "codeyard/records.hpp"

namespace codeyard::store::refresh_tokens {

// kAlreadyExists for a duplicate id or hash; kFailedPrecondition for an unknown user.
[[nodiscard]] Result<void> Insert(Transaction& tx, const RefreshToken& token);
// kNotFound when no token has this hash.
[[nodiscard]] Result<RefreshToken> GetByHash(Transaction& tx, std::string_view token_hash);
[[nodiscard]] Result<std::vector<RefreshToken>> ListForUser(Transaction& tx,
                                                            std::string_view user_id);
// Marks one token revoked unless it already is; returns whether this call revoked it, so
// exactly one of two racing rotations wins.
[[nodiscard]] Result<bool> Revoke(Transaction& tx, std::string_view id, int64_t at,
                                  std::string_view replaced_by);
// Revokes every live token of a family or of a user; returns how many. Both append a
// kEventLoginsEnded event for the user in the same transaction (RevokeFamily only when it
// revoked something), which every replica's Events poller hands to its terminals and
// interactive runs to re-check their logins at once.
[[nodiscard]] Result<int64_t> RevokeFamily(Transaction& tx, std::string_view family_id, int64_t at);
[[nodiscard]] Result<int64_t> RevokeAllForUser(Transaction& tx, std::string_view user_id,
                                               int64_t at);
// Deletes tokens that expired before `now`; returns how many.
[[nodiscard]] Result<int64_t> DeleteExpired(Transaction& tx, int64_t now);

}  // namespace codeyard::store::refresh_tokens
