// Issue 13 items 1, 9 and 12 in the library: the storage-backed RateLimiter holds its budget
// under concurrent callers on both backends; workspace creations and execs per user are
// rate-limited; concurrent execs per user and per workspace, and one-shot runs per user and
// per server, are capped and refused at once with the limit's key.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "codeyard/backend/registry.hpp"
#include "codeyard/id.hpp"
#include "codeyard/limits.hpp"
#include "codeyard/run.hpp"
#include "services/workspace_world.hpp"
#include "storage/backend_fixture.hpp"

namespace codeyard {
namespace {

using Code = Error::Code;
using std::chrono::seconds;
using testing::WorkspaceWorld;

template <class T>
T Must(Result<T> r) {
  if (!r) FAIL(r.error().ToString());
  return std::move(*r);
}
template <class T>
Error Failure(const Result<T>& r) {
  REQUIRE_FALSE(r.has_value());
  return r.error();
}

TEMPLATE_TEST_CASE("limits: a rate holds its budget under concurrent takers and across limiters",
                   "[limits][security]", CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  ManualClock clock;
  const RateLimit limit{"test.per_minute", 20, seconds(60)};
  // Two limiters on one database: two server replicas.
  const RateLimiter one(db->storage(), clock);
  const RateLimiter two(db->storage(), clock);
  std::atomic<int> allowed = 0;
  std::atomic<int> refused = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 8; ++i) {
        auto r = (t % 2 == 0 ? one : two).Take(limit, "ada");
        if (r) {
          ++allowed;
        } else if (r.error().code() == Code::kResourceExhausted) {
          CHECK(r.error().limit() == "test.per_minute");
          CHECK(r.error().retry_after_s() == 60);
          ++refused;
        } else {
          FAIL_CHECK(r.error().ToString());
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(allowed == 20);
  CHECK(refused == 28);
  CHECK(one.Take(limit, "bob"));  // per subject
  clock.Advance(seconds(59));
  CHECK(Failure(one.Take(limit, "ada")).retry_after_s() == 1);
  clock.Advance(seconds(1));
  CHECK(two.Take(limit, "ada"));  // a new window
  CHECK(one.Take({"test.off", 0, seconds(1)}, "ada"));
  clock.Advance(seconds(3600));
  CHECK(Must(one.DeleteExpired()) == 2);
}

TEST_CASE("limits: concurrency slots are all or nothing and released on destruction", "[limits]") {
  ConcurrencyLimiter limiter;
  const std::array<ConcurrencyLimiter::Cap, 2> caps = {
      ConcurrencyLimiter::Cap{"k.user", "user:a", 2}, ConcurrencyLimiter::Cap{"k.ws", "ws:1", 1}};
  {
    auto first = Must(limiter.Acquire(caps));
    const auto second = limiter.Acquire(caps);
    REQUIRE_FALSE(second);
    CHECK(second.error().code() == Code::kResourceExhausted);
    CHECK(second.error().limit() == "k.ws");
    CHECK(second.error().retry_after_s() == 1);
    CHECK(limiter.InFlight("user:a") == 1);  // the refused call took nothing
    auto moved = std::move(first);
    CHECK(limiter.InFlight("ws:1") == 1);
  }
  CHECK(limiter.InFlight("user:a") == 0);
  CHECK(limiter.InFlight("ws:1") == 0);
}

WorkspaceOptions SmallLimits() {
  WorkspaceOptions o;
  o.limits.workspace_creates_per_user = {"workspace.creates_per_minute", 10, seconds(60)};
  o.limits.execs_per_user = {"exec.per_minute", 100, seconds(60)};
  o.limits.exec_max_concurrent_per_user = 3;
  o.limits.exec_max_concurrent_per_workspace = 2;
  return o;
}

Error Refusal(const Result<WorkspaceExec>& r) {
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == Code::kResourceExhausted);
  return r.error();
}

TEMPLATE_TEST_CASE("limits: workspace creations and execs per user", "[limits][security]",
                   CODEYARD_STORAGE_BACKENDS) {
  WorkspaceOptions options = SmallLimits();
  options.limits.execs_per_user.max = 2;
  options.limits.workspace_creates_per_user.max = 2;
  WorkspaceWorld w(TestType::Create(), options);
  const Workspace a = Must(w.workspaces().Create(w.alice, "a"));
  Must(w.workspaces().Create(w.alice, "b"));
  const auto third = w.workspaces().Create(w.alice, "c");
  REQUIRE_FALSE(third);
  CHECK(third.error().code() == Code::kResourceExhausted);
  CHECK(third.error().limit() == "workspace.creates_per_minute");
  CHECK(third.error().retry_after_s() == 60);
  CHECK(w.workspaces().Create(w.bob, "b1"));
  CHECK(Must(w.workspaces().List(w.alice)).size() == 2);

  ExecSpec spec;
  spec.argv = {"true"};
  CHECK(w.workspaces().Exec(w.alice, a.id, spec));
  CHECK(w.workspaces().Exec(w.alice, a.id, spec));
  const Error e = Refusal(w.workspaces().Exec(w.alice, a.id, spec));
  CHECK(e.limit() == "exec.per_minute");
  CHECK(e.retry_after_s() == 60);
  w.clock().Advance(seconds(60));
  CHECK(w.workspaces().Exec(w.alice, a.id, spec));
  CHECK(w.workspaces().Create(w.alice, "c"));
}

// Polls `done` until it holds or 20 s pass.
bool WaitFor(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEMPLATE_TEST_CASE("limits: concurrent execs per workspace and per user are refused at once",
                   "[limits][security]", CODEYARD_STORAGE_BACKENDS) {
  WorkspaceWorld w(TestType::Create(), SmallLimits());
  const Workspace a = Must(w.workspaces().Create(w.alice, "a"));
  const Workspace b = Must(w.workspaces().Create(w.alice, "b"));
  const Workspace bobs = Must(w.workspaces().Create(w.bob, "b"));
  Must(w.workspaces().Open(w.alice, a.id));
  Must(w.workspaces().Open(w.alice, b.id));
  // Each held exec marks that it runs, then waits for the test's go.
  auto hold = [&](const Workspace& ws, int n) {
    ExecSpec spec;
    spec.argv = {"sh", "-c",
                 "touch /tmp/started." + std::to_string(n) +
                     "; while [ ! -e /tmp/go ]; do sleep 0.05; done"};
    spec.wall_time_limit = seconds(60);
    return std::thread([&w, &ws, spec] { CHECK(w.workspaces().Exec(w.alice, ws.id, spec)); });
  };
  auto started = [&](const Workspace& ws, int n) {
    return WaitFor([&] {
      return w.PodSh(w.alice, ws.id, "ls /tmp").find("started." + std::to_string(n)) !=
             std::string::npos;
    });
  };
  std::vector<std::thread> held;
  held.push_back(hold(a, 1));
  held.push_back(hold(a, 2));
  REQUIRE(started(a, 1));
  REQUIRE(started(a, 2));
  ExecSpec quick;
  quick.argv = {"true"};
  CHECK(Refusal(w.workspaces().Exec(w.alice, a.id, quick)).limit() ==
        "exec.max_concurrent_per_workspace");
  held.push_back(hold(b, 3));
  REQUIRE(started(b, 3));
  const Workspace c = Must(w.workspaces().Create(w.alice, "c"));
  CHECK(Refusal(w.workspaces().Exec(w.alice, c.id, quick)).limit() ==
        "exec.max_concurrent_per_user");
  CHECK(w.workspaces().Exec(w.bob, bobs.id, quick));  // others are not held up
  w.PodSh(w.alice, a.id, "touch /tmp/go");
  w.PodSh(w.alice, b.id, "touch /tmp/go");
  for (auto& t : held) t.join();
  CHECK(w.workspaces().Exec(w.alice, a.id, quick));
}

TEST_CASE("limits: one-shot runs per user and per server", "[limits][security]") {
  const auto state_dir =
      std::filesystem::temp_directory_path() / ("cy-run-" + NewUuid().substr(0, 8));
  auto executor = Must(BackendRegistry::WithBuiltins().OpenExecutor(
      "local:?state_dir=" + state_dir.string(), BackendContext{}));
  RunnerOptions options;
  options.max_concurrent = 2;
  options.max_concurrent_per_user = 1;
  auto runner = Must(Runner::Create(executor, options));
  auto request = [](const std::string& user, const std::string& code) {
    RunRequest r;
    FileData main;
    main.path = "main.py";
    main.content = code;
    r.files = {main};
    r.user_id = user;
    r.limits.wall_time = seconds(3);
    return r;
  };
  // A run that lasts until its wall time is up.
  const std::string slow = "import time\ntime.sleep(60)\n";
  std::vector<std::thread> held;
  for (const char* user : {"u1", "u2"}) {
    held.emplace_back([&, user] {
      auto r = runner->Run(request(user, slow));
      if (!r) FAIL_CHECK(r.error().ToString());
    });
  }
  REQUIRE(WaitFor([&] { return runner->runs_in_flight() == 2; }));
  auto refused = [&](const std::string& user) {
    auto r = runner->Run(request(user, "pass\n"));
    REQUIRE_FALSE(r);
    CHECK(r.error().retry_after_s() == 1);
    return r.error();
  };
  const Error mine = refused("u1");
  CHECK(mine.code() == Code::kResourceExhausted);
  CHECK(mine.limit() == "RunnerOptions::max_concurrent_per_user");
  const Error full = refused("u3");
  CHECK(full.code() == Code::kUnavailable);
  CHECK(full.limit() == "RunnerOptions::max_concurrent");
  for (auto& t : held) t.join();
  CHECK(runner->Run(request("u1", "pass\n")));
  runner.reset();
  executor.reset();
  std::error_code ec;
  std::filesystem::remove_all(state_dir, ec);
}

}  // namespace
}  // namespace codeyard
