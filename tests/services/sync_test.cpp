// The sync engine end to end: storage <-> a real local pod, on both storage backends.
#include <signal.h>

#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "core/sync/sync_engine.hpp"
#include "core/sync/sync_ignore.hpp"
#include "executor/local/pod_record.hpp"
#include "services/workspace_world.hpp"

using namespace codeyard;
using namespace codeyard::testing;
using namespace std::chrono_literals;

namespace {

std::string NewWorkspace(WorkspaceWorld& w, const std::string& user) {
  auto ws = w.workspaces().Create(user, "sync test");
  REQUIRE(ws.has_value());
  return ws->id;
}

void Put(WorkspaceWorld& w, const std::string& user, const std::string& ws, const std::string& path,
         const std::string& content) {
  auto written = w.files().Write(user, ws, path, content);
  if (!written) FAIL("Write " << path << ": " << written.error().ToString());
}

}  // namespace

TEST_CASE("sync: ignore rules follow .syncignore over the defaults", "[sync]") {
  const auto rules = sync::SyncIgnore::Parse("*.log\n# comment\n/build/\n!keep.log\n");
  CHECK(rules.Ignored("node_modules", true));
  CHECK(rules.Ignored("web/node_modules/x/y.js", false));
  CHECK(rules.Ignored("a/__pycache__/m.pyc", false));
  CHECK_FALSE(rules.Ignored("node_modules", false));  // a file of that name is content
  CHECK(rules.Ignored("out/run.log", false));
  CHECK_FALSE(rules.Ignored("keep.log", false));
  CHECK(rules.Ignored("build/a.o", false));
  CHECK_FALSE(rules.Ignored("src/build/a.o", false));  // anchored at the root
  const auto back = sync::SyncIgnore::Parse("!node_modules/\n");
  CHECK_FALSE(back.Ignored("node_modules/x.js", false));
  CHECK(back.SkippableDirNames().empty());
  CHECK(sync::SyncIgnore::Parse("").SkippableDirNames().size() == 4);
  // fuzz21 (syncignore_fuzz): an escaped name is a pattern, not a folder name to skip.
  const auto escaped = sync::SyncIgnore::Parse("\\#notes/\n");
  CHECK(escaped.Ignored("#notes", true));
  CHECK_FALSE(escaped.Ignored("\\#notes", true));
  for (const auto& name : escaped.SkippableDirNames()) CHECK(escaped.Ignored(name, true));
  CHECK(sync::ConflictName("src/a.py", 0) == "src/a.conflict-19700101T000000Z.py");
  CHECK(sync::ConflictName(".bashrc", 0) == ".bashrc.conflict-19700101T000000Z");
  CHECK(sync::ConflictName("d.x/Makefile", 0) == "d.x/Makefile.conflict-19700101T000000Z");
}

TEST_CASE("sync: a .syncignore counts its first 1000 rules and 64 KiB", "[sync][security]") {
  // Matching costs a fnmatch per rule and folder level for every path of every pass, on the
  // server: a 10 MiB file of rules made a pass minutes long (stop 31).
  std::string rules;
  for (std::size_t i = 0; i + 1 < sync::SyncIgnore::kMaxRules; ++i) {
    rules += "# a comment is no rule\nnothing" + std::to_string(i) + "\n";
  }
  CHECK(sync::SyncIgnore::Parse(rules + "*.log\n").Ignored("a.log", false));  // the 1,000th
  CHECK_FALSE(sync::SyncIgnore::Parse(rules + "x\n*.log\n").Ignored("a.log", false));
  CHECK(sync::SyncIgnore::Parse(rules + "x\n*.log\n").Ignored("node_modules", true));
  // Past 64 KiB: whole lines only, so a rule cut at the limit is not taken in part.
  std::string big(sync::SyncIgnore::kMaxBytes - 3, '#');
  big += "\n*.log\n";  // the line crosses the limit
  CHECK_FALSE(sync::SyncIgnore::Parse(big).Ignored("a.log", false));
  CHECK_FALSE(sync::SyncIgnore::Parse(big).Ignored("*", false));
  std::string fits(sync::SyncIgnore::kMaxBytes - 7, '#');
  CHECK(sync::SyncIgnore::Parse(fits + "\n*.log\n").Ignored("a.log", false));
}

TEMPLATE_TEST_CASE("sync: API file -> run in the pod -> output stored", "[sync]",
                   CODEYARD_STORAGE_BACKENDS) {
  WorkspaceWorld w(TestType::Create());
  const auto ws = NewWorkspace(w, w.alice);
  Put(w, w.alice, ws, "main.py",
      "open('out.txt', 'w').write('computed ' + str(6 * 7))\nprint('done')\n");
  Put(w, w.alice, ws, "data/input.txt", "x");
  const auto ran = w.Sh(w.alice, ws, "python3 main.py && ls data");
  CHECK(ran.status.exit_code == 0);
  CHECK(ran.stdout_data == "done\ninput.txt\n");
  for (const auto& s : ran.sync.skipped) UNSCOPED_INFO("skipped " << s.path << ": " << s.reason);
  CHECK(ran.sync.pulled == 1);
  CHECK(w.Stored(w.alice, ws, "out.txt") == "computed 42");
  auto state = w.workspaces().Get(w.alice, ws);
  CHECK(state->state == WorkspaceState::kRunning);
}

TEMPLATE_TEST_CASE("sync: edits, deletes and renames travel both ways", "[sync]",
                   CODEYARD_STORAGE_BACKENDS) {
  WorkspaceWorld w(TestType::Create());
  const auto ws = NewWorkspace(w, w.alice);
  for (const char* name : {"a.txt", "b.txt", "x.txt", "z.txt", "w.txt", "u.txt"}) {
    Put(w, w.alice, ws, name, std::string("v1 ") + name);
  }
  Put(w, w.alice, ws, "dir/inner.txt", "inner");
  REQUIRE(w.workspaces().Open(w.alice, ws).has_value());

  // Storage side (the API) changes...
  Put(w, w.alice, ws, "a.txt", "v2 from the API");
  REQUIRE(w.files().Delete(w.alice, ws, "w.txt").has_value());
  REQUIRE(w.files().Move(w.alice, ws, "u.txt", "moved/u2.txt").has_value());
  // ...and the pod side changes, in one exec (its pre-sync pushes the API's changes first).
  const auto ran =
      w.Sh(w.alice, ws,
           "cat a.txt; echo; echo 'v2 from the pod' > b.txt; mv x.txt y.txt; rm z.txt; "
           "rm -r dir; mkdir -p new/deep; echo n > new/deep/n.txt; "
           "test -e w.txt || echo w-gone; cat moved/u2.txt");
  CHECK(ran.stdout_data == "v2 from the API\nw-gone\nv1 u.txt");
  CHECK(w.Stored(w.alice, ws, "b.txt") == "v2 from the pod\n");
  CHECK(w.Stored(w.alice, ws, "x.txt") == "<missing>");
  CHECK(w.Stored(w.alice, ws, "y.txt") == "v1 x.txt");
  CHECK(ran.sync.renamed_in_storage == 1);
  CHECK(w.Stored(w.alice, ws, "z.txt") == "<missing>");
  CHECK(w.Stored(w.alice, ws, "dir/inner.txt") == "<missing>");
  CHECK(w.Stored(w.alice, ws, "new/deep/n.txt") == "n\n");
  auto tree = w.files().Tree(w.alice, ws);
  REQUIRE(tree.has_value());
  bool has_dir = false;
  for (const auto& f : *tree) has_dir = has_dir || f.path == "dir";
  CHECK_FALSE(has_dir);

  // A quiet pass afterwards changes nothing and reads nothing from the pod.
  auto quiet = w.workspaces().Sync(w.alice, ws);
  REQUIRE(quiet.has_value());
  CHECK(quiet->pulled + quiet->pushed + quiet->deleted_in_pod + quiet->deleted_in_storage == 0);
  CHECK(quiet->bytes_from_pod == 0);
}

TEMPLATE_TEST_CASE("sync: both sides changed one file: both versions are kept", "[sync]",
                   CODEYARD_STORAGE_BACKENDS) {
  WorkspaceWorld w(TestType::Create());
  const auto ws = NewWorkspace(w, w.alice);
  Put(w, w.alice, ws, "notes.md", "base\n");
  REQUIRE(w.workspaces().Open(w.alice, ws).has_value());
  Put(w, w.alice, ws, "notes.md", "edited in the IDE\n");
  w.PodSh(w.alice, ws, "echo 'edited in the terminal' > notes.md");
  auto report = w.workspaces().Sync(w.alice, ws);
  REQUIRE(report.has_value());
  REQUIRE(report->conflicts.size() == 1);
  const std::string conflict = report->conflicts[0].conflict_path;
  CHECK_THAT(conflict, Catch::StartsWith("notes.conflict-"));
  CHECK_THAT(conflict, Catch::EndsWith(".md"));
  CHECK(w.Stored(w.alice, ws, "notes.md") == "edited in the IDE\n");
  CHECK(w.Stored(w.alice, ws, conflict) == "edited in the terminal\n");
  CHECK(w.PodSh(w.alice, ws, "cat notes.md " + conflict) ==
        "edited in the IDE\nedited in the terminal\n");
  auto again = w.workspaces().Sync(w.alice, ws);
  CHECK(again->conflicts.empty());
}

TEMPLATE_TEST_CASE("sync: ignores, caps, symlinks and special files", "[sync]",
                   CODEYARD_STORAGE_BACKENDS) {
  WorkspaceOptions options;
  options.file_limits.max_file_bytes = 1 << 20;
  WorkspaceWorld w(TestType::Create(), options);
  const auto ws = NewWorkspace(w, w.alice);
  Put(w, w.alice, ws, ".syncignore", "*.log\n");
  const auto ran = w.Sh(w.alice, ws,
                        "mkdir -p node_modules/pkg __pycache__ .venv/bin src; "
                        "echo x > node_modules/pkg/index.js; echo y > __pycache__/m.pyc; "
                        "echo l > run.log; echo ok > src/kept.txt; "
                        "head -c 2000000 /dev/zero > big.bin; ln -s /etc/passwd link; "
                        "mkfifo pipe");
  CHECK(w.Stored(w.alice, ws, "src/kept.txt") == "ok\n");
  CHECK(w.Stored(w.alice, ws, "node_modules/pkg/index.js") == "<missing>");
  CHECK(w.Stored(w.alice, ws, "__pycache__/m.pyc") == "<missing>");
  CHECK(w.Stored(w.alice, ws, "run.log") == "<missing>");
  CHECK(w.Stored(w.alice, ws, "big.bin") == "<missing>");
  CHECK(w.Stored(w.alice, ws, "link") == "<missing>");
  CHECK(w.Stored(w.alice, ws, "pipe") == "<missing>");
  std::vector<std::string> skipped;
  for (const auto& s : ran.sync.skipped) skipped.push_back(s.path + ": " + s.reason);
  INFO(Catch::Detail::stringify(skipped));
  REQUIRE(ran.sync.skipped.size() == 2);  // big.bin (cap) and link (symlink), reported
  // The cap is reported every pass while the file stays too big, and nothing half-stored.
  auto again = w.workspaces().Sync(w.alice, ws);
  CHECK(again->skipped.size() == 2);
  CHECK(w.Stored(w.alice, ws, "big.bin") == "<missing>");
}

TEMPLATE_TEST_CASE("sync: a pass reads only what changed", "[sync]", CODEYARD_STORAGE_BACKENDS) {
  WorkspaceWorld w(TestType::Create());
  const auto ws = NewWorkspace(w, w.alice);
  for (int i = 0; i < 50; ++i) Put(w, w.alice, ws, "f" + std::to_string(i), std::string(1000, 'a'));
  REQUIRE(w.workspaces().Open(w.alice, ws).has_value());
  auto none = w.workspaces().Sync(w.alice, ws);
  REQUIRE(none.has_value());
  CHECK(none->bytes_from_pod == 0);
  w.PodSh(w.alice, ws, "printf 12345 > f7");
  auto one = w.workspaces().Sync(w.alice, ws);
  CHECK(one->bytes_from_pod == 5);
  CHECK(one->pulled == 1);
  w.PodSh(w.alice, ws, "touch f8");  // same bytes, new mtime: read, hashed, not stored
  auto touched = w.workspaces().Sync(w.alice, ws);
  CHECK(touched->pulled == 0);
  CHECK(touched->bytes_from_pod == 1000);
}

// Directory symlinks made in the pod (a loop to itself, the root, the parent, a cycle, a
// big directory) are never followed: exec and the passes around it finish, and each link is
// reported as a skipped "symlink" without storing anything through it.
TEMPLATE_TEST_CASE("sync: directory symlinks in the pod never hang exec", "[sync][symlink]",
                   CODEYARD_STORAGE_BACKENDS) {
  WorkspaceWorld w(TestType::Create());
  const auto ws = NewWorkspace(w, w.alice);
  Put(w, w.alice, ws, "main.py", "print('hi')\n");
  const auto made = w.Sh(w.alice, ws,
                         "mkdir -p many sub && for i in $(seq 1 500); do echo $i > many/f$i; done;"
                         " ln -s . loop; ln -s / root; ln -s .. up; ln -s b a; ln -s a b;"
                         " ln -s many lots; ln -s ../.. sub/upup; echo made");
  CHECK(made.stdout_data == "made\n");
  const auto again = w.Sh(w.alice, ws, "ls loop/loop/loop/main.py && cat up/workspace/main.py");
  CHECK(again.status.exit_code == 0);
  std::set<std::string> skipped;
  for (const auto& s : again.sync.skipped) {
    CHECK_THAT(s.reason, Catch::Contains("symlink"));
    skipped.insert(s.path);
  }
  CHECK(skipped == std::set<std::string>{"a", "b", "lots", "loop", "root", "sub/upup", "up"});
  CHECK(w.Stored(w.alice, ws, "many/f500") == "500\n");
  CHECK(w.Stored(w.alice, ws, "loop/main.py") == "<missing>");
  CHECK(w.Stored(w.alice, ws, "lots/f1") == "<missing>");
  auto synced = w.workspaces().Sync(w.alice, ws);
  REQUIRE(synced.has_value());
  CHECK(synced->skipped.size() == 7);

  // Storage gets content where the pod has a link (a folder made through the API): the
  // pass leaves it out of the pod, reports it, and exec keeps working.
  Put(w, w.alice, ws, "loop/x.txt", "through loop");
  Put(w, w.alice, ws, "root/etc/owned", "through root");
  Put(w, w.alice, ws, "up/escape.txt", "through up");
  const auto after = w.Sh(w.alice, ws, "echo still; ls /etc/owned ../escape.txt 2>&1 | wc -l");
  CHECK(after.stdout_data == "still\n2\n");
  std::set<std::string> under;
  for (const auto& s : after.sync.skipped) {
    if (s.reason.find("under a symlink") != std::string::npos) under.insert(s.path);
  }
  CHECK(under.contains("loop/x.txt"));
  CHECK(under.contains("root/etc/owned"));
  CHECK(under.contains("up/escape.txt"));
  CHECK(w.Stored(w.alice, ws, "loop/x.txt") == "through loop");
  CHECK(w.PodSh(w.alice, ws, "test -e /etc/owned || echo absent") == "absent\n");
}
