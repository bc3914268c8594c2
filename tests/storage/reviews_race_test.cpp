// The review claim race across processes, on both backends: two processes of four threads
// each claim the same reviews at once; each review ends with exactly one claim, by one of
// them, and every loser got a conflict (the helper fails on any other error).
#include <catch2/catch.hpp>

#include <set>

#include "codeyard/id.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/reviews.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "core/store/workspaces.hpp"
#include "storage/backend_fixture.hpp"
#include "storage/stress_helper_process.hpp"

namespace codeyard {
namespace {

std::string AddUser(Storage& s, const std::string& name, int level) {
  User u;
  u.id = NewUuid();
  u.username = name;
  u.password_hash = "h";
  u.reviewer_level = level;
  REQUIRE(store::Transact(s, TxKind::kWrite,
                          [&](Transaction& tx) { return store::users::Insert(tx, u); }));
  return u.id;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

TEMPLATE_TEST_CASE("reviews: two processes claiming the same reviews, exactly one wins each",
                   "[storage][reviews][concurrency]", CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  Options options;
  options.storage = db->shared();
  auto platform = Platform::Open(options);
  REQUIRE(platform);
  Storage& s = db->storage();
  const std::string author = AddUser(s, "author", 0);
  Workspace w;
  w.id = NewUuid();
  w.owner_id = author;
  w.name = "w";
  REQUIRE(store::Transact(s, TxKind::kWrite,
                          [&](Transaction& tx) { return store::workspaces::Insert(tx, w); }));
  Reviews reviews(*platform);
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    auto r =
        reviews.Create(author, {w.id, "r" + std::to_string(i), "", ReviewPriority::kNormal, 1});
    REQUIRE(r);
    ids.push_back(r->id);
  }
  std::vector<std::string> first;
  std::vector<std::string> second;
  for (int i = 0; i < 4; ++i) {
    first.push_back(AddUser(s, "a" + std::to_string(i), 2));
    second.push_back(AddUser(s, "b" + std::to_string(i), 2));
  }
  const pid_t p1 = testing::SpawnStressHelper({"claim", db->uri(), Join(first), Join(ids)});
  const pid_t p2 = testing::SpawnStressHelper({"claim", db->uri(), Join(second), Join(ids)});
  CHECK(testing::WaitExit(p1) == 0);
  CHECK(testing::WaitExit(p2) == 0);

  std::set<std::string> racers(first.begin(), first.end());
  racers.insert(second.begin(), second.end());
  for (const std::string& id : ids) {
    auto review = reviews.Get(author, id);
    REQUIRE(review);
    CHECK(review->status == ReviewStatus::kInReview);
    REQUIRE(review->reviewer_id);
    CHECK(racers.contains(*review->reviewer_id));
    auto history = reviews.History(author, id);
    REQUIRE(history);
    int claims = 0;
    for (const auto& h : *history) claims += h.action == "claimed" ? 1 : 0;
    CHECK(claims == 1);
    CHECK(history->back().actor_id == *review->reviewer_id);
  }
}

}  // namespace
}  // namespace codeyard
