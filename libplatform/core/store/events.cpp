#include "core/store/events.hpp"

#include "core/events/notify.hpp"
#include "core/try.hpp"

namespace codeyard::store::events {
namespace {

constexpr std::string_view kSelect =
    "SELECT id, xact, at, type, workspace_id, owner_id, data FROM events ";

Result<Event> FromRow(const Row& r) {
  Event e;
  CY_TRY(e.id, r.Int(0));
  CY_TRY(e.xact, r.Int(1));
  CY_TRY(e.at, r.Int(2));
  CY_TRY(e.type, r.Text(3));
  CY_TRY(e.workspace_id, r.Text(4));
  CY_TRY(e.owner_id, r.Text(5));
  CY_TRY(e.data, r.Text(6));
  return e;
}

// An xact no transaction has: "no horizon" reads everything.
constexpr int64_t kNoHorizon = INT64_MAX;

}  // namespace

Result<void> Append(Transaction& tx, std::string_view type, std::string_view workspace_id,
                    std::string_view data_json, int64_t at) {
  // The owner is copied from the workspace row, so the event still names who may read it
  // after the workspace is gone. xact is the column default ({xact}).
  CY_TRY(const int64_t added,
         tx.Exec("INSERT INTO events (at, type, workspace_id, owner_id, data) "
                 "SELECT ?, ?, id, owner_id, ? FROM workspaces WHERE id = ?",
                 {Value{at}, Value{std::string(type)}, Value{std::string(data_json)},
                  Value{std::string(workspace_id)}}));
  if (added == 0) {
    return Fail(Error::Code::kNotFound,
                "events: workspace " + std::string(workspace_id) + " not found");
  }
  codeyard::events::NoteAppended();  // store::Transact wakes local pollers after the commit
  return {};
}

Result<void> AppendForUser(Transaction& tx, std::string_view type, std::string_view user_id,
                           std::string_view data_json, int64_t at) {
  CY_CHECK(
      tx.Exec("INSERT INTO events (at, type, workspace_id, owner_id, data) "
              "VALUES (?, ?, '', ?, ?)",
              {Value{at}, Value{std::string(type)}, Value{std::string(user_id)},
               Value{std::string(data_json)}}));
  codeyard::events::NoteAppended();
  return {};
}

Result<std::optional<int64_t>> Horizon(Transaction& tx, bool concurrent_writers) {
  if (!concurrent_writers) return std::optional<int64_t>();
  CY_TRY(Rows rows, tx.Query("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint", {}));
  CY_TRY(const int64_t xmin, rows.front().Int(0));
  return std::optional<int64_t>(xmin);
}

Result<std::vector<Event>> ReadAfter(Transaction& tx, const Position& after,
                                     std::optional<int64_t> horizon, int64_t limit) {
  CY_TRY(Rows rows,
         tx.Query(std::string(kSelect) + "WHERE (xact > ? OR (xact = ? AND id > ?)) AND xact < ? "
                                         "ORDER BY xact, id LIMIT ?",
                  {Value{after.xact}, Value{after.xact}, Value{after.id},
                   Value{horizon.value_or(kNoHorizon)}, Value{limit}}));
  std::vector<Event> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    CY_TRY(Event e, FromRow(r));
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<Event>> ReadBeyond(Transaction& tx, const Position& after, int64_t horizon,
                                      int64_t limit) {
  CY_TRY(Rows rows,
         tx.Query(std::string(kSelect) + "WHERE (xact > ? OR (xact = ? AND id > ?)) AND xact >= ? "
                                         "ORDER BY xact, id LIMIT ?",
                  {Value{after.xact}, Value{after.xact}, Value{after.id}, Value{horizon},
                   Value{limit}}));
  std::vector<Event> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    CY_TRY(Event e, FromRow(r));
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<int64_t>> Running(Transaction& tx) {
  CY_TRY(Rows rows, tx.Query("SELECT pg_snapshot_xip(pg_current_snapshot())::text::bigint", {}));
  std::vector<int64_t> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    CY_TRY(const int64_t xact, r.Int(0));
    out.push_back(xact);
  }
  return out;
}

Result<std::vector<Event>> ReadOf(Transaction& tx, const std::vector<int64_t>& xacts,
                                  const Position& after, int64_t horizon) {
  if (xacts.empty()) return std::vector<Event>();
  // One text parameter, however many: PostgreSQL only (the one backend with a horizon).
  std::string list;
  for (const int64_t x : xacts) list += (list.empty() ? "" : ",") + std::to_string(x);
  CY_TRY(Rows rows,
         tx.Query(
             std::string(kSelect) +
                 "WHERE xact = ANY(string_to_array(?, ',')::bigint[]) AND xact >= ? "
                 "AND (xact > ? OR (xact = ? AND id > ?)) ORDER BY xact, id",
             {Value{list}, Value{horizon}, Value{after.xact}, Value{after.xact}, Value{after.id}}));
  std::vector<Event> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    CY_TRY(Event e, FromRow(r));
    out.push_back(std::move(e));
  }
  return out;
}

Result<void> RecordStall(Transaction& tx, int64_t lo, int64_t hi, int64_t at) {
  CY_TRY(const int64_t added, tx.Exec("INSERT INTO event_stalls (lo, hi, at) VALUES (?, ?, ?)",
                                      {Value{lo}, Value{hi}, Value{at}}));
  (void)added;
  return {};
}

Result<bool> InStall(Transaction& tx, int64_t xact) {
  CY_TRY(Rows rows, tx.Query("SELECT 1 FROM event_stalls WHERE lo <= ? AND hi >= ? LIMIT 1",
                             {Value{xact}, Value{xact}}));
  return !rows.empty();
}

Result<std::optional<Position>> PositionOf(Transaction& tx, int64_t id) {
  CY_TRY(Rows rows, tx.Query("SELECT xact, id FROM events WHERE id = ?", {Value{id}}));
  if (rows.empty()) return std::optional<Position>();
  Position p;
  CY_TRY(p.xact, rows.front().Int(0));
  CY_TRY(p.id, rows.front().Int(1));
  return std::optional<Position>(p);
}

Result<Position> Tail(Transaction& tx, std::optional<int64_t> horizon) {
  CY_TRY(Rows rows, tx.Query("SELECT xact, id FROM events WHERE xact < ? "
                             "ORDER BY xact DESC, id DESC LIMIT 1",
                             {Value{horizon.value_or(kNoHorizon)}}));
  Position p;
  if (rows.empty()) return p;
  CY_TRY(p.xact, rows.front().Int(0));
  CY_TRY(p.id, rows.front().Int(1));
  return p;
}

Result<int64_t> PruneBefore(Transaction& tx, int64_t before) {
  CY_TRY(const int64_t stalls, tx.Exec("DELETE FROM event_stalls WHERE at < ?", {Value{before}}));
  (void)stalls;
  return tx.Exec("DELETE FROM events WHERE at < ?", {Value{before}});
}

Position PositionOfEvent(const Event& event) { return {event.xact, event.id}; }

}  // namespace codeyard::store::events
