// A world for the reviews tests: a Platform (in a shared_ptr) over a fresh database of one
// backend with a ManualClock, the Files and Reviews services, users with reviewer levels
// and an admin, and the author's workspace with a few files. Header-only.
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "codeyard/files.hpp"
#include "codeyard/id.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/reviews.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "core/store/workspaces.hpp"
#include "services/must.hpp"
#include "storage/backend_fixture.hpp"

namespace codeyard::testing {

class ReviewWorld {
 public:
  explicit ReviewWorld(std::unique_ptr<TestDatabase> db, ReviewsOptions options = {})
      : db_(std::move(db)), clock_(std::make_shared<ManualClock>()) {
    Options o;
    o.storage = db_->shared();
    o.clock = clock_;
    auto platform = Platform::Open(o);
    if (!platform) FAIL("Platform::Open: " << platform.error().ToString());
    platform_ = std::shared_ptr<Platform>(std::move(*platform));
    files_ = std::make_unique<Files>(platform_);
    reviews_ = std::make_unique<Reviews>(platform_, options);
    author = AddUser("ada", 0);
    r1 = AddUser("rob", 1);
    r2 = AddUser("rae", 2);
    r4 = AddUser("ria", 4);
    outsider = AddUser("olf", 0);
    admin = AddUser("adm", 0, Role::kAdmin);
    ws = AddWorkspace(author, "proj");
    Must(files_->Write(author, ws, "main.py", "a\nb\nc\nd\ne\n"));
    Must(files_->Write(author, ws, "lib/util.py", "x = 1\n"));
  }

  std::string AddUser(const std::string& name, int level, Role role = Role::kUser) {
    User user;
    user.id = NewUuid();
    user.username = name;
    user.password_hash = "$argon2id$test-only";
    user.reviewer_level = level;
    user.role = role;
    Commit([&](Transaction& tx) { return store::users::Insert(tx, user); });
    return user.id;
  }

  std::string AddWorkspace(const std::string& owner, const std::string& name) {
    Workspace w;
    w.id = NewUuid();
    w.owner_id = owner;
    w.name = name;
    Commit([&](Transaction& tx) { return store::workspaces::Insert(tx, w); });
    return w.id;
  }

  Review Submit(int level = 1, ReviewPriority priority = ReviewPriority::kNormal,
                const std::string& title = "please review") {
    return Must(reviews_->Create(author, {ws, title, "desc", priority, level}));
  }

  template <class F>
  void Commit(F&& work) {
    auto done = store::Transact(storage(), TxKind::kWrite, std::forward<F>(work));
    if (!done) FAIL(done.error().ToString());
  }

  [[nodiscard]] Storage& storage() const { return platform_->storage(); }
  [[nodiscard]] Files& files() const { return *files_; }
  [[nodiscard]] Reviews& reviews() const { return *reviews_; }
  [[nodiscard]] ManualClock& clock() const { return *clock_; }
  [[nodiscard]] const std::shared_ptr<Platform>& platform() const { return platform_; }
  [[nodiscard]] const TestDatabase& db() const { return *db_; }

  std::string author, r1, r2, r4, outsider, admin, ws;

 private:
  std::unique_ptr<TestDatabase> db_;
  std::shared_ptr<ManualClock> clock_;
  std::shared_ptr<Platform> platform_;
  std::unique_ptr<Files> files_;
  std::unique_ptr<Reviews> reviews_;
};

// CHECKs that `r` failed with `code` and its message holds `part`.
template <class T>
void FailsWith(const Result<T>& r, Error::Code code, const std::string& part = "") {
  REQUIRE_FALSE(r.has_value());
  INFO(r.error().ToString());
  CHECK(r.error().code() == code);
  if (!part.empty()) CHECK(r.error().message().find(part) != std::string::npos);
}

}  // namespace codeyard::testing
