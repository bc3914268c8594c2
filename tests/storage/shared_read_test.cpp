// SharedRead: the library's reads inside one scope run in one read transaction (one
// snapshot); outside it, and after a failed read, each read begins its own.
#include <catch2/catch.hpp>

#include "codeyard/id.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "storage/backend_fixture.hpp"

namespace codeyard {
namespace {

// Adds a user through `storage` (its own write transaction, committed).
void AddUser(Storage& storage) {
  const std::string id = NewUuid();
  auto added = store::Transact(storage, TxKind::kWrite, [&](Transaction& tx) {
    return store::users::Insert(
        tx, User{id, "u" + id.substr(0, 8), "", "h", Role::kUser, 0, false, 1, 1, 1});
  });
  REQUIRE(added);
}

// The number of users, read by the library's way of reading (store::Transact, kRead).
int64_t CountUsers(Storage& storage) {
  auto n = store::Transact(storage, TxKind::kRead, [](Transaction& tx) -> Result<int64_t> {
    CY_TRY(Rows rows, tx.Query("SELECT COUNT(*) FROM users", {}));
    return rows.front().Int(0);
  });
  REQUIRE(n);
  return *n;
}

TEMPLATE_TEST_CASE("reads in a SharedRead scope share one snapshot", "[storage][shared_read]",
                   CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  Storage& storage = db->storage();
  auto other = testing::OpenOrDie(db->uri());  // another process's view: its own connections
  AddUser(storage);

  // Without a scope every read begins its own transaction and sees the other's commit.
  const int64_t first = CountUsers(storage);
  AddUser(*other);
  CHECK(CountUsers(storage) == first + 1);

  {
    const SharedRead scope(storage);
    CHECK(SharedRead::Current(storage) == &scope);
    CHECK(SharedRead::Current(*other) == nullptr);
    const int64_t before = CountUsers(storage);
    AddUser(*other);
    CHECK(CountUsers(storage) == before);  // the same transaction: the commit is not seen
    {
      const SharedRead nested(storage);  // does nothing: the outer scope still shares
      CHECK(SharedRead::Current(storage) == &scope);
      CHECK(CountUsers(storage) == before);
    }
    CHECK(SharedRead::Current(storage) == &scope);

    // A read that fails ends the shared transaction; the next one begins a new snapshot.
    auto failed = store::Transact(storage, TxKind::kRead, [](Transaction& tx) -> Result<void> {
      CY_TRY(const User user, store::users::Get(tx, "no-such-user"));
      return {};
    });
    CHECK_FALSE(failed);
    CHECK(CountUsers(storage) == before + 1);

    // Writes never join the scope: a write in it commits on its own and is durable.
    AddUser(storage);
    CHECK(CountUsers(*other) == before + 2);
  }
  CHECK(SharedRead::Current(storage) == nullptr);
  CHECK(CountUsers(storage) == first + 3);
}

}  // namespace
}  // namespace codeyard
