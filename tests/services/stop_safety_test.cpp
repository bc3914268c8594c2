// Issue 13, item 3: a stop (API, idle reaper, shutdown) never discards pod files that its final
// sync did not store. The pod is kept, running, with its files, and the stop reports why;
// once the cause is removed the stop succeeds and the files are stored. On both backends.
#include <catch2/catch.hpp>

#include "services/workspace_world.hpp"

using namespace codeyard;
using namespace codeyard::testing;

namespace {

std::string NewWorkspace(WorkspaceWorld& w, const std::string& user,
                         const std::string& name = "stop safety") {
  auto ws = w.workspaces().Create(user, name);
  REQUIRE(ws.has_value());
  return ws->id;
}

size_t PodsOf(WorkspaceWorld& w, const std::string& ws) {
  auto pods = w.executor().ListPods(LabelSelector{{"codeyard.dev/workspace", ws}});
  REQUIRE(pods.has_value());
  return pods->size();
}

constexpr const char* kEssay = "My essay, written in the terminal.\n";

// Writes essay.txt and `count` empty files under junk/ straight into the pod (as a terminal
// would), bypassing the sync. mknod makes a file without opening it: 200,001 take ~1 s.
void FillPod(WorkspaceWorld& w, const std::string& ws, int count) {
  w.PodSh(w.alice, ws,
          std::string("printf '%s' '") + kEssay +
              "' > essay.txt; python3 -c \"import os\nos.mkdir('junk')\nfor i in range(" +
              std::to_string(count) + "): os.mknod('junk/%d' % i)\"");
  REQUIRE(w.PodSh(w.alice, ws, "ls junk | wc -l") == std::to_string(count) + "\n");
}

}  // namespace

TEMPLATE_TEST_CASE("stop: a pod past the pod listing's cap keeps its files until a sync succeeds",
                   "[workspaces][stop]", CODEYARD_STORAGE_BACKENDS) {
  // Default options: the real path, the listing's cap (200,000 entries) and the default quota.
  WorkspaceWorld w(TestType::Create());
  const auto ws = NewWorkspace(w, w.alice);
  REQUIRE(w.workspaces().Open(w.alice, ws).has_value());
  FillPod(w, ws, 200001);

  auto stopped = w.workspaces().Stop(w.alice, ws);
  REQUIRE_FALSE(stopped.has_value());
  CHECK(stopped.error().code() == Error::Code::kFailedPrecondition);
  CHECK_THAT(stopped.error().message(), Catch::Contains("not stopped"));
  CHECK_THAT(stopped.error().message(), Catch::Contains("too many entries"));
  // The pod and the essay survive; the workspace says it is running; the failure is counted.
  CHECK(PodsOf(w, ws) == 1);
  CHECK(w.workspaces().Get(w.alice, ws)->state == WorkspaceState::kRunning);
  CHECK(w.PodSh(w.alice, ws, "cat essay.txt") == kEssay);
  CHECK(w.workspaces().Stats().stops_refused == 1);
  auto status = w.workspaces().GetSyncStatus(w.alice, ws);
  REQUIRE(status.has_value());
  CHECK_FALSE(status->ok);
  CHECK_THAT(status->error, Catch::Contains("too many entries"));

  // Once the excess is gone the stop succeeds, and the essay is stored.
  w.PodSh(w.alice, ws, "rm -r junk");
  REQUIRE(w.workspaces().Stop(w.alice, ws).has_value());
  CHECK(PodsOf(w, ws) == 0);
  CHECK(w.Stored(w.alice, ws, "essay.txt") == kEssay);
  CHECK(w.workspaces().Get(w.alice, ws)->state == WorkspaceState::kStopped);
}

TEMPLATE_TEST_CASE("stop: entries past the quota stay in the pod and block the stop",
                   "[workspaces][stop]", CODEYARD_STORAGE_BACKENDS) {
  WorkspaceOptions options;
  options.file_limits.max_workspace_entries = 20;
  WorkspaceWorld w(TestType::Create(), options);
  const auto ws = NewWorkspace(w, w.alice);
  REQUIRE(w.workspaces().Open(w.alice, ws).has_value());
  FillPod(w, ws, 40);

  // A pass stores what fits (in path order: essay.txt, junk/, 18 of junk's files), reports
  // the rest, and deletes nothing in the pod.
  auto pass = w.workspaces().Sync(w.alice, ws);
  REQUIRE(pass.has_value());
  CHECK(pass->pulled == 20);
  CHECK(pass->unstored == 22);
  CHECK(pass->skipped_total == 22);
  REQUIRE_FALSE(pass->skipped.empty());
  CHECK(pass->skipped.front().rule == "files.max_workspace_entries");
  CHECK(w.PodSh(w.alice, ws, "ls junk | wc -l") == "40\n");
  CHECK(w.workspaces().Get(w.alice, ws)->entry_count == 20);
  // The API refuses to go past the quota too, naming it.
  auto more = w.files().Write(w.alice, ws, "one-more.txt", "x");
  REQUIRE_FALSE(more.has_value());
  CHECK(more.error().code() == Error::Code::kResourceExhausted);
  CHECK(more.error().limit() == "files.max_workspace_entries");

  auto stopped = w.workspaces().Stop(w.alice, ws);
  REQUIRE_FALSE(stopped.has_value());
  CHECK(stopped.error().code() == Error::Code::kFailedPrecondition);
  CHECK_THAT(stopped.error().message(), Catch::Contains("files.max_workspace_entries"));
  CHECK(PodsOf(w, ws) == 1);

  // The idle reaper does not stop it either: it counts, logs, and tries again later.
  w.clock().Advance(options.idle_timeout + std::chrono::minutes(1));
  auto idle = w.workspaces().StopIdle();
  REQUIRE(idle.has_value());
  CHECK(*idle == 0);
  CHECK(PodsOf(w, ws) == 1);
  CHECK(w.workspaces().Stats().stops_refused == 2);

  // Back under the quota, the idle stop goes through and everything is stored.
  w.PodSh(w.alice, ws, "cd junk && rm $(ls | sort -n | tail -n 25)");
  w.clock().Advance(options.idle_timeout + std::chrono::minutes(1));
  idle = w.workspaces().StopIdle();
  REQUIRE(idle.has_value());
  CHECK(*idle == 1);
  CHECK(PodsOf(w, ws) == 0);
  CHECK(w.Stored(w.alice, ws, "essay.txt") == kEssay);
  auto tree = w.files().Tree(w.alice, ws);
  REQUIRE(tree.has_value());
  CHECK(tree->size() == 17);  // essay.txt, junk/ and 15 files
}

TEMPLATE_TEST_CASE("stop: shutdown keeps a pod whose final sync is incomplete",
                   "[workspaces][stop]", CODEYARD_STORAGE_BACKENDS) {
  WorkspaceOptions options;
  options.file_limits.max_file_bytes = 1000;
  WorkspaceWorld w(TestType::Create(), options);
  const auto kept = NewWorkspace(w, w.alice, "kept");
  const auto clean = NewWorkspace(w, w.alice, "clean");
  REQUIRE(w.workspaces().Open(w.alice, kept).has_value());
  REQUIRE(w.workspaces().Open(w.alice, clean).has_value());
  w.PodSh(w.alice, kept, "head -c 5000 /dev/zero > big.bin");
  w.PodSh(w.alice, clean, "echo fine > fine.txt");

  const auto report =
      w.workspaces().StopAll(std::chrono::steady_clock::now() + std::chrono::seconds(60));
  CHECK(report.synced == 1);
  CHECK(report.sync_failed == 1);
  CHECK(PodsOf(w, clean) == 0);
  CHECK(w.Stored(w.alice, clean, "fine.txt") == "fine\n");
  // Not deleted: the pod, its record and its state stay for the next server to adopt.
  CHECK(PodsOf(w, kept) == 1);
  CHECK(w.workspaces().Get(w.alice, kept)->state == WorkspaceState::kRunning);
  CHECK(w.PodSh(w.alice, kept, "wc -c < big.bin") == "5000\n");
}
