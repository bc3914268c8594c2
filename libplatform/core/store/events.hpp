// The events table: an append-only record of changes (a workspace's state, a file created,
// changed, deleted or moved), written in the transaction that makes the change, so that a
// change that rolls back leaves no event and a committed one always has its event. Readers
// follow it with a cursor (Position) that copes with concurrent writers whose commit order
// is not their id order; see ReadAfter. Runs inside the caller's transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/backend/storage.hpp"
#include "codeyard/events.hpp"

namespace codeyard::store::events {

// Where a reader stands: after every event ordered at or before (xact, id). Events are
// ordered by the id of the transaction that wrote them, then by their own id. On SQLite
// xact is always 0 (writers commit one at a time, so id order is commit order).
struct Position {
  int64_t xact = 0;
  int64_t id = 0;
  friend bool operator==(const Position&, const Position&) = default;
};

// Appends an event about `workspace_id`, recording the workspace's owner (who may read it).
// `data_json` is a JSON object with the type's own fields ("{}" for none). kNotFound when
// the workspace does not exist.
[[nodiscard]] Result<void> Append(Transaction& tx, std::string_view type,
                                  std::string_view workspace_id, std::string_view data_json,
                                  int64_t at);

// The commit horizon on backends whose writers commit concurrently (PostgreSQL): every
// transaction with an id below it has ended, and the caller's snapshot sees all that
// committed. nullopt where there is no such thing (SQLite). Call it in the same
// (REPEATABLE READ) transaction as ReadAfter, so both see one snapshot.
[[nodiscard]] Result<std::optional<int64_t>> Horizon(Transaction& tx, bool concurrent_writers);

// At most `limit` events after `after`, in order, whose writing transaction is below
// `horizon` (all events when nullopt). Sound: no event can later commit at or before the
// position of the last one returned, since its transaction would have been running, i.e.
// at or above the horizon.
[[nodiscard]] Result<std::vector<Event>> ReadAfter(Transaction& tx, const Position& after,
                                                   std::optional<int64_t> horizon, int64_t limit);

// The position of the event with this id; nullopt when there is none (pruned, or never was).
[[nodiscard]] Result<std::optional<Position>> PositionOf(Transaction& tx, int64_t id);

// The position after the last event below `horizon` ({0, 0} when there is none).
[[nodiscard]] Result<Position> Tail(Transaction& tx, std::optional<int64_t> horizon);

// Deletes the events recorded before `before` (ms); returns how many.
[[nodiscard]] Result<int64_t> PruneBefore(Transaction& tx, int64_t before);

// The position of an event read by ReadAfter.
[[nodiscard]] Position PositionOfEvent(const Event& event);

}  // namespace codeyard::store::events
