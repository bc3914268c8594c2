#include "core/store/workspaces.hpp"

#include "core/events/emit.hpp"
#include "core/store/store_util.hpp"
#include "core/try.hpp"

namespace codeyard::store::workspaces {
namespace {

constexpr std::string_view kSelect =
    "SELECT id, owner_id, name, state, total_bytes, created_at, updated_at, last_active_at, "
    "version, entry_count, terminal_shared, image, org_id FROM workspaces ";

Result<Workspace> FromRow(const Row& r) {
  Workspace w;
  CY_TRY(w.id, r.Text(0));
  CY_TRY(w.owner_id, r.Text(1));
  CY_TRY(w.name, r.Text(2));
  CY_TRY(const std::string state, r.Text(3));
  CY_TRY(w.state, ParseWorkspaceState(state));
  CY_TRY(w.total_bytes, r.Int(4));
  CY_TRY(w.created_at, r.Int(5));
  CY_TRY(w.updated_at, r.Int(6));
  CY_TRY(w.last_active_at, r.Int(7));
  CY_TRY(w.version, r.Int(8));
  CY_TRY(w.entry_count, r.Int(9));
  CY_TRY(const int64_t shared, r.Int(10));
  w.terminal_shared = shared != 0;
  CY_TRY(w.image, r.Text(11));
  CY_TRY(const auto org_id, OptText(r, 12));
  w.org_id = org_id.value_or(w.owner_id);
  return w;
}

Result<std::vector<Workspace>> Many(Transaction& tx, std::string_view where,
                                    std::vector<Value> keys) {
  CY_TRY(Rows rows, tx.Query(std::string(kSelect) + std::string(where), std::move(keys)));
  std::vector<Workspace> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    CY_TRY(Workspace w, FromRow(r));
    out.push_back(std::move(w));
  }
  return out;
}

}  // namespace

Result<void> Insert(Transaction& tx, const Workspace& w) {
  CY_CHECK(tx.Exec(
      "INSERT INTO workspaces (id, owner_id, name, state, total_bytes, created_at, updated_at, "
      "last_active_at, version, image, org_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {Text(w.id), Text(w.owner_id), Text(w.name), Text(WorkspaceStateName(w.state)),
       Value{w.total_bytes}, Value{w.created_at}, Value{w.updated_at}, Value{w.last_active_at},
       Value{w.version}, Text(w.image), Text(w.org_id.empty() ? w.owner_id : w.org_id)}));
  return {};
}

Result<Workspace> Get(Transaction& tx, std::string_view id) {
  CY_TRY(Rows rows, tx.Query(std::string(kSelect) + "WHERE id = ?", {Text(id)}));
  if (rows.empty()) return Fail(NotFound("workspace", id));
  return FromRow(rows.front());
}

Result<std::vector<Workspace>> ListByOwner(Transaction& tx, std::string_view owner_id) {
  return Many(tx, "WHERE owner_id = ? ORDER BY created_at, id", {Text(owner_id)});
}

Result<std::vector<Workspace>> ListByOwnerAfter(Transaction& tx, std::string_view owner_id,
                                                const std::optional<PageKey>& after,
                                                int64_t limit) {
  if (!after) {
    return Many(tx, "WHERE owner_id = ? ORDER BY created_at, id LIMIT ?",
                {Text(owner_id), Value{limit}});
  }
  return Many(tx,
              "WHERE owner_id = ? AND (created_at > ? OR (created_at = ? AND id > ?)) "
              "ORDER BY created_at, id LIMIT ?",
              {Text(owner_id), Value{after->created_at}, Value{after->created_at}, Text(after->id),
               Value{limit}});
}

Result<std::optional<Workspace>> FindByName(Transaction& tx, std::string_view owner_id,
                                            std::string_view name) {
  CY_TRY(std::vector<Workspace> found,
         Many(tx, "WHERE owner_id = ? AND name = ?", {Text(owner_id), Text(name)}));
  if (found.empty()) return std::optional<Workspace>();
  return std::optional<Workspace>(std::move(found.front()));
}

Result<Usage> UsageOf(Transaction& tx, std::string_view owner_id) {
  CY_TRY(Rows rows, tx.Query("SELECT COUNT(*), CAST(COALESCE(SUM(total_bytes), 0) AS BIGINT), "
                             "CAST(COALESCE(SUM(entry_count), 0) AS BIGINT) FROM workspaces "
                             "WHERE owner_id = ?",
                             {Text(owner_id)}));
  Usage usage;
  CY_TRY(usage.workspaces, rows.front().Int(0));
  CY_TRY(usage.bytes, rows.front().Int(1));
  CY_TRY(usage.entries, rows.front().Int(2));
  return usage;
}

Result<void> AddEntries(Transaction& tx, std::string_view id, int64_t delta) {
  CY_TRY(const int64_t changed,
         tx.Exec("UPDATE workspaces SET entry_count = entry_count + ? WHERE id = ?",
                 {Value{delta}, Text(id)}));
  if (changed == 0) return Fail(NotFound("workspace", id));
  return {};
}

Result<std::vector<Workspace>> ListByState(Transaction& tx, WorkspaceState state) {
  return Many(tx, "WHERE state = ? ORDER BY last_active_at, id", {Text(WorkspaceStateName(state))});
}

Result<Workspace> Update(Transaction& tx, const Workspace& w, int64_t now) {
  CY_TRY(const int64_t changed,
         tx.Exec("UPDATE workspaces SET name = ?, state = ?, updated_at = ?, "
                 "version = version + 1 WHERE id = ? AND version = ?",
                 {Text(w.name), Text(WorkspaceStateName(w.state)), Value{now}, Text(w.id),
                  Value{w.version}}));
  if (changed == 0) return Fail(StaleOrMissing(tx, "workspaces", w.id, "workspace"));
  return Get(tx, w.id);
}

Result<bool> TransitionState(Transaction& tx, std::string_view id, WorkspaceState from,
                             WorkspaceState to, int64_t now) {
  CY_TRY(const int64_t changed,
         tx.Exec(
             "UPDATE workspaces SET state = ?, updated_at = ? WHERE id = ? AND state = ?",
             {Text(WorkspaceStateName(to)), Value{now}, Text(id), Text(WorkspaceStateName(from))}));
  if (changed > 0) CY_CHECK(events::StateChanged(tx, id, to));  // in the same transaction
  return changed > 0;
}

Result<Workspace> SetTerminalShared(Transaction& tx, std::string_view id, bool shared) {
  CY_TRY(const int64_t changed, tx.Exec("UPDATE workspaces SET terminal_shared = ? WHERE id = ?",
                                        {Value{int64_t{shared ? 1 : 0}}, Text(id)}));
  if (changed == 0) return Fail(NotFound("workspace", id));
  return Get(tx, id);
}

Result<void> Touch(Transaction& tx, std::string_view id, int64_t now) {
  CY_TRY(const int64_t changed,
         tx.Exec("UPDATE workspaces SET last_active_at = ? WHERE id = ?", {Value{now}, Text(id)}));
  if (changed == 0) return Fail(NotFound("workspace", id));
  return {};
}

Result<void> Lock(Transaction& tx, std::string_view id) {
  CY_TRY(const int64_t changed,
         tx.Exec("UPDATE workspaces SET version = version WHERE id = ?", {Text(id)}));
  if (changed == 0) return Fail(NotFound("workspace", id));
  return {};
}

Result<void> AddBytes(Transaction& tx, std::string_view id, int64_t delta) {
  CY_TRY(const int64_t changed,
         tx.Exec("UPDATE workspaces SET total_bytes = total_bytes + ? WHERE id = ?",
                 {Value{delta}, Text(id)}));
  if (changed == 0) return Fail(NotFound("workspace", id));
  return {};
}

Result<void> Delete(Transaction& tx, std::string_view id) {
  CY_TRY(const int64_t changed, tx.Exec("DELETE FROM workspaces WHERE id = ?", {Text(id)}));
  if (changed == 0) return Fail(NotFound("workspace", id));
  return {};
}

// admin20: the SQL per case (no `? IS NULL`).
Result<std::vector<Workspace>> ListAll(Transaction& tx, std::optional<std::string_view> owner_id,
                                       std::optional<WorkspaceState> state, std::string_view after,
                                       int limit) {
  std::string where = "WHERE id > ? ";
  std::vector<Value> keys;
  keys.reserve(4);
  keys.emplace_back(std::string(after));
  if (owner_id) {
    where += "AND owner_id = ? ";
    keys.emplace_back(std::string(*owner_id));
  }
  if (state) {
    where += "AND state = ? ";
    keys.emplace_back(std::string(WorkspaceStateName(*state)));
  }
  where += "ORDER BY id LIMIT ?";
  keys.emplace_back(int64_t{limit});
  return Many(tx, where, std::move(keys));
}

}  // namespace codeyard::store::workspaces
