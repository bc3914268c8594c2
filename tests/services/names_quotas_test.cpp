// Issue 13, items 7, 9, 10, 14, 16 (names) and 20: one name rule for the API and the sync,
// what the sync leaves unstored is reported, per-user quotas, paginated lists, memory
// admission of pods, and unique workspace names. On both backends where storage is involved.
#include <catch2/catch.hpp>
#include <set>

#include "codeyard/files.hpp"
#include "services/workspace_world.hpp"

using namespace codeyard;
using namespace codeyard::testing;

namespace {

const std::string kNfd = "cafe\xcc\x81";  // "café" as e + U+0301
const std::string kNfc = "caf\xc3\xa9";   // "café" as U+00E9

}  // namespace

TEST_CASE("names: one rule refuses invisible and bidi characters and stores NFC", "[names]") {
  CHECK(NormalizePath(kNfd + ".txt").value() == kNfc + ".txt");
  CHECK(NormalizePath("src/" + kNfc).value() == "src/" + kNfc);
  for (const std::string bad :
       {"evil\xe2\x80\xaetxt.exe", "a\xe2\x80\x8b.txt", "b\xe2\x81\xa6.txt", "c\xef\xbb\xbf",
        "d\xe2\x81\xa0", "e\xc2\x85", "f\nname", "g\x1b[31m", "h\xff.txt"}) {
    auto refused = NormalizePath(bad);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code() == Error::Code::kInvalidArgument);
  }
  CHECK_THAT(NormalizePath("x\xe2\x80\xae").error().message(), Catch::Contains("U+202E"));
  CHECK_THAT(NormalizeName("workspace name", "a\xe2\x80\x8d").error().message(),
             Catch::Contains("invisible or bidirectional-control character (U+200D)"));
}

TEMPLATE_TEST_CASE("names: NFC and NFD spellings are one file and one workspace name", "[names]",
                   CODEYARD_STORAGE_BACKENDS) {
  WorkspaceWorld w(TestType::Create());
  auto ws = w.workspaces().Create(w.alice, kNfd + " project");
  REQUIRE(ws.has_value());
  CHECK(ws->name == kNfc + " project");
  // The same name in either spelling is taken; another user may use it.
  auto again = w.workspaces().Create(w.alice, kNfc + " project");
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().code() == Error::Code::kAlreadyExists);
  CHECK(w.workspaces().Create(w.bob, kNfc + " project").has_value());
  auto other = w.workspaces().Create(w.alice, "Other");
  REQUIRE(other.has_value());
  auto rename = w.workspaces().Rename(w.alice, other->id, kNfd + " project");
  REQUIRE_FALSE(rename.has_value());
  CHECK(rename.error().code() == Error::Code::kAlreadyExists);
  CHECK(w.workspaces().Rename(w.alice, other->id, "Other").has_value());  // its own name
  CHECK(w.workspaces().Create(w.alice, "bad\xe2\x80\xae").error().code() ==
        Error::Code::kInvalidArgument);

  REQUIRE(w.files().Write(w.alice, ws->id, kNfd + ".txt", "one").has_value());
  auto create_only = w.files().Write(w.alice, ws->id, kNfc + ".txt", "two", 0);
  CHECK(create_only.error().code() == Error::Code::kAlreadyExists);
  CHECK(w.Stored(w.alice, ws->id, kNfc + ".txt") == "one");
  CHECK(w.files().Tree(w.alice, ws->id)->size() == 1);
}

TEMPLATE_TEST_CASE(
    "sync: names the rule refuses and files over a cap are reported, kept in the pod",
    "[sync][names]", CODEYARD_STORAGE_BACKENDS) {
  WorkspaceOptions options;
  options.file_limits.max_file_bytes = 1000;
  WorkspaceWorld w(TestType::Create(), options);
  const auto ws = w.workspaces().Create(w.alice, "names")->id;
  // A newline, an ESC, invalid UTF-8, a bidi override, an NFD name, a file over the cap.
  const auto ran = w.Sh(w.alice, ws,
                        "touch \"$(printf 'new\\nline')\" \"$(printf 'esc\\033[31m')\" "
                        "\"$(printf 'bad\\377')\" \"$(printf 'evil\\342\\200\\256txt')\" "
                        "\"$(printf 'cafe\\314\\201')\"; head -c 5000 /dev/zero > big.bin; "
                        "echo ok > good.txt");
  CHECK(w.Stored(w.alice, ws, "good.txt") == "ok\n");
  std::set<std::string> rules;
  for (const auto& s : ran.sync.skipped) rules.insert(s.rule + " " + s.path);
  INFO(Catch::Detail::stringify(rules));
  CHECK(ran.sync.unstored == 6);
  CHECK(rules.contains("name new\nline"));
  CHECK(rules.contains("name esc\x1b[31m"));
  CHECK(rules.contains("name bad\xff"));
  CHECK(rules.contains("name evil\xe2\x80\xaetxt"));
  CHECK(rules.contains("name " + kNfd));
  CHECK(rules.contains("files.max_file_bytes big.bin"));
  // Nothing refused was stored; the tree holds only valid names.
  auto tree = w.files().Tree(w.alice, ws);
  REQUIRE(tree.has_value());
  REQUIRE(tree->size() == 1);
  CHECK(tree->front().path == "good.txt");
  // Nothing was deleted from the pod, and a second pass reports the same again.
  CHECK(w.PodSh(w.alice, ws, "python3 -c 'import os; print(len(os.listdir()))'") == "7\n");
  auto again = w.workspaces().Sync(w.alice, ws);
  REQUIRE(again.has_value());
  CHECK(again->unstored == 6);
  CHECK(w.PodSh(w.alice, ws, "python3 -c 'import os; print(len(os.listdir()))'") == "7\n");
  // Counted, and shown in the workspace's sync status.
  CHECK(w.workspaces().Stats().sync_skipped == 12);
  auto status = w.workspaces().GetSyncStatus(w.alice, ws);
  REQUIRE(status.has_value());
  CHECK(status->ok);
  CHECK(status->last_pass_at.has_value());
  CHECK(status->unstored == 6);
  CHECK(status->skipped.size() == 6);
}

TEMPLATE_TEST_CASE("quotas: workspaces, bytes and entries per user", "[quotas]",
                   CODEYARD_STORAGE_BACKENDS) {
  WorkspaceOptions options;
  options.max_workspaces_per_user = 2;
  options.file_limits.max_user_bytes = 100;
  options.file_limits.max_user_entries = 5;
  WorkspaceWorld w(TestType::Create(), options);
  const auto a = w.workspaces().Create(w.alice, "a")->id;
  const auto b = w.workspaces().Create(w.alice, "b")->id;
  auto third = w.workspaces().Create(w.alice, "c");
  REQUIRE_FALSE(third.has_value());
  CHECK(third.error().code() == Error::Code::kResourceExhausted);
  CHECK(third.error().limit() == "workspace.max_per_user");

  REQUIRE(w.files().Write(w.alice, a, "x", std::string(60, 'x')).has_value());
  auto over = w.files().Write(w.alice, b, "y", std::string(60, 'y'));
  REQUIRE_FALSE(over.has_value());
  CHECK(over.error().limit() == "files.max_user_bytes");
  REQUIRE(w.files().Write(w.alice, b, "y", std::string(40, 'y')).has_value());

  REQUIRE(w.files().MakeDir(w.alice, b, "d1/d2/d3").has_value());  // 5 entries now
  auto dir = w.files().MakeDir(w.alice, a, "d3");
  REQUIRE_FALSE(dir.has_value());
  CHECK(dir.error().limit() == "files.max_user_entries");
  // Deleting frees room; rewriting an existing file within the bytes is always fine.
  REQUIRE(w.files().Delete(w.alice, b, "d1").has_value());
  CHECK(w.workspaces().Get(w.alice, b)->entry_count == 1);
  REQUIRE(w.files().MakeDir(w.alice, a, "d3").has_value());
  REQUIRE(w.workspaces().Delete(w.alice, b).has_value());
  CHECK(w.workspaces().Create(w.alice, "c").has_value());
}

TEMPLATE_TEST_CASE("pagination: workspaces and the tree page in a stable order", "[pages]",
                   CODEYARD_STORAGE_BACKENDS) {
  WorkspaceWorld w(TestType::Create());
  std::vector<std::string> made;
  for (int i = 0; i < 5; ++i) {
    made.push_back(w.workspaces().Create(w.alice, "ws " + std::to_string(i))->id);
    w.clock().Advance(std::chrono::milliseconds(i % 2));  // some share a created_at
  }
  std::vector<std::string> seen;
  PageRequest page{2, ""};
  int pages = 0;
  while (true) {
    auto got = w.workspaces().List(w.alice, page);
    REQUIRE(got.has_value());
    ++pages;
    for (const auto& ws : got->items) seen.push_back(ws.id);
    if (!got->next_cursor) break;
    page.cursor = *got->next_cursor;
  }
  CHECK(pages == 3);
  std::vector<std::string> all;
  const auto listed = w.workspaces().List(w.alice);
  REQUIRE(listed.has_value());
  for (const auto& ws : *listed) all.push_back(ws.id);
  CHECK(seen == all);
  CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == 5);
  CHECK(w.workspaces().List(w.alice, PageRequest{0, ""}).error().code() ==
        Error::Code::kInvalidArgument);
  CHECK(w.workspaces().List(w.alice, PageRequest{201, ""}).error().code() ==
        Error::Code::kInvalidArgument);
  CHECK(w.workspaces().List(w.alice, PageRequest{2, "!!"}).error().code() ==
        Error::Code::kInvalidArgument);

  const auto ws = made.front();
  for (const char* p : {"b.txt", "a/x.txt", "c.txt"}) {
    REQUIRE(w.files().Write(w.alice, ws, p, "x").has_value());
  }
  auto first = w.files().Tree(w.alice, ws, PageRequest{3, ""});
  REQUIRE(first.has_value());
  REQUIRE(first->items.size() == 3);
  CHECK(first->items[0].path == "a");
  CHECK(first->items[2].path == "b.txt");
  REQUIRE(first->next_cursor.has_value());
  auto second = w.files().Tree(w.alice, ws, PageRequest{3, *first->next_cursor});
  REQUIRE(second.has_value());
  REQUIRE(second->items.size() == 1);
  CHECK(second->items[0].path == "c.txt");
  CHECK_FALSE(second->next_cursor.has_value());
  // A workspace list's cursor is not a tree cursor.
  auto list_cursor = w.workspaces().List(w.alice, PageRequest{1, ""})->next_cursor;
  CHECK(w.files().Tree(w.alice, ws, PageRequest{3, *list_cursor}).error().code() ==
        Error::Code::kInvalidArgument);
}

TEMPLATE_TEST_CASE("admission: a pod starts only when its memory fits the capacity",
                   "[workspaces][admission]", CODEYARD_STORAGE_BACKENDS) {
  WorkspaceOptions options;
  options.pod_limits.memory_bytes = uint64_t{256} << 20;
  options.memory_capacity_bytes = (uint64_t{256} << 20) * 2 + 1;  // two pods fit, not three
  options.max_running_per_user = 2;
  WorkspaceWorld w(TestType::Create(), options);
  const auto a1 = w.workspaces().Create(w.alice, "a1")->id;
  const auto a2 = w.workspaces().Create(w.alice, "a2")->id;
  const auto a3 = w.workspaces().Create(w.alice, "a3")->id;
  const auto b1 = w.workspaces().Create(w.bob, "b1")->id;
  REQUIRE(w.workspaces().Open(w.alice, a1).has_value());
  REQUIRE(w.workspaces().Open(w.alice, a2).has_value());
  // Alice is at her own limit first.
  auto mine = w.workspaces().Open(w.alice, a3);
  REQUIRE_FALSE(mine.has_value());
  CHECK(mine.error().limit() == "workspace.max_running_per_user");
  // Bob is under his, but the memory is full: the refusal says so.
  auto full = w.workspaces().Open(w.bob, b1);
  REQUIRE_FALSE(full.has_value());
  CHECK(full.error().code() == Error::Code::kResourceExhausted);
  CHECK(full.error().limit() == "workspace.memory_capacity_bytes");
  CHECK(full.error().retry_after_s() > 0);
  CHECK_THAT(full.error().message(), Catch::Contains("memory is full"));
  REQUIRE(w.workspaces().Stop(w.alice, a1).has_value());
  CHECK(w.workspaces().Open(w.bob, b1).has_value());
}
