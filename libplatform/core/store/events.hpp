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

// org20: appends an event about a user rather than a workspace (workspace_id empty, owner_id
// the user): the library's own signals between replicas, never sent to subscribers (e.g.
// kEventLoginsEnded, written where logins end so every replica re-checks its terminals).
[[nodiscard]] Result<void> AppendForUser(Transaction& tx, std::string_view type,
                                         std::string_view user_id, std::string_view data_json,
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

// At most `limit` events after `after` whose writing transaction is at or above `horizon`:
// committed (the caller's snapshot sees them) but not yet passed by the horizon, because an
// older transaction, of any database on the server, is still running. In order. The
// horizon fallback (events.horizon_wait_ms) delivers them once they waited long enough.
[[nodiscard]] Result<std::vector<Event>> ReadBeyond(Transaction& tx, const Position& after,
                                                    int64_t horizon, int64_t limit);

// The transactions the caller's snapshot sees running below its xmax (PostgreSQL's xip
// list, every database's): an event of one of them may still commit below positions already
// read. One at or above xmax is not listed; its id is above every committed one, so its
// events can only land after every event visible now.
[[nodiscard]] Result<std::vector<int64_t>> Running(Transaction& tx);

// The events after `after` written by the transactions `xacts` (at or above `horizon`), in
// order: what pending transactions committed since the last read.
[[nodiscard]] Result<std::vector<Event>> ReadOf(Transaction& tx, const std::vector<int64_t>& xacts,
                                                const Position& after, int64_t horizon);

// Records, before the fallback sends them, that events of transactions in [lo, hi] may go
// out of (xact, id) order: lo is the horizon of the read, hi the largest xact sent early.
[[nodiscard]] Result<void> RecordStall(Transaction& tx, int64_t lo, int64_t hi, int64_t at);

// Whether events of transaction `xact` may have been delivered out of order (a recorded
// stall range holds it): a resume after one of them cannot be exact.
[[nodiscard]] Result<bool> InStall(Transaction& tx, int64_t xact);

// The position of the event with this id; nullopt when there is none (pruned, or never was).
[[nodiscard]] Result<std::optional<Position>> PositionOf(Transaction& tx, int64_t id);

// The position after the last event below `horizon` ({0, 0} when there is none).
[[nodiscard]] Result<Position> Tail(Transaction& tx, std::optional<int64_t> horizon);

// Deletes the events (and stall ranges) recorded before `before` (ms); returns how many
// events.
[[nodiscard]] Result<int64_t> PruneBefore(Transaction& tx, int64_t before);

// The position of an event read by ReadAfter.
[[nodiscard]] Position PositionOfEvent(const Event& event);

}  // namespace codeyard::store::events
