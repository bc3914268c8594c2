// org20 (issue 20): a login that ends on one replica closes its terminals on every replica at
// once, not at the next terminal.reauth_interval_s re-check. Two Services over one database
// and one local executor are two replicas; the re-check interval is an hour, so only the
// kEventLoginsEnded event, read by the other replica's Events poller, can close the terminal
// within the test's deadline. On both backends.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "codeyard/services.hpp"
#include "services/must.hpp"
#include "services/terminal_viewer.hpp"
#include "services/workspace_world.hpp"
#include "storage/backend_fixture.hpp"

namespace codeyard {
namespace {

using testing::Must;
using namespace std::chrono_literals;

constexpr std::string_view kPassword = "correct horse battery";

struct TwoReplicas {
  std::unique_ptr<testing::TestDatabase> db;
  std::filesystem::path state_dir;
  std::shared_ptr<Executor> executor;
  std::shared_ptr<Services> a;
  std::shared_ptr<Services> b;

  ~TwoReplicas() {
    if (b) b->terminals().Shutdown();
    a.reset();
    b.reset();
    for (const auto& info : executor->ListPods({}).value_or(std::vector<PodInfo>{})) {
      (void)executor->DeletePod(info.id);
    }
    executor.reset();
    std::error_code ec;
    std::filesystem::remove_all(state_dir, ec);
  }
};

std::shared_ptr<Services> OpenReplica(TwoReplicas& w, const std::string& id) {
  Options options;
  options.storage = w.db->shared();
  options.executor = w.executor;
  ServiceOptions so;
  so.accounts.secret = std::string(40, 's');
  so.accounts.password_cost = kPasswordCostMinimum;
  so.workspaces.replica_id = id;
  so.jobs.workers = 1;
  so.events.poll_interval = 50ms;
  // An hour: only the event can close a terminal within the test.
  so.terminals.reauth_interval = std::chrono::hours(1);
  so.run_sessions.reauth_interval = std::chrono::hours(1);
  return Must(Services::Open(options, so));
}

template <class Backend>
void ClosesAtOnce(bool force_logout) {
  TwoReplicas w;
  w.db = Backend::Create();
  w.executor = testing::OpenLocalExecutor("cy-logins-", &w.state_dir);
  w.a = OpenReplica(w, "a");
  w.b = OpenReplica(w, "b");
  const User root =
      Must(w.a->accounts().Register({"root", std::string(kPassword), "", Role::kAdmin}));
  const User ada = Must(w.a->accounts().Register({"ada", std::string(kPassword), "", {}}));
  const Session session = Must(w.b->accounts().Login("ada", kPassword));
  const Workspace ws = Must(w.b->workspaces().Create(ada.id, "shell"));

  terminal::Hello hello;
  hello.token = session.access_token;
  auto refused = w.b->terminals().Attach(1, ws.id, hello);
  if (refused) FAIL("attach refused: " << refused->code << " " << refused->reason);
  testing::TerminalViewer viewer{w.b->terminals(), 1};
  viewer.Running();

  if (force_logout) {
    CHECK(Must(w.a->admin().ForceLogout(root.id, ada.id)) == 1);
  } else {
    Must(w.a->admin().SetDisabled(root.id, ada.id, true));
  }
  const auto start = std::chrono::steady_clock::now();
  CHECK(viewer.WaitClosed() == terminal::kCloseUnauthenticated);
  CHECK(std::chrono::steady_clock::now() - start < testing::kTerminalDeadline);
  CHECK(w.b->terminals().reauth_closed() == 1);
}

TEMPLATE_TEST_CASE("logins ended: disabling a user closes their terminal on another replica",
                   "[services][admin][org20]", CODEYARD_STORAGE_BACKENDS) {
  ClosesAtOnce<TestType>(false);
}

TEMPLATE_TEST_CASE("logins ended: a forced logout closes the terminal on another replica",
                   "[services][admin][org20]", CODEYARD_STORAGE_BACKENDS) {
  ClosesAtOnce<TestType>(true);
}

}  // namespace
}  // namespace codeyard
