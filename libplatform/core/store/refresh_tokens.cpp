#include "core/store/refresh_tokens.hpp"

#include "codeyard/events.hpp"
#include "core/store/events.hpp"
#include "core/store/store_util.hpp"
#include "core/try.hpp"

namespace codeyard::store::refresh_tokens {
namespace {

constexpr std::string_view kSelect =
    "SELECT id, user_id, family_id, token_hash, created_at, expires_at, revoked_at, "
    "replaced_by FROM refresh_tokens ";

Result<RefreshToken> FromRow(const Row& r) {
  RefreshToken t;
  CY_TRY(t.id, r.Text(0));
  CY_TRY(t.user_id, r.Text(1));
  CY_TRY(t.family_id, r.Text(2));
  CY_TRY(t.token_hash, r.Text(3));
  CY_TRY(t.created_at, r.Int(4));
  CY_TRY(t.expires_at, r.Int(5));
  CY_TRY(t.revoked_at, OptInt(r, 6));
  CY_TRY(t.replaced_by, OptText(r, 7));
  return t;
}

}  // namespace

Result<void> Insert(Transaction& tx, const RefreshToken& t) {
  CY_CHECK(tx.Exec(
      "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, created_at, expires_at, "
      "revoked_at, replaced_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {Text(t.id), Text(t.user_id), Text(t.family_id), Text(t.token_hash), Value{t.created_at},
       Value{t.expires_at}, Opt(t.revoked_at), Opt(t.replaced_by)}));
  return {};
}

Result<RefreshToken> GetByHash(Transaction& tx, std::string_view token_hash) {
  CY_TRY(Rows rows, tx.Query(std::string(kSelect) + "WHERE token_hash = ?", {Text(token_hash)}));
  if (rows.empty()) return Fail(Error::Code::kNotFound, "refresh token not found");
  return FromRow(rows.front());
}

Result<std::vector<RefreshToken>> ListForUser(Transaction& tx, std::string_view user_id) {
  CY_TRY(Rows rows, tx.Query(std::string(kSelect) + "WHERE user_id = ? ORDER BY created_at, id",
                             {Text(user_id)}));
  std::vector<RefreshToken> out;
  for (const Row& r : rows) {
    CY_TRY(RefreshToken t, FromRow(r));
    out.push_back(std::move(t));
  }
  return out;
}

Result<bool> Revoke(Transaction& tx, std::string_view id, int64_t at,
                    std::string_view replaced_by) {
  CY_TRY(const int64_t changed,
         tx.Exec("UPDATE refresh_tokens SET revoked_at = ?, replaced_by = ? "
                 "WHERE id = ? AND revoked_at IS NULL",
                 {Value{at}, replaced_by.empty() ? Value{} : Text(replaced_by), Text(id)}));
  return changed > 0;
}

Result<int64_t> RevokeFamily(Transaction& tx, std::string_view family_id, int64_t at) {
  CY_TRY(
      const int64_t revoked,
      tx.Exec("UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL",
              {Value{at}, Text(family_id)}));
  if (revoked > 0) {
    // org20: a login ended; every replica re-checks its terminals and runs at once.
    CY_TRY(Rows rows, tx.Query("SELECT user_id FROM refresh_tokens WHERE family_id = ? LIMIT 1",
                               {Text(family_id)}));
    if (!rows.empty()) {
      CY_TRY(const std::string user_id, rows.front().Text(0));
      CY_CHECK(store::events::AppendForUser(tx, kEventLoginsEnded, user_id, "{}", at));
    }
  }
  return revoked;
}

Result<int64_t> RevokeAllForUser(Transaction& tx, std::string_view user_id, int64_t at) {
  CY_TRY(
      const int64_t revoked,
      tx.Exec("UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
              {Value{at}, Text(user_id)}));
  // org20: always (a disabled user's login may have no live refresh token left but a live
  // terminal): every replica re-checks its terminals and runs at once.
  CY_CHECK(store::events::AppendForUser(tx, kEventLoginsEnded, user_id, "{}", at));
  return revoked;
}

Result<int64_t> DeleteExpired(Transaction& tx, int64_t now) {
  return tx.Exec("DELETE FROM refresh_tokens WHERE expires_at < ?", {Value{now}});
}

}  // namespace codeyard::store::refresh_tokens
