// Races of the sync engine with the API (race21): a write the API acknowledged must survive
// any pass, including one that fails half-way, one run by a replica that lost the lease, and
// one that meets a file the API deletes while it runs. The interleavings are made exact by a
// pod that runs a step of the test at a chosen call, on both storage backends.
#include <catch2/catch.hpp>
#include <functional>
#include <memory>

#include "core/store/transact.hpp"
#include "core/sync/sync_engine.hpp"
#include "core/workspaces/fenced_pod.hpp"
#include "core/workspaces/fenced_storage.hpp"
#include "services/workspace_world.hpp"

using namespace codeyard;
using namespace codeyard::testing;

namespace {

// A real pod with test steps run inside the pass's calls (on the pass's thread, between its
// transactions, where another request of the API would land).
class HookPod final : public Pod {
 public:
  explicit HookPod(std::shared_ptr<Pod> inner) : inner_(std::move(inner)) {}

  std::function<void()> after_list;          // between the pass's reads and its changes
  std::function<void()> on_delete;           // after the pod deleted files
  std::function<Result<void>()> before_put;  // an error fails the PutFiles call
  std::function<void()> before_get;
  [[nodiscard]] const std::string& id() const override { return inner_->id(); }
  [[nodiscard]] PodInfo Info() const override { return inner_->Info(); }
  Result<std::unique_ptr<Process>> Exec(const ExecSpec& spec) override {
    return inner_->Exec(spec);
  }
  Result<void> PutFiles(std::span<const FileData> files) override {
    if (before_put) CY_CHECK(before_put());
    return inner_->PutFiles(files);
  }
  Result<std::vector<FileData>> GetFiles(std::span<const std::string> paths) override {
    if (before_get) before_get();
    return inner_->GetFiles(paths);
  }
  Result<void> DeleteFiles(std::span<const std::string> paths) override {
    CY_CHECK(inner_->DeleteFiles(paths));
    if (on_delete) on_delete();
    return {};
  }
  Result<std::vector<FileEntry>> ListFiles(const ListFilesOptions& options) override {
    auto listed = inner_->ListFiles(options);
    if (after_list) after_list();
    return listed;
  }
  Result<void> Fenced(int64_t token, const std::function<Result<void>()>& calls) override {
    return inner_->Fenced(token, calls);
  }

 private:
  std::shared_ptr<Pod> inner_;
};

struct RaceWorld {
  explicit RaceWorld(std::unique_ptr<TestDatabase> db) : w(std::move(db)) {
    auto made = w.workspaces().Create(w.alice, "race");
    REQUIRE(made.has_value());
    ws = made->id;
  }

  void Put(const std::string& path, const std::string& content) {
    auto written = w.files().Write(w.alice, ws, path, content);
    if (!written) FAIL("Write " << path << ": " << written.error().ToString());
  }
  void Delete(const std::string& path) {
    auto deleted = w.files().Delete(w.alice, ws, path);
    if (!deleted) FAIL("Delete " << path << ": " << deleted.error().ToString());
  }
  // Writes `files`, then opens the pod: both sides and the manifest agree on them.
  HookPod& Agree(std::initializer_list<std::pair<std::string, std::string>> files) {
    for (const auto& [path, content] : files) Put(path, content);
    REQUIRE(w.workspaces().Open(w.alice, ws).has_value());
    auto pod = w.workspaces().PodOf(w.alice, ws);
    REQUIRE(pod.has_value());
    hook = std::make_unique<HookPod>(*pod);
    return *hook;
  }
  // One pass straight through the engine on `storage` (the world's, or a fenced view).
  Result<SyncReport> Pass(Pod& pod, Storage* storage = nullptr) {
    sync::SyncEngine engine(storage != nullptr ? *storage : w.platform().storage(), w.clock(),
                            w.platform().logger(), FileLimits{});
    return engine.Sync(ws, pod);
  }
  // Storage and the pod both hold `content` at `path` ("<missing>": neither holds it).
  void CheckBoth(Pod& pod, const std::string& path, const std::string& content) {
    INFO(path);
    CHECK(w.Stored(w.alice, ws, path) == content);
    CHECK(InPod(pod, path) == content);
  }
  // The file in the pod, or "<missing>".
  std::string InPod(Pod& pod, const std::string& path) {
    const std::vector<std::string> one = {path};
    auto got = pod.GetFiles(one);
    return got && got->size() == 1 ? (*got)[0].content : "<missing>";
  }

  WorkspaceWorld w;
  std::string ws;
  std::unique_ptr<HookPod> hook;
};

}  // namespace

// The soak's finding: a pass deleted a.txt in the pod (the API had deleted it), then failed
// (`not_found`: the API deleted b.txt, which it was pushing) before saving the manifest. The
// API wrote a.txt again: version 1, as the manifest had it. The next pass took that for
// "unchanged in storage, deleted in the pod" and deleted the acknowledged write.
TEMPLATE_TEST_CASE("sync race: a file written again after a half-done pass stays", "[sync][race21]",
                   CODEYARD_STORAGE_BACKENDS) {
  RaceWorld r(TestType::Create());
  HookPod& pod = r.Agree({{"a.txt", "first a"}, {"b.txt", "first b"}});  // at version 1
  r.Delete("a.txt");
  r.Put("b.txt", "second b");                  // the pass will push it...
  pod.on_delete = [&] { r.Delete("b.txt"); };  // ...but the API deletes it first
  auto pass = r.Pass(pod);
  INFO((pass ? std::string("pass ok") : pass.error().ToString()));
  CHECK(pass.has_value());  // an API delete during a pass is no failure of the pass
  pod.on_delete = nullptr;
  CHECK(r.InPod(pod, "a.txt") == "<missing>");

  r.Put("a.txt", "second a");  // acknowledged: version 1 again
  REQUIRE(r.Pass(pod).has_value());
  r.CheckBoth(pod, "a.txt", "second a");
  r.CheckBoth(pod, "b.txt", "<missing>");
}

// The same with the same bytes written again (the content cannot tell the two files apart)
// and a pass that fails on the pod itself after its delete: the manifest must already have
// forgotten the file the pass deleted in the pod.
TEMPLATE_TEST_CASE("sync race: a pass that fails after a pod delete leaves no stale manifest",
                   "[sync][race21]", CODEYARD_STORAGE_BACKENDS) {
  RaceWorld r(TestType::Create());
  HookPod& pod = r.Agree({{"a.txt", "same"}, {"b.txt", "first b"}});
  r.Delete("a.txt");
  r.Put("b.txt", "second b");
  pod.before_put = [] { return Result<void>(Fail(Error::Code::kUnavailable, "pod went away")); };
  auto failed = r.Pass(pod);
  REQUIRE_FALSE(failed.has_value());  // a.txt deleted in the pod, then b.txt's push failed
  CHECK(failed.error().code() == Error::Code::kUnavailable);
  pod.before_put = nullptr;
  CHECK(r.InPod(pod, "a.txt") == "<missing>");

  r.Put("a.txt", "same");  // version 1, same bytes: nothing in the item tells it is new
  REQUIRE(r.Pass(pod).has_value());
  r.CheckBoth(pod, "a.txt", "same");
  CHECK(r.InPod(pod, "b.txt") == "second b");
}

// Two replicas: a pass run by one that lost the lease commits nothing (its writes are
// fenced), and must change nothing in the pod either, where the holder's passes go on.
TEMPLATE_TEST_CASE("sync race: a replica that lost the lease deletes nothing in the pod",
                   "[sync][race21]", CODEYARD_STORAGE_BACKENDS) {
  RaceWorld r(TestType::Create());
  HookPod& pod = r.Agree({{"a.txt", "same"}});  // this world's Workspaces holds the lease
  r.Delete("a.txt");
  workspaces::FencedStorage stale(r.w.platform().storage(), r.ws, "another-replica", 1);
  auto refused = r.Pass(pod, &stale);
  REQUIRE_FALSE(refused.has_value());
  CHECK(store::pods::IsStaleLease(refused.error()));
  CHECK(r.InPod(pod, "a.txt") == "same");  // the stale pass left the pod alone

  r.Put("a.txt", "same");  // written again meanwhile: the holder's next pass keeps it
  REQUIRE(r.w.workspaces().Sync(r.w.alice, r.ws).has_value());
  r.CheckBoth(pod, "a.txt", "same");
}

// A folder the pod deleted while the API wrote a file into it: the write beats the delete,
// whether it came before the pass or while the pass ran.
TEMPLATE_TEST_CASE("sync race: a folder deleted in the pod keeps what the API wrote in it",
                   "[sync][race21]", CODEYARD_STORAGE_BACKENDS) {
  RaceWorld r(TestType::Create());
  HookPod& pod = r.Agree({{"d/old.txt", "old"}, {"e/old.txt", "old"}});
  r.w.PodSh(r.w.alice, r.ws, "rm -r d e");
  r.Put("d/new.txt", "written before the pass");
  // Between the pass's reads and its deletes (the pass lists storage, then the pod).
  pod.after_list = [&] {
    pod.after_list = nullptr;
    r.Put("e/new.txt", "written during the pass");
  };
  auto pass = r.Pass(pod);
  INFO((pass ? std::string("pass ok") : pass.error().ToString()));
  REQUIRE(pass.has_value());
  CHECK(r.w.Stored(r.w.alice, r.ws, "d/new.txt") == "written before the pass");
  CHECK(r.w.Stored(r.w.alice, r.ws, "e/new.txt") == "written during the pass");
  CHECK(r.w.Stored(r.w.alice, r.ws, "d/old.txt") == "<missing>");  // the pod's delete holds
  CHECK(r.w.Stored(r.w.alice, r.ws, "e/old.txt") == "<missing>");
  REQUIRE(r.Pass(pod).has_value());
  CHECK(r.InPod(pod, "d/new.txt") == "written before the pass");
  CHECK(r.InPod(pod, "e/new.txt") == "written during the pass");
  CHECK(r.w.Stored(r.w.alice, r.ws, "e/new.txt") == "written during the pass");
}

// A file the pod deletes between the pass's listing and its read (a terminal's `rm`) is no
// failure of the pass: the others are stored, and the next pass sees the delete.
TEMPLATE_TEST_CASE("sync race: a pod file gone before the pass reads it fails nothing",
                   "[sync][race21]", CODEYARD_STORAGE_BACKENDS) {
  RaceWorld r(TestType::Create());
  HookPod& pod = r.Agree({{"gone.txt", "stored"}});
  r.w.PodSh(r.w.alice, r.ws, "echo edited > gone.txt; echo made > made.txt");
  pod.before_get = [&] {
    pod.before_get = nullptr;
    const std::vector<std::string> one = {"gone.txt"};
    REQUIRE(pod.DeleteFiles(one).has_value());
  };
  auto pass = r.Pass(pod);
  INFO((pass ? std::string("pass ok") : pass.error().ToString()));
  REQUIRE(pass.has_value());
  CHECK(r.w.Stored(r.w.alice, r.ws, "made.txt") == "made\n");
  REQUIRE(r.Pass(pod).has_value());
  CHECK(r.w.Stored(r.w.alice, r.ws, "gone.txt") == "<missing>");
}

// faults21: the window race21 left open. Replica A's pass has read a.txt from storage to push
// it; before its push reaches the pod, replica B takes the lease over, the API writes a.txt
// again and B's pass pushes that. A's push of the older copy must be refused by the pod (its
// fencing token, A's generation, is older than B's), or B's next pass would take the pod's
// older copy for an edit made in the pod and store it over the acknowledged write.
TEMPLATE_TEST_CASE("sync race: a stale replica's push after the new holder's pass is refused",
                   "[sync][faults21]", CODEYARD_STORAGE_BACKENDS) {
  RaceWorld r(TestType::Create());
  r.Agree({{"a.txt", "first"}});
  auto inner = r.w.workspaces().PodOf(r.w.alice, r.ws);
  REQUIRE(inner.has_value());
  Storage& storage = r.w.platform().storage();
  auto lease = store::Transact(storage, TxKind::kRead,
                               [&](Transaction& tx) { return store::pods::Get(tx, r.ws); });
  REQUIRE(lease.has_value());
  r.Put("a.txt", "second: A pushes it");

  workspaces::FencedStorage a_storage(storage, r.ws, lease->replica, lease->generation);
  HookPod a_pod(std::make_shared<workspaces::FencedPod>(**inner, r.ws, lease->generation));
  int64_t b_generation = 0;
  a_pod.before_put = [&]() -> Result<void> {  // A stalls here, its storage read done
    if (b_generation != 0) return {};         // once
    store::pods::ClaimRequest rq;
    rq.workspace_id = r.ws;
    rq.owner_id = r.w.alice;
    rq.replica = "replica-b";
    rq.executor = lease->executor;
    rq.now = r.w.clock().NowMillis();
    rq.lease_ms = 60000;
    rq.take_live = true;
    rq.check_limits = false;
    auto claimed = store::Transact(storage, TxKind::kWrite,
                                   [&](Transaction& tx) { return store::pods::Claim(tx, rq); });
    REQUIRE(claimed.has_value());
    b_generation = claimed->lease.generation;
    r.Put("a.txt", "third: the acknowledged write, B pushes it");
    workspaces::FencedStorage b_storage(storage, r.ws, "replica-b", b_generation);
    workspaces::FencedPod b_pod(**inner, r.ws, b_generation);
    auto b = r.Pass(b_pod, &b_storage);
    INFO((b ? std::string("B's pass ok") : b.error().ToString()));
    REQUIRE(b.has_value());
    return {};
  };
  auto a = r.Pass(a_pod, &a_storage);
  REQUIRE_FALSE(a.has_value());
  CHECK(store::pods::IsStaleLease(a.error()));
  CHECK(r.InPod(**inner, "a.txt") == "third: the acknowledged write, B pushes it");

  workspaces::FencedStorage b_storage(storage, r.ws, "replica-b", b_generation);
  workspaces::FencedPod b_pod(**inner, r.ws, b_generation);
  REQUIRE(r.Pass(b_pod, &b_storage).has_value());  // nothing of A's is left in the pod to store
  r.CheckBoth(**inner, "a.txt", "third: the acknowledged write, B pushes it");
}
