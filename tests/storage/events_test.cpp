// The events table on every backend: an event is written in the transaction of its change
// (a change that rolls back, or is refused, leaves none), the file operations and state
// transitions record theirs, and on PostgreSQL the cursor copes with transactions that
// commit out of id order.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "codeyard/id.hpp"
#include "core/files/file_ops.hpp"
#include "core/store/events.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "core/store/workspaces.hpp"
#include "storage/backend_fixture.hpp"

namespace codeyard {
namespace {

namespace st = store;
using st::events::Position;

struct World {
  User user;
  Workspace ws;
};

World MakeWorld(Storage& s, const std::string& name = "ada") {
  World w;
  w.user.id = NewUuid();
  w.user.username = name;
  w.user.password_hash = "$argon2id$v=19$stub";
  w.user.created_at = w.user.updated_at = 1000;
  w.ws.id = NewUuid();
  w.ws.owner_id = w.user.id;
  w.ws.name = "homework";
  w.ws.created_at = w.ws.updated_at = w.ws.last_active_at = 2000;
  auto r = st::Transact(s, TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
    CY_CHECK(st::users::Insert(tx, w.user));
    return st::workspaces::Insert(tx, w.ws);
  });
  REQUIRE(r.has_value());
  return w;
}

bool Concurrent(Storage& s) { return s.Info().backend == "postgres"; }

// Every event readable now after `from`, as the poller reads them.
std::vector<Event> ReadAll(Storage& s, Position from = {}) {
  auto r = st::Transact(s, TxKind::kRead, [&](Transaction& tx) -> Result<std::vector<Event>> {
    CY_TRY(const auto horizon, st::events::Horizon(tx, Concurrent(s)));
    return st::events::ReadAfter(tx, from, horizon, 1000);
  });
  REQUIRE(r.has_value());
  return *r;
}

// Reads until `count` events are visible. On PostgreSQL the commit horizon is the whole
// server's: a transaction of another test process running against the same server (ctest runs
// suites in parallel) holds events back until it ends, so visibility is waited for, with a
// deadline; what the tests check is what is read, never how soon.
std::vector<Event> ReadWhenVisible(Storage& s, std::size_t count, Position from = {}) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::vector<Event> events = ReadAll(s, from);
  while (events.size() < count && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    events = ReadAll(s, from);
  }
  return events;
}

std::vector<std::string> Types(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const Event& e : events) out.push_back(e.type);
  return out;
}

TEMPLATE_TEST_CASE("events: written with their change, or not at all", "[storage][events]",
                   CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  Storage& s = db->storage();
  const World w = MakeWorld(s);

  // A change rolled back takes its event with it.
  {
    auto tx = s.Begin(TxKind::kWrite);
    REQUIRE(tx.has_value());
    REQUIRE(files::WriteFile(**tx, w.ws.id, "gone.txt", "x", std::nullopt, 5, FileLimits{}));
    (*tx)->Rollback();
  }
  CHECK(ReadAll(s).empty());

  // A refused change (over the per-file cap) records nothing, and the transaction carries on.
  FileLimits tiny;
  tiny.max_file_bytes = 2;
  auto r = st::Transact(s, TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
    auto refused = files::WriteFile(tx, w.ws.id, "big.txt", "xyz", std::nullopt, 5, tiny);
    REQUIRE_FALSE(refused.has_value());
    CY_CHECK(files::WriteFile(tx, w.ws.id, "src/a.txt", "a", std::nullopt, 5, tiny));
    CY_CHECK(files::WriteFile(tx, w.ws.id, "src/a.txt", "ab", std::nullopt, 6, tiny));
    CY_CHECK(files::MakeDirs(tx, w.ws.id, "docs", 7, tiny));
    CY_CHECK(files::MovePath(tx, w.ws.id, "src", "lib", std::nullopt, 8, tiny));
    CY_CHECK(files::DeletePath(tx, w.ws.id, "docs", std::nullopt));
    CY_TRY(const bool moved, st::workspaces::TransitionState(tx, w.ws.id, WorkspaceState::kStopped,
                                                             WorkspaceState::kStarting, 9));
    REQUIRE(moved);
    // A transition that does not happen records nothing.
    CY_TRY(const bool again, st::workspaces::TransitionState(tx, w.ws.id, WorkspaceState::kStopped,
                                                             WorkspaceState::kStarting, 9));
    REQUIRE_FALSE(again);
    return {};
  });
  REQUIRE(r.has_value());

  const std::vector<Event> events = ReadWhenVisible(s, 6);
  REQUIRE(events.size() == 6);
  CHECK(Types(events) == std::vector<std::string>{"file.created", "file.changed", "file.created",
                                                  "file.moved", "file.deleted", "workspace.state"});
  for (const Event& e : events) {
    CHECK(e.workspace_id == w.ws.id);
    CHECK(e.owner_id == w.user.id);
    CHECK(e.at > 1'600'000'000'000);  // the wall clock, not the file's mtime
  }
  CHECK(EventJson(events[0]).starts_with("{\"id\":" + std::to_string(events[0].id) +
                                         ",\"type\":\"file.created\",\"workspace_id\":\"" +
                                         w.ws.id + "\",\"at\":"));
  CHECK(
      EventJson(events[0]).ends_with(",\"path\":\"src/a.txt\",\"kind\":\"file\",\"size\":1,"
                                     "\"version\":1,\"mtime\":5}"));
  CHECK(EventJson(events[1]).find("\"size\":2,\"version\":2") != std::string::npos);
  CHECK(EventJson(events[2]).find("\"path\":\"docs\",\"kind\":\"dir\"") != std::string::npos);
  CHECK(EventJson(events[3]).ends_with(",\"from\":\"src\",\"to\":\"lib\"}"));
  CHECK(EventJson(events[4]).ends_with(",\"path\":\"docs\"}"));
  CHECK(EventJson(events[5]).ends_with(",\"state\":\"starting\"}"));

  // The cursor: after the third event come the other three; the tail is the last one.
  const std::vector<Event> rest = ReadAll(s, st::events::PositionOfEvent(events[2]));
  CHECK(Types(rest) == std::vector<std::string>{"file.moved", "file.deleted", "workspace.state"});
  auto tail = st::Transact(s, TxKind::kRead, [&](Transaction& tx) -> Result<Position> {
    CY_TRY(const auto horizon, st::events::Horizon(tx, Concurrent(s)));
    return st::events::Tail(tx, horizon);
  });
  REQUIRE(tail.has_value());
  CHECK(*tail == st::events::PositionOfEvent(events.back()));
  auto found = st::Transact(
      s, TxKind::kRead, [&](Transaction& tx) { return st::events::PositionOf(tx, events[3].id); });
  REQUIRE(found.has_value());
  CHECK(*found == std::optional<Position>(st::events::PositionOfEvent(events[3])));

  // Events outlive their workspace (no foreign key), and are pruned by age alone.
  REQUIRE(st::Transact(s, TxKind::kWrite,
                       [&](Transaction& tx) { return st::workspaces::Delete(tx, w.ws.id); }));
  CHECK(ReadAll(s).size() == events.size());
  auto pruned = st::Transact(s, TxKind::kWrite, [&](Transaction& tx) {
    return st::events::PruneBefore(tx, events[2].at + 1);
  });
  REQUIRE(pruned.has_value());
  CHECK(*pruned >= 3);
  CHECK(ReadAll(s).size() == events.size() - static_cast<std::size_t>(*pruned));

  // An event about a workspace that does not exist is refused.
  auto orphan = st::Transact(s, TxKind::kWrite, [&](Transaction& tx) {
    return st::events::Append(tx, "file.changed", "no-such-workspace", "{}", 1);
  });
  CHECK(orphan.error().code() == Error::Code::kNotFound);
}

// Two real PostgreSQL transactions that commit in the other order than they took their ids.
TEST_CASE("events: the cursor never skips a transaction that commits late (postgres)",
          "[storage][events]") {
  auto db = testing::PostgresBackend::Create();
  Storage& s = db->storage();
  const World w = MakeWorld(s);
  auto other = testing::OpenOrDie(db->uri());

  const auto append = [&](Transaction& tx, const std::string& path) {
    REQUIRE(st::events::Append(tx, "file.changed", w.ws.id, "{\"path\":\"" + path + "\"}", 1));
  };
  const auto naive_ids_after = [&](int64_t id) {
    std::vector<int64_t> ids;
    auto rows = st::Transact(s, TxKind::kRead, [&](Transaction& tx) {
      return tx.Query("SELECT id FROM events WHERE id > ? ORDER BY id", {Value{id}});
    });
    REQUIRE(rows.has_value());
    for (const Row& r : *rows) ids.push_back(*r.Int(0));
    return ids;
  };

  SECTION("ids in transaction order, commits reversed") {
    auto first = s.Begin(TxKind::kWrite);
    REQUIRE(first.has_value());
    append(**first, "first");  // takes the lower id and the lower transaction id
    auto second = other->Begin(TxKind::kWrite);
    REQUIRE(second.has_value());
    append(**second, "second");
    REQUIRE((*second)->Commit());

    // An id cursor would now read "second" and move past the id "first" is about to commit.
    CHECK(naive_ids_after(0).size() == 1);
    // The horizon holds the reader back while "first" runs.
    CHECK(ReadAll(s).empty());
    // What the horizon fallback tracks meanwhile: "first" runs below a committed transaction
    // ("second"), so its events may yet land below those seen.
    auto xid = (*first)->Query("SELECT pg_current_xact_id()::text::bigint", {});
    REQUIRE(xid.has_value());
    const int64_t first_xact = *xid->front().Int(0);
    auto running =
        st::Transact(s, TxKind::kRead, [](Transaction& tx) { return st::events::Running(tx); });
    REQUIRE(running.has_value());
    CHECK(std::find(running->begin(), running->end(), first_xact) != running->end());
    // What the horizon fallback sees meanwhile: "second" committed above the horizon.
    auto beyond =
        st::Transact(s, TxKind::kRead, [&](Transaction& tx) -> Result<std::vector<Event>> {
          CY_TRY(const auto horizon, st::events::Horizon(tx, true));
          return st::events::ReadBeyond(tx, {}, *horizon, 1000);
        });
    REQUIRE(beyond.has_value());
    REQUIRE(beyond->size() == 1);
    CHECK((*beyond)[0].data == "{\"path\":\"second\"}");

    REQUIRE((*first)->Commit());
    const std::vector<Event> events = ReadWhenVisible(s, 2);
    REQUIRE(events.size() == 2);
    CHECK(events[0].data == "{\"path\":\"first\"}");
    CHECK(events[1].data == "{\"path\":\"second\"}");
  }

  SECTION("ids against transaction order, the older transaction commits last") {
    // "late" gets its transaction id first (its workspace lock), but its event id last.
    auto late = s.Begin(TxKind::kWrite);
    REQUIRE(late.has_value());
    REQUIRE(st::workspaces::Lock(**late, w.ws.id));
    auto early = other->Begin(TxKind::kWrite);
    REQUIRE(early.has_value());
    REQUIRE((*early)->Exec("SELECT pg_current_xact_id()", {}));
    append(**early, "early");  // the lower event id
    append(**late, "late");    // the higher event id, the lower transaction id
    REQUIRE((*late)->Commit());

    // "late" (higher id, lower transaction) is readable now; "early" is not yet.
    const std::vector<Event> first_read = ReadWhenVisible(s, 1);
    REQUIRE(first_read.size() == 1);
    CHECK(first_read[0].data == "{\"path\":\"late\"}");
    const Position cursor = st::events::PositionOfEvent(first_read[0]);
    auto xid = (*early)->Query("SELECT pg_current_xact_id()::text::bigint", {});
    REQUIRE(xid.has_value());
    const int64_t early_xact = *xid->front().Int(0);

    REQUIRE((*early)->Commit());
    // Once it committed, the pending transaction's events are read by its id.
    auto of_early = st::Transact(s, TxKind::kRead, [&](Transaction& tx) {
      return st::events::ReadOf(tx, {early_xact, cursor.xact + 1000}, Position{}, 0);
    });
    REQUIRE(of_early.has_value());
    REQUIRE(of_early->size() == 1);
    CHECK((*of_early)[0].data == "{\"path\":\"early\"}");
    // The cursor stands after "late", yet "early", with a lower id, still comes.
    const std::vector<Event> second_read = ReadWhenVisible(s, 1, cursor);
    REQUIRE(second_read.size() == 1);
    CHECK(second_read[0].data == "{\"path\":\"early\"}");
    CHECK(second_read[0].id < first_read[0].id);
  }
}

TEMPLATE_TEST_CASE("events: stall ranges say which resumes cannot be exact, and are pruned",
                   "[storage][events]", CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  Storage& s = db->storage();
  const auto in_stall = [&](int64_t xact) {
    auto r = st::Transact(s, TxKind::kRead,
                          [&](Transaction& tx) { return st::events::InStall(tx, xact); });
    REQUIRE(r.has_value());
    return *r;
  };
  CHECK_FALSE(in_stall(100));
  REQUIRE(st::Transact(s, TxKind::kWrite, [](Transaction& tx) {
    return st::events::RecordStall(tx, 100, 120, /*at=*/1000);
  }));
  REQUIRE(st::Transact(s, TxKind::kWrite, [](Transaction& tx) {
    return st::events::RecordStall(tx, 200, 200, /*at=*/5000);
  }));
  CHECK_FALSE(in_stall(99));
  CHECK(in_stall(100));
  CHECK(in_stall(120));
  CHECK_FALSE(in_stall(121));
  CHECK(in_stall(200));
  // Pruned with the events, by when they were recorded.
  REQUIRE(st::Transact(s, TxKind::kWrite,
                       [](Transaction& tx) { return st::events::PruneBefore(tx, 2000); }));
  CHECK_FALSE(in_stall(110));
  CHECK(in_stall(200));
}

}  // namespace
}  // namespace codeyard
