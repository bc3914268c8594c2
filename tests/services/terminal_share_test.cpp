// Shared terminals (issue 15) over the real services on both storage backends: Terminals asks
// the reviews policy (Reviews::AuthorizeTerminalWatch, wired as the service graph wires it)
// who besides the owner may watch. The assigned reviewer of an in_review review is admitted
// read-only, only while the owner shares the terminal; everyone else is refused; turning
// sharing off or deciding the review closes the watcher at the next re-check.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "codeyard/accounts.hpp"
#include "codeyard/backend/registry.hpp"
#include "codeyard/id.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/reviews.hpp"
#include "codeyard/terminals.hpp"
#include "codeyard/workspaces.hpp"
#include "services/must.hpp"
#include "storage/backend_fixture.hpp"

namespace codeyard {
namespace {

using namespace std::chrono_literals;
using testing::Must;

constexpr auto kDeadline = 20s;

struct ShareWorld {
  explicit ShareWorld(std::unique_ptr<testing::TestDatabase> database) : db(std::move(database)) {
    Options o;
    o.storage = db->shared();
    platform = Must(Platform::Open(o));
    state_dir = std::filesystem::temp_directory_path() / ("cy-share-" + NewUuid().substr(0, 8));
    std::shared_ptr<Executor> executor = Must(BackendRegistry::WithBuiltins().OpenExecutor(
        "local:?state_dir=" + state_dir.string(), BackendContext{}));
    AccountsOptions ao;
    ao.secret = std::string(48, 's');
    ao.password_cost = kPasswordCostMinimum;
    accounts = std::make_shared<Accounts>(platform, ao);
    workspaces = std::make_shared<Workspaces>(platform, executor, WorkspaceOptions{});
    reviews = std::make_shared<Reviews>(platform);
    TerminalOptions to;
    to.reauth_interval = 50ms;  // the re-check that closes watchers: soon, for the test
    terminals = std::make_shared<Terminals>(accounts, workspaces, to, nullptr);
    // As libplatform/core/services.cpp wires it.
    terminals->SetWatchPolicy([r = reviews](std::string_view user, std::string_view ws) {
      return r->AuthorizeTerminalWatch(user, ws);
    });
  }
  ~ShareWorld() {
    terminals->Shutdown();
    terminals.reset();
    workspaces.reset();
    std::error_code ec;
    std::filesystem::remove_all(state_dir, ec);
  }

  Session NewUser(const std::string& name, int level = 0, Role role = Role::kUser) {
    const std::string unique = name + NewUuid().substr(0, 6);
    (void)Must(accounts->Register({unique, "correct horse battery", "", role}));
    Session s = Must(accounts->Login(unique, "correct horse battery"));
    if (level > 0) (void)Must(reviews->SetReviewerLevel(s.user.id, s.user.id, level));
    return s;
  }

  std::unique_ptr<testing::TestDatabase> db;
  std::shared_ptr<Platform> platform;
  std::filesystem::path state_dir;
  std::shared_ptr<Accounts> accounts;
  std::shared_ptr<Workspaces> workspaces;
  std::shared_ptr<Reviews> reviews;
  std::shared_ptr<Terminals> terminals;
};

// Plays a connection: pulls what Terminals queued for it, polling with a deadline.
struct Conn {
  Terminals& t;
  uint64_t id;
  std::string output;
  std::vector<std::string> statuses;
  std::optional<terminal::Close> closed;

  void Pull() {
    for (;;) {
      bool more = false;
      TerminalOut out = t.Next(id, &more);
      if (auto* m = std::get_if<std::string>(&out)) {
        if (m->front() == terminal::kOutput) output += m->substr(1);
        if (m->front() == terminal::kStatus) statuses.push_back(m->substr(1));
      } else if (auto* c = std::get_if<terminal::Close>(&out)) {
        closed = *c;
        return;
      } else {
        return;
      }
    }
  }
  template <class F>
  void Until(F done, const std::string& what) {
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (Pull(), !done()) {
      if (std::chrono::steady_clock::now() > deadline) FAIL("terminal: " << what << " not seen");
      if (closed) FAIL("terminal closed " << closed->code << " before " << what);
      std::this_thread::sleep_for(5ms);
    }
  }
  void Wait(const std::string& needle, std::size_t after) {
    Until([&] { return output.find(needle, after) != std::string::npos; }, needle);
  }
  void Running() {
    Until(
        [&] {
          return !statuses.empty() && statuses.back().find("\"running\"") != std::string::npos;
        },
        "running status");
  }
  void Type(const std::string& input) {
    REQUIRE_FALSE(t.Receive(id, terminal::Message(terminal::kInput, input)).has_value());
  }
  void Marker(const std::string& marker) {
    const std::size_t start = output.size();
    Type("echo " + marker + "_$((6*7))\r");
    Wait(marker + "_42", start);
  }
  uint16_t WaitClosed() {
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (Pull(), !closed) {
      if (std::chrono::steady_clock::now() > deadline) FAIL("terminal not closed");
      std::this_thread::sleep_for(5ms);
    }
    return closed->code;
  }
};

// The close of an attach (nullopt: admitted), asking for a writable terminal.
std::optional<terminal::Close> Attach(Terminals& t, uint64_t id, const std::string& ws,
                                      const Session& s) {
  terminal::Hello hello;
  hello.token = s.access_token;
  hello.readonly = false;
  return t.Attach(id, ws, hello);
}

uint16_t Refused(Terminals& t, uint64_t id, const std::string& ws, const Session& s) {
  auto close = Attach(t, id, ws, s);
  REQUIRE(close.has_value());
  return close->code;
}

}  // namespace

TEMPLATE_TEST_CASE("terminal sharing: the assigned reviewer watches read-only while shared",
                   "[terminals][reviews]", CODEYARD_STORAGE_BACKENDS) {
  ShareWorld w(TestType::Create());
  const Session ada = w.NewUser("ada");
  const Session rob = w.NewUser("rob", 1);
  const Session eve = w.NewUser("eve", 4);
  const Session adm = w.NewUser("adm", 0, Role::kAdmin);
  const std::string ws = Must(w.workspaces->Create(ada.user.id, "proj")).id;
  Terminals& t = *w.terminals;

  // A watcher never starts the author's workspace: nothing to watch yet.
  const Review review =
      Must(w.reviews->Create(ada.user.id, {ws, "t", "d", ReviewPriority::kNormal, 1}));
  CHECK_FALSE(Must(w.workspaces->Get(ada.user.id, ws)).terminal_shared);
  CHECK(Must(w.workspaces->SetTerminalShared(ada.user.id, ws, true)).terminal_shared);
  CHECK(Must(w.workspaces->Get(ada.user.id, ws)).terminal_shared);
  // Only the owner shares.
  CHECK(w.workspaces->SetTerminalShared(rob.user.id, ws, false).error().code() ==
        Error::Code::kNotFound);

  REQUIRE_FALSE(Attach(t, 1, ws, ada).has_value());
  Conn mine{t, 1, {}, {}, {}};
  mine.Running();
  mine.Marker("author_first");

  // Pending (nobody claimed): nothing granted, even shared.
  CHECK(Refused(t, 2, ws, rob) == terminal::kCloseNotFound);
  Must(w.reviews->Claim(rob.user.id, review.id));
  // Not shared: nothing granted.
  Must(w.workspaces->SetTerminalShared(ada.user.id, ws, false));
  CHECK(Refused(t, 3, ws, rob) == terminal::kCloseNotFound);
  Must(w.workspaces->SetTerminalShared(ada.user.id, ws, true));

  // Shared and in_review: the reviewer watches, read-only though it asked to write.
  REQUIRE_FALSE(Attach(t, 4, ws, rob).has_value());
  Conn watcher{t, 4, {}, {}, {}};
  watcher.Running();
  CHECK(watcher.statuses.back().find("\"readonly\":true") != std::string::npos);
  CHECK(watcher.output.find("author_first_42") != std::string::npos);  // the scrollback
  const std::size_t v0 = watcher.output.size();
  mine.Marker("author_second");
  watcher.Wait("author_second_42", v0);
  watcher.Type("echo reviewer_typed_$((2+3))\r");
  REQUIRE_FALSE(t.Receive(4, terminal::Message(terminal::kResize, R"({"cols":20,"rows":5})")));
  mine.Marker("after_reviewer");
  CHECK(mine.output.find("reviewer_typed") == std::string::npos);
  // An admin watches too; an eligible reviewer who is not assigned does not.
  CHECK_FALSE(Attach(t, 5, ws, adm).has_value());
  CHECK(Refused(t, 6, ws, eve) == terminal::kCloseNotFound);
  t.Detach(5);

  // Unsharing closes the watcher at the next re-check; the author's shell goes on.
  Must(w.workspaces->SetTerminalShared(ada.user.id, ws, false));
  CHECK(watcher.WaitClosed() == terminal::kCloseNotShared);
  t.Detach(4);
  mine.Marker("author_still");

  // The review leaving in_review (decided) closes a watcher too.
  Must(w.workspaces->SetTerminalShared(ada.user.id, ws, true));
  REQUIRE_FALSE(Attach(t, 7, ws, rob).has_value());
  Conn again{t, 7, {}, {}, {}};
  again.Running();
  Must(w.reviews->Decide(rob.user.id, review.id, ReviewDecision::kApprove, ""));
  CHECK(again.WaitClosed() == terminal::kCloseNotShared);
  t.Detach(7);
  CHECK(Refused(t, 8, ws, rob) == terminal::kCloseNotFound);
  t.Detach(1);
}

TEMPLATE_TEST_CASE("terminal sharing: a watcher gets a clear close when no shell runs",
                   "[terminals][reviews]", CODEYARD_STORAGE_BACKENDS) {
  ShareWorld w(TestType::Create());
  const Session ada = w.NewUser("ada");
  const Session rob = w.NewUser("rob", 1);
  const std::string ws = Must(w.workspaces->Create(ada.user.id, "proj")).id;
  const Review review =
      Must(w.reviews->Create(ada.user.id, {ws, "t", "d", ReviewPriority::kNormal, 1}));
  Must(w.reviews->Claim(rob.user.id, review.id));
  Must(w.workspaces->SetTerminalShared(ada.user.id, ws, true));
  CHECK(Refused(*w.terminals, 1, ws, rob) == terminal::kCloseNotShared);
  CHECK(Must(w.workspaces->Get(ada.user.id, ws)).state == WorkspaceState::kStopped);
  CHECK(w.terminals->viewers() == 0);
}

}  // namespace codeyard
