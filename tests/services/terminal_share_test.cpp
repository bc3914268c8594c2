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
#include "services/terminal_viewer.hpp"
#include "storage/backend_fixture.hpp"

namespace codeyard {
namespace {

using namespace std::chrono_literals;
using testing::Must;

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
    reviews = std::make_shared<Reviews>(platform);
    WorkspaceOptions wo;
    wo.replica_id = "a";
    workspaces = std::make_shared<Workspaces>(platform, executor, wo);
    terminals = TerminalsOver(workspaces);
  }
  ~ShareWorld() {
    for (auto* t : {&terminals, &terminals_b}) {
      if (*t) (*t)->Shutdown();
      t->reset();
    }
    workspaces_b.reset();
    workspaces.reset();
    std::error_code ec;
    std::filesystem::remove_all(state_dir, ec);
  }

  std::shared_ptr<Terminals> TerminalsOver(std::shared_ptr<Workspaces> over) {
    TerminalOptions to;
    to.reauth_interval = 50ms;  // the re-check that closes watchers: soon, for the test
    auto t = std::make_shared<Terminals>(accounts, std::move(over), to, nullptr);
    // As libplatform/core/services.cpp wires it.
    t->SetWatchPolicy([r = reviews](std::string_view user, std::string_view ws) {
      return r->AuthorizeTerminalWatch(user, ws);
    });
    return t;
  }

  // A second server replica: its own Workspaces (replica "b") and executor object over the
  // same database and executor state, and its own Terminals; the first one is replica "a".
  void AddReplicaB() {
    std::shared_ptr<Executor> executor_b = Must(BackendRegistry::WithBuiltins().OpenExecutor(
        "local:?state_dir=" + state_dir.string(), BackendContext{}));
    WorkspaceOptions wo;
    wo.replica_id = "b";
    workspaces_b = std::make_shared<Workspaces>(platform, executor_b, wo);
    terminals_b = TerminalsOver(workspaces_b);
  }

  Session NewUser(const std::string& name, int level = 0, Role role = Role::kUser) {
    const std::string unique = name + NewUuid().substr(0, 6);
    (void)Must(accounts->Register({unique, "correct horse battery", "", role}));
    Session s = Must(accounts->Login(unique, "correct horse battery"));
    if (level > 0) (void)Must(reviews->SetReviewerLevel(s.user.id, s.user.id, level));
    return s;
  }

  // A workspace of `author` whose review `reviewer` claimed (in_review), its terminal shared.
  std::string SharedUnderReview(const Session& author, const Session& reviewer) {
    const std::string ws = Must(workspaces->Create(author.user.id, "proj")).id;
    const Review review =
        Must(reviews->Create(author.user.id, {ws, "t", "d", ReviewPriority::kNormal, 1}));
    Must(reviews->Claim(reviewer.user.id, review.id));
    Must(workspaces->SetTerminalShared(author.user.id, ws, true));
    return ws;
  }

  std::unique_ptr<testing::TestDatabase> db;
  std::shared_ptr<Platform> platform;
  std::filesystem::path state_dir;
  std::shared_ptr<Accounts> accounts;
  std::shared_ptr<Workspaces> workspaces;
  std::shared_ptr<Reviews> reviews;
  std::shared_ptr<Terminals> terminals;
  std::shared_ptr<Workspaces> workspaces_b;
  std::shared_ptr<Terminals> terminals_b;
};

using Conn = testing::TerminalViewer;

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
  Conn mine{t, 1};
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
  Conn watcher{t, 4};
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
  Conn again{t, 7};
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
  const std::string ws = w.SharedUnderReview(ada, rob);
  CHECK(Refused(*w.terminals, 1, ws, rob) == terminal::kCloseNotShared);
  CHECK(Must(w.workspaces->Get(ada.user.id, ws)).state == WorkspaceState::kStopped);
  CHECK(w.terminals->viewers() == 0);
}

// Issue 15's replica gap: the author's shell is served by replica "a" (its lease, its
// attachment); the reviewer's connection lands on replica "b", which holds nothing of the
// workspace. B attaches read-only to the shell session in the pod (Pod::JoinSession) without
// opening the workspace or touching its lease; the re-check there closes the watcher once
// sharing is off, whichever replica turned it off; and a pod with no shell, or a stopped
// workspace, gets the clear 4003 with nothing started.
TEMPLATE_TEST_CASE("terminal sharing: the reviewer watches from another replica",
                   "[terminals][reviews][replicas]", CODEYARD_STORAGE_BACKENDS) {
  ShareWorld w(TestType::Create());
  w.AddReplicaB();
  const Session ada = w.NewUser("ada");
  const Session rob = w.NewUser("rob", 1);
  const std::string ws = w.SharedUnderReview(ada, rob);
  Terminals& a = *w.terminals;
  Terminals& b = *w.terminals_b;

  // Stopped: B refuses the watcher and starts nothing.
  CHECK(Refused(b, 1, ws, rob) == terminal::kCloseNotShared);
  CHECK(Must(w.workspaces->Get(ada.user.id, ws)).state == WorkspaceState::kStopped);

  REQUIRE_FALSE(Attach(a, 2, ws, ada).has_value());
  Conn mine{a, 2};
  mine.Running();
  mine.Marker("on_a_first");

  REQUIRE_FALSE(Attach(b, 3, ws, rob).has_value());
  Conn watcher{b, 3};
  watcher.Running();
  CHECK(watcher.statuses.back().find("\"readonly\":true") != std::string::npos);
  watcher.Wait("on_a_first_42");  // the pod's scrollback
  const std::size_t w0 = watcher.output.size();
  mine.Marker("on_a_live");
  watcher.Wait("on_a_live_42", w0);
  watcher.Type("echo typed_on_b_$((7+1))\r");
  REQUIRE_FALSE(b.Receive(3, terminal::Message(terminal::kResize, R"({"cols":11,"rows":4})")));
  mine.Marker("after_b");
  CHECK(mine.output.find("typed_on_b") == std::string::npos);
  CHECK(watcher.output.find("typed_on_b_8") == std::string::npos);
  // B watched without taking, renewing or holding the lease: A still serves the workspace.
  CHECK(w.workspaces_b->Stats().running == 0);
  CHECK(w.workspaces->Stats().running == 1);
  CHECK(b.shells() == 1);

  // Unsharing (through A's services) closes B's watcher at B's next re-check.
  Must(w.workspaces->SetTerminalShared(ada.user.id, ws, false));
  CHECK(watcher.WaitClosed() == terminal::kCloseNotShared);
  b.Detach(3);
  CHECK(b.shells() == 0);  // B let go of its attachment with its last viewer
  mine.Marker("a_goes_on");

  // The author leaves: the shell stays in the pod, and a watcher on B still finds it.
  Must(w.workspaces->SetTerminalShared(ada.user.id, ws, true));
  a.Detach(2);
  REQUIRE_FALSE(Attach(b, 4, ws, rob).has_value());
  Conn later{b, 4};
  later.Running();
  later.Wait("a_goes_on_42");
  b.Detach(4);

  // The shell exits: nothing to watch, and the watcher does not start one (the author's
  // next attach does).
  REQUIRE_FALSE(Attach(a, 5, ws, ada).has_value());
  Conn back{a, 5};
  back.Running();
  CHECK_FALSE(back.Started());
  back.Type("exit\r");
  CHECK(back.WaitClosed() == terminal::kCloseNormal);
  a.Detach(5);
  CHECK(Refused(b, 6, ws, rob) == terminal::kCloseNotShared);
  REQUIRE_FALSE(Attach(a, 7, ws, ada).has_value());
  Conn fresh{a, 7};
  fresh.Running();
  CHECK(fresh.Started());

  // Stopping the workspace ends what B watches; after it, B refuses with 4003.
  REQUIRE_FALSE(Attach(b, 8, ws, rob).has_value());
  Conn last{b, 8};
  last.Running();
  a.Detach(7);
  Must(w.workspaces->Stop(ada.user.id, ws));
  // B may see the shell's stream end before the pod goes away: the pod going away wins (1001).
  CHECK(last.WaitClosed() == terminal::kCloseGoingAway);
  b.Detach(8);
  CHECK(Refused(b, 9, ws, rob) == terminal::kCloseNotShared);
  CHECK(Must(w.workspaces->Get(ada.user.id, ws)).state == WorkspaceState::kStopped);
  CHECK(b.viewers() == 0);
}

}  // namespace codeyard
