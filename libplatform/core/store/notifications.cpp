#include "core/store/notifications.hpp"

#include <algorithm>

#include "core/store/store_util.hpp"
#include "core/try.hpp"

namespace codeyard::store::notifications {
namespace {

Value Int(int64_t n) { return Value{n}; }

}  // namespace

Result<void> Notify(Transaction& tx, std::string_view user_id, const NewNotification& n,
                    int64_t at) {
  CY_CHECK(
      tx.Exec("INSERT INTO notifications (user_id, at, type, review_id, actor_id, data) "
              "VALUES (?, ?, ?, ?, ?, ?)",
              {Text(user_id), Int(at), Text(n.type), Text(n.review_id), Text(n.actor_id),
               Text(n.data_json)}));
  return Event(tx, kEventNotification, n.workspace_id, user_id, n.data_json, at);
}

Result<void> NotifyEligible(Transaction& tx, int required_level, std::string_view author_id,
                            const NewNotification& n, int64_t at, std::string_view pool_org) {
  const Value level = Int(std::max(1, required_level));
  const std::string pool =
      pool_org.empty() ? "" : " AND id IN (SELECT m.user_id FROM org_members m WHERE m.org_id = ?)";
  std::vector<Value> params{Int(at),           Text(n.type), Text(n.review_id), Text(n.actor_id),
                            Text(n.data_json), level,        Text(author_id),   Text(n.actor_id)};
  if (!pool_org.empty()) params.push_back(Text(pool_org));
  CY_CHECK(tx.Exec(
      "INSERT INTO notifications (user_id, at, type, review_id, actor_id, data) "
      "SELECT id, ?, ?, ?, ?, ? FROM users WHERE reviewer_level >= ? AND disabled = 0 AND id <> ? "
      "AND id <> ?" +
          pool,
      params));
  std::vector<Value> event_params{
      Int(at), Text(kEventNotification), Text(n.workspace_id), Text(n.data_json),
      level,   Text(author_id),          Text(n.actor_id)};
  if (!pool_org.empty()) event_params.push_back(Text(pool_org));
  CY_CHECK(tx.Exec(
      "INSERT INTO events (at, type, workspace_id, owner_id, data) "
      "SELECT ?, ?, ?, id, ? FROM users WHERE reviewer_level >= ? AND disabled = 0 AND id <> ? "
      "AND id <> ?" +
          pool,
      event_params));
  return {};
}

Result<void> Event(Transaction& tx, std::string_view type, std::string_view workspace_id,
                   std::string_view user_id, std::string_view data_json, int64_t at) {
  // xact is the column default ({xact}), as for every event (core/store/events.cpp).
  CY_CHECK(
      tx.Exec("INSERT INTO events (at, type, workspace_id, owner_id, data) "
              "VALUES (?, ?, ?, ?, ?)",
              {Int(at), Text(type), Text(workspace_id), Text(user_id), Text(data_json)}));
  return {};
}

Result<std::vector<Notification>> Latest(Transaction& tx, std::string_view user_id, int64_t limit) {
  CY_TRY(const Rows rows,
         tx.Query("SELECT id, type, review_id, actor_id, data, at, is_read FROM notifications "
                  "WHERE user_id = ? ORDER BY id DESC LIMIT ?",
                  {Text(user_id), Int(limit)}));
  std::vector<Notification> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    Notification n;
    CY_TRY(n.id, r.Int(0));
    CY_TRY(n.type, r.Text(1));
    CY_TRY(n.review_id, r.Text(2));
    CY_TRY(n.actor_id, r.Text(3));
    CY_TRY(n.data_json, r.Text(4));
    CY_TRY(n.at, r.Int(5));
    CY_TRY(const int64_t read, r.Int(6));
    n.read = read != 0;
    out.push_back(std::move(n));
  }
  return out;
}

Result<int64_t> Unread(Transaction& tx, std::string_view user_id) {
  CY_TRY(const Rows rows,
         tx.Query("SELECT COUNT(*) FROM notifications WHERE user_id = ? AND is_read = 0",
                  {Text(user_id)}));
  return rows.front().Int(0);
}

Result<void> MarkRead(Transaction& tx, std::string_view user_id, const std::vector<int64_t>& ids,
                      bool all) {
  if (all) {
    CY_CHECK(tx.Exec("UPDATE notifications SET is_read = 1 WHERE user_id = ? AND is_read = 0",
                     {Text(user_id)}));
    return {};
  }
  for (const int64_t id : ids) {
    CY_CHECK(tx.Exec("UPDATE notifications SET is_read = 1 WHERE id = ? AND user_id = ?",
                     {Int(id), Text(user_id)}));
  }
  return {};
}

}  // namespace codeyard::store::notifications
