// Workspaces: CRUD, owner checks, the pod lifecycle (lazy start, idle stop, restart from
// storage, a pod killed from outside), limits, and concurrent edits; on both backends.
#include <signal.h>

#include <catch2/catch.hpp>
#include <thread>

#include "executor/local/pod_record.hpp"
#include "services/workspace_world.hpp"

using namespace codeyard;
using namespace codeyard::testing;
using namespace std::chrono_literals;

TEMPLATE_TEST_CASE("workspaces: create, list, rename, delete, owner checks", "[workspaces]",
                   CODEYARD_STORAGE_BACKENDS) {
  WorkspaceWorld w(TestType::Create());
  auto& spaces = w.workspaces();
  auto first = spaces.Create(w.alice, "First");
  auto second = spaces.Create(w.alice, "Second");
  REQUIRE(first.has_value());
  REQUIRE(second.has_value());
  CHECK(first->state == WorkspaceState::kStopped);
  CHECK(spaces.List(w.alice)->size() == 2);
  CHECK(spaces.List(w.bob)->empty());

  CHECK(spaces.Create(w.alice, "").error().code() == Error::Code::kInvalidArgument);
  CHECK(spaces.Create(w.alice, std::string(101, 'x')).error().code() ==
        Error::Code::kInvalidArgument);
  CHECK(spaces.Create(w.alice, "tab\there").error().code() == Error::Code::kInvalidArgument);
  CHECK(spaces.Create("no-such-user", "x").error().code() == Error::Code::kNotFound);

  auto renamed = spaces.Rename(w.alice, first->id, "Renamed", first->version);
  REQUIRE(renamed.has_value());
  CHECK(renamed->name == "Renamed");
  CHECK(spaces.Rename(w.alice, first->id, "Stale", first->version).error().code() ==
        Error::Code::kConflict);

  // Bob sees nothing of Alice's: every call is not_found, exactly like a missing id.
  const auto missing = spaces.Get(w.alice, "00000000-0000-4000-8000-000000000000").error();
  for (const auto& error :
       {spaces.Get(w.bob, first->id).error(), spaces.Rename(w.bob, first->id, "x").error(),
        spaces.Open(w.bob, first->id).error(), spaces.Stop(w.bob, first->id).error(),
        spaces.Sync(w.bob, first->id).error(), spaces.Delete(w.bob, first->id).error(),
        w.files().Read(w.bob, first->id, "a").error()}) {
    CHECK(error.code() == Error::Code::kNotFound);
    CHECK(error.message() == missing.message());
  }

  REQUIRE(w.files().Write(w.alice, first->id, "a.txt", "hello").has_value());
  REQUIRE(spaces.Open(w.alice, first->id).has_value());
  const auto label = LabelSelector{{"codeyard.dev/workspace", first->id}};
  CHECK(w.executor().ListPods(label)->size() == 1);
  REQUIRE(spaces.Delete(w.alice, first->id).has_value());
  CHECK(w.executor().ListPods(label)->empty());
  CHECK(spaces.Get(w.alice, first->id).error().code() == Error::Code::kNotFound);
  CHECK(w.files().Read(w.alice, first->id, "a.txt").error().code() == Error::Code::kNotFound);
}

TEMPLATE_TEST_CASE("workspaces: idle pods stop after a final sync and restart with the files",
                   "[workspaces]", CODEYARD_STORAGE_BACKENDS) {
  WorkspaceWorld w(TestType::Create());
  auto ws = w.workspaces().Create(w.alice, "idle").value();
  REQUIRE(w.files().Write(w.alice, ws.id, "keep.txt", "from storage").has_value());
  CHECK(w.workspaces().Open(w.alice, ws.id)->state == WorkspaceState::kRunning);
  // Written in the pod and never synced by an exec: the final sync must save it.
  w.PodSh(w.alice, ws.id, "echo 'made in the terminal' > term.txt");
  w.clock().Advance(std::chrono::minutes(10));
  CHECK(w.workspaces().StopIdle().value() == 0);
  w.clock().Advance(std::chrono::minutes(6));
  CHECK(w.workspaces().StopIdle().value() == 1);
  CHECK(w.workspaces().Get(w.alice, ws.id)->state == WorkspaceState::kStopped);
  CHECK(w.executor().ListPods({{"codeyard.dev/workspace", ws.id}})->empty());
  CHECK(w.Stored(w.alice, ws.id, "term.txt") == "made in the terminal\n");
  // Reopening starts a fresh pod holding every file.
  const auto ran = w.Sh(w.alice, ws.id, "cat keep.txt term.txt");
  CHECK(ran.stdout_data ==
        "from storage"
        "made in the terminal\n");
  REQUIRE(w.workspaces().Stop(w.alice, ws.id).has_value());
  REQUIRE(w.workspaces().Stop(w.alice, ws.id).has_value());  // stopping twice is fine
}

TEMPLATE_TEST_CASE("workspaces: a pod killed from outside is replaced with no file lost",
                   "[workspaces]", CODEYARD_STORAGE_BACKENDS) {
  WorkspaceWorld w(TestType::Create());
  auto ws = w.workspaces().Create(w.alice, "fragile").value();
  REQUIRE(w.files().Write(w.alice, ws.id, "main.py", "print('still here')").has_value());
  (void)w.Sh(w.alice, ws.id, "echo synced > synced.txt");
  auto pod = w.workspaces().PodOf(w.alice, ws.id).value();
  auto record = local::ReadPodRecord((w.state_dir() / pod->id()).string());
  REQUIRE(record.has_value());
  REQUIRE(::kill(record->init_pid, SIGKILL) == 0);
  for (int i = 0; i < 200 && pod->Info().phase == PodPhase::kRunning; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  const auto ran = w.Sh(w.alice, ws.id, "python3 main.py; cat synced.txt");
  CHECK(ran.stdout_data == "still here\nsynced\n");
  CHECK(w.workspaces().PodOf(w.alice, ws.id).value()->id() != pod->id());
}

TEMPLATE_TEST_CASE("workspaces: running pods are limited per user and in total", "[workspaces]",
                   CODEYARD_STORAGE_BACKENDS) {
  WorkspaceOptions options;
  options.max_running_per_user = 1;
  options.max_running_total = 2;
  WorkspaceWorld w(TestType::Create(), options);
  const auto carol = w.NewUser("carol");
  const auto a1 = w.workspaces().Create(w.alice, "a1").value().id;
  const auto a2 = w.workspaces().Create(w.alice, "a2").value().id;
  const auto b1 = w.workspaces().Create(w.bob, "b1").value().id;
  const auto c1 = w.workspaces().Create(carol, "c1").value().id;
  REQUIRE(w.workspaces().Open(w.alice, a1).has_value());
  auto over_user = w.workspaces().Open(w.alice, a2);
  REQUIRE_FALSE(over_user.has_value());
  CHECK(over_user.error().code() == Error::Code::kResourceExhausted);
  CHECK_THAT(over_user.error().message(), Catch::Contains("max_running_per_user"));
  REQUIRE(w.workspaces().Open(w.bob, b1).has_value());
  auto over_total = w.workspaces().Open(carol, c1);
  REQUIRE_FALSE(over_total.has_value());
  CHECK_THAT(over_total.error().message(), Catch::Contains("max_running_total"));
  CHECK(w.workspaces().Get(carol, c1)->state == WorkspaceState::kStopped);
  REQUIRE(w.workspaces().Stop(w.alice, a1).has_value());
  CHECK(w.workspaces().Open(w.alice, a2).has_value());
}

TEMPLATE_TEST_CASE("workspaces: two threads editing one running workspace lose no update",
                   "[workspaces]", CODEYARD_STORAGE_BACKENDS) {
  WorkspaceWorld w(TestType::Create());
  const auto ws = w.workspaces().Create(w.alice, "busy").value().id;
  REQUIRE(w.files().Write(w.alice, ws, "counter.txt", "0").has_value());
  REQUIRE(w.workspaces().Open(w.alice, ws).has_value());
  constexpr int kPerThread = 15;
  const auto worker = [&] {
    for (int i = 0; i < kPerThread; ++i) {
      while (true) {
        auto current = w.files().Read(w.alice, ws, "counter.txt");
        REQUIRE(current.has_value());
        const int next = std::stoi(current->content) + 1;
        auto written = w.files().Write(w.alice, ws, "counter.txt", std::to_string(next),
                                       current->info.version);
        if (written) break;
        REQUIRE(written.error().code() == Error::Code::kConflict);
      }
      if (i % 5 == 0) REQUIRE(w.workspaces().Sync(w.alice, ws).has_value());
    }
  };
  std::thread a(worker);
  std::thread b(worker);
  a.join();
  b.join();
  CHECK(w.Stored(w.alice, ws, "counter.txt") == std::to_string(2 * kPerThread));
  REQUIRE(w.workspaces().Sync(w.alice, ws).has_value());
  CHECK(w.PodSh(w.alice, ws, "cat counter.txt") == std::to_string(2 * kPerThread));
}

TEMPLATE_TEST_CASE("workspaces: a busy terminal's sync requests are debounced", "[workspaces]",
                   CODEYARD_STORAGE_BACKENDS) {
  WorkspaceOptions options;
  options.sync_debounce = 1500ms;
  WorkspaceWorld w(TestType::Create(), options);
  const auto ws = w.workspaces().Create(w.alice, "term").value().id;
  REQUIRE(w.workspaces().Open(w.alice, ws).has_value());
  const uint64_t before = w.workspaces().sync_passes();
  for (int i = 0; i < 20; ++i) {
    w.PodSh(w.alice, ws, "echo " + std::to_string(i) + " >> typed.txt");
    w.workspaces().SyncSoon(ws);  // as a terminal would after each command
  }
  // The file arrives in storage without anyone calling Sync...
  std::string stored;
  for (int i = 0; i < 200 && stored.find("19\n") == std::string::npos; ++i) {
    std::this_thread::sleep_for(50ms);
    stored = w.Stored(w.alice, ws, "typed.txt");
  }
  CHECK(stored.find("19\n") != std::string::npos);
  // ...and 20 requests cost far fewer passes: one per window at most.
  const uint64_t passes = w.workspaces().sync_passes() - before;
  CHECK(passes >= 1);
  CHECK(passes <= 6);
  w.workspaces().SyncSoon("not-a-running-workspace");  // a no-op, never an error
}

TEMPLATE_TEST_CASE("workspaces: Stats counts running pods, passes and bytes both ways",
                   "[workspaces]", CODEYARD_STORAGE_BACKENDS) {
  WorkspaceWorld w(TestType::Create());
  auto& spaces = w.workspaces();
  const auto ws = spaces.Create(w.alice, "stats").value().id;
  REQUIRE(w.files().Write(w.alice, ws, "seed.txt", std::string(1000, 's')).has_value());
  CHECK(spaces.Stats().running == 0);
  REQUIRE(spaces.Open(w.alice, ws).has_value());
  const WorkspaceStats opened = spaces.Stats();
  CHECK(opened.running == 1);
  CHECK(opened.bytes_to_pod >= 1000);  // the first seeding counts
  // The pod writes 500 bytes; the exec's pass reads them out.
  CHECK(w.Sh(w.alice, ws, "head -c 500 /dev/zero > out.bin").status.exit_code == 0);
  const WorkspaceStats after = spaces.Stats();
  CHECK(after.sync_passes >= opened.sync_passes + 1);
  CHECK(after.sync_passes == spaces.sync_passes());
  CHECK(after.bytes_from_pod >= opened.bytes_from_pod + 500);
  // Storage writes 300 bytes; the next pass pushes them in.
  REQUIRE(w.files().Write(w.alice, ws, "api.txt", std::string(300, 'a')).has_value());
  REQUIRE(spaces.Sync(w.alice, ws).has_value());
  CHECK(spaces.Stats().bytes_to_pod >= after.bytes_to_pod + 300);
  REQUIRE(spaces.Stop(w.alice, ws).has_value());
  CHECK(spaces.Stats().running == 0);
}

TEST_CASE("workspaces: options come from the workspace.* and files.* config keys", "[workspaces]") {
  ConfigInputs inputs;
  inputs.flags = {{"workspace.idle_timeout_s", "60"},
                  {"workspace.max_running_per_user", "2"},
                  {"workspace.max_running_total", "5"},
                  {"files.max_file_bytes", "1000"},
                  {"files.max_workspace_bytes", "5000"}};
  auto config = LoadConfig(inputs);
  REQUIRE(config.has_value());
  const WorkspaceOptions options = WorkspaceOptionsFrom(*config);
  CHECK(options.idle_timeout == std::chrono::seconds(60));
  CHECK(options.max_running_per_user == 2);
  CHECK(options.max_running_total == 5);
  CHECK(options.file_limits.max_file_bytes == 1000);
  CHECK(options.file_limits.max_workspace_bytes == 5000);
  inputs.flags = {{"workspace.idle_timeout_s", "1"}};
  CHECK(LoadConfig(inputs).error().code() == Error::Code::kInvalidArgument);
}

TEMPLATE_TEST_CASE("workspaces: an exec's verdict follows the rules of one-shot runs",
                   "[workspaces]", CODEYARD_STORAGE_BACKENDS) {
  WorkspaceWorld w(TestType::Create());
  auto ws = w.workspaces().Create(w.alice, "verdicts").value();
  CHECK(w.Sh(w.alice, ws.id, "true").verdict == Verdict::kOk);
  CHECK(w.Sh(w.alice, ws.id, "exit 3").verdict == Verdict::kRuntimeError);
  ExecSpec spin;
  spin.argv = {"sh", "-c", "while :; do :; done"};
  ApplyRunLimits(WithTimeLimit({}, 0.2), spin);
  auto ran = w.workspaces().Exec(w.alice, ws.id, spin);
  REQUIRE(ran.has_value());
  CHECK(ran->verdict == Verdict::kTimeLimitExceeded);
  REQUIRE(w.workspaces().Stop(w.alice, ws.id).has_value());
}
