#include "core/store/users.hpp"

#include "core/store/orgs.hpp"
#include "core/store/store_util.hpp"
#include "core/try.hpp"

namespace codeyard::store::users {
namespace {

constexpr std::string_view kColumns =
    "id, username, display_name, password_hash, role, reviewer_level, disabled, created_at, "
    "updated_at, version";

Result<User> FromRow(const Row& r) {
  User u;
  CY_TRY(u.id, r.Text(0));
  CY_TRY(u.username, r.Text(1));
  CY_TRY(u.display_name, r.Text(2));
  CY_TRY(u.password_hash, r.Text(3));
  CY_TRY(const std::string role, r.Text(4));
  CY_TRY(u.role, ParseRole(role));
  CY_TRY(const int64_t level, r.Int(5));
  u.reviewer_level = static_cast<int>(level);
  CY_TRY(const int64_t disabled, r.Int(6));
  u.disabled = disabled != 0;
  CY_TRY(u.created_at, r.Int(7));
  CY_TRY(u.updated_at, r.Int(8));
  CY_TRY(u.version, r.Int(9));
  return u;
}

Result<User> GetBy(Transaction& tx, std::string_view column, std::string_view key) {
  const std::string sql =
      "SELECT " + std::string(kColumns) + " FROM users WHERE " + std::string(column) + " = ?";
  CY_TRY(Rows rows, tx.Query(sql, {Text(key)}));
  if (rows.empty()) return Fail(NotFound("user", key));
  return FromRow(rows.front());
}

}  // namespace

Result<void> Insert(Transaction& tx, const User& u) {
  CY_CHECK(
      tx.Exec("INSERT INTO users (id, username, display_name, password_hash, role, reviewer_level, "
              "disabled, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              {Text(u.id), Text(u.username), Text(u.display_name), Text(u.password_hash),
               Text(RoleName(u.role)), Value{int64_t{u.reviewer_level}}, Value{int64_t{u.disabled}},
               Value{u.created_at}, Value{u.updated_at}, Value{u.version}}));
  // Every user has a personal organization, the default owner of what they create.
  return orgs::InsertPersonal(tx, u);
}

Result<User> Get(Transaction& tx, std::string_view id) { return GetBy(tx, "id", id); }

Result<User> GetByUsername(Transaction& tx, std::string_view username) {
  return GetBy(tx, "username", username);
}

Result<std::vector<User>> List(Transaction& tx, std::string_view after, int limit) {
  CY_TRY(Rows rows, tx.Query("SELECT " + std::string(kColumns) +
                                 " FROM users WHERE username > ? ORDER BY username LIMIT ?",
                             {Text(after), Value{int64_t{limit}}}));
  std::vector<User> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    CY_TRY(User u, FromRow(r));
    out.push_back(std::move(u));
  }
  return out;
}

Result<User> Update(Transaction& tx, const User& u, int64_t now) {
  CY_TRY(const int64_t changed,
         tx.Exec("UPDATE users SET username = ?, display_name = ?, password_hash = ?, role = ?, "
                 "reviewer_level = ?, disabled = ?, updated_at = ?, version = version + 1 "
                 "WHERE id = ? AND version = ?",
                 {Text(u.username), Text(u.display_name), Text(u.password_hash),
                  Text(RoleName(u.role)), Value{int64_t{u.reviewer_level}},
                  Value{int64_t{u.disabled}}, Value{now}, Text(u.id), Value{u.version}}));
  if (changed == 0) return Fail(StaleOrMissing(tx, "users", u.id, "user"));
  User updated = u;
  updated.updated_at = now;
  updated.version = u.version + 1;
  return updated;
}

Result<void> Delete(Transaction& tx, std::string_view id) {
  CY_TRY(const int64_t changed, tx.Exec("DELETE FROM users WHERE id = ?", {Text(id)}));
  if (changed == 0) return Fail(NotFound("user", id));
  return {};
}

Result<Standing> GetStanding(Transaction& tx, std::string_view id, std::string_view family_id) {
  CY_TRY(Rows rows,
         tx.Query("SELECT role, disabled, CAST(CASE WHEN EXISTS (SELECT 1 FROM refresh_tokens "
                  "WHERE family_id = ? AND user_id = users.id AND revoked_at IS NULL) "
                  "THEN 1 ELSE 0 END AS BIGINT) FROM users WHERE id = ?",
                  {Text(family_id), Text(id)}));
  if (rows.empty()) return Fail(NotFound("user", id));
  Standing out;
  CY_TRY(const std::string role, rows.front().Text(0));
  CY_TRY(out.role, ParseRole(role));
  CY_TRY(const int64_t disabled, rows.front().Int(1));
  out.disabled = disabled != 0;
  CY_TRY(const int64_t live, rows.front().Int(2));
  out.session_live = live != 0;
  return out;
}

// admin20: LIKE with its wildcards escaped, over lower() on both engines (SQLite's LIKE
// ignores ASCII case, PostgreSQL's does not).
Result<std::vector<User>> Search(Transaction& tx, std::string_view search, std::string_view after,
                                 int limit) {
  if (search.empty()) return List(tx, after, limit);
  std::string pattern = "%";
  for (const char c : search) {
    if (c == '%' || c == '_' || c == '!') pattern += '!';
    pattern += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  pattern += '%';
  CY_TRY(Rows rows, tx.Query("SELECT " + std::string(kColumns) +
                                 " FROM users WHERE (lower(username) LIKE ? ESCAPE '!' OR "
                                 "lower(display_name) LIKE ? ESCAPE '!') AND username > ? "
                                 "ORDER BY username LIMIT ?",
                             {Text(pattern), Text(pattern), Text(after), Value{int64_t{limit}}}));
  std::vector<User> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    CY_TRY(User u, FromRow(r));
    out.push_back(std::move(u));
  }
  return out;
}

}  // namespace codeyard::store::users
