#include "services/workspace_world.hpp"

#include <catch2/catch.hpp>

#include "codeyard/backend/registry.hpp"
#include "codeyard/id.hpp"
#include "core/store/orgs.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "core/store/workspaces.hpp"
#include "core/try.hpp"

namespace codeyard::testing {

std::string InsertUser(Platform& platform, const std::string& name) {
  User user;
  user.id = NewUuid();
  user.username = name + "-" + user.id.substr(0, 6);
  user.password_hash = "$argon2id$test-only";
  user.created_at = user.updated_at = platform.clock().NowMillis();
  auto inserted = store::Transact(platform.storage(), TxKind::kWrite,
                                  [&](Transaction& tx) { return store::users::Insert(tx, user); });
  if (!inserted) FAIL("insert user: " << inserted.error().ToString());
  return user.id;
}

std::string InsertWorkspace(Platform& platform, const std::string& owner, const std::string& name) {
  Workspace w;
  w.id = NewUuid();
  w.owner_id = owner;
  w.name = name;
  auto inserted = store::Transact(platform.storage(), TxKind::kWrite, [&](Transaction& tx) {
    return store::workspaces::Insert(tx, w);
  });
  if (!inserted) FAIL("insert workspace: " << inserted.error().ToString());
  return w.id;
}

void SetOrgCpuSecondsPerDay(Platform& platform, const std::string& org_id, int64_t seconds) {
  auto set =
      store::Transact(platform.storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
        CY_TRY(Org org, store::orgs::Get(tx, org_id));
        org.org_quotas.max_cpu_seconds_per_day = seconds;
        CY_TRY(const Org updated, store::orgs::Update(tx, org, platform.clock().NowMillis()));
        (void)updated;
        return {};
      });
  if (!set) FAIL("set the CPU quota: " << set.error().ToString());
}

std::shared_ptr<Platform> OpenTestPlatform(const TestDatabase& db, std::shared_ptr<Clock> clock) {
  Options opts;
  opts.storage = db.shared();
  opts.clock = std::move(clock);
  auto platform = Platform::Open(opts);
  if (!platform) FAIL("Platform::Open: " << platform.error().ToString());
  return std::move(*platform);
}

std::shared_ptr<Executor> OpenLocalExecutor(std::string_view prefix,
                                            std::filesystem::path* state_dir) {
  *state_dir =
      std::filesystem::temp_directory_path() / (std::string(prefix) + NewUuid().substr(0, 8));
  auto executor = BackendRegistry::WithBuiltins().OpenExecutor(
      "local:?state_dir=" + state_dir->string(), BackendContext{});
  if (!executor) FAIL("local executor: " << executor.error().ToString());
  return std::move(*executor);
}

WorkspaceWorld::WorkspaceWorld(std::unique_ptr<TestDatabase> db, WorkspaceOptions options)
    : db_(std::move(db)),
      clock_(std::make_shared<ManualClock>()),
      platform_(OpenTestPlatform(*db_, clock_)) {
  executor_ = OpenLocalExecutor("cy-ws-", &state_dir_);
  files_ = std::make_unique<Files>(platform_, options.file_limits);
  workspaces_ = std::make_unique<Workspaces>(platform_, executor_, options);
  alice = InsertUser(*platform_, "alice");
  bob = InsertUser(*platform_, "bob");
}

WorkspaceWorld::~WorkspaceWorld() {
  workspaces_.reset();
  // Workspace pods (survive_owner) outlive the executor that made them: end them here.
  for (const auto& info : executor_->ListPods({}).value_or(std::vector<PodInfo>{})) {
    (void)executor_->DeletePod(info.id);
  }
  executor_.reset();
  std::error_code ec;
  std::filesystem::remove_all(state_dir_, ec);
}

std::string WorkspaceWorld::NewUser(const std::string& name) {
  return InsertUser(*platform_, name);
}

WorkspaceExec WorkspaceWorld::Sh(const std::string& user, const std::string& ws,
                                 const std::string& script) {
  ExecSpec spec;
  spec.argv = {"sh", "-c", script};
  spec.wall_time_limit = std::chrono::seconds(30);
  auto ran = workspaces_->Exec(user, ws, spec);
  if (!ran) FAIL("Exec " << script << ": " << ran.error().ToString());
  return *ran;
}

std::string WorkspaceWorld::PodSh(const std::string& user, const std::string& ws,
                                  const std::string& script) {
  auto pod = workspaces_->PodOf(user, ws);
  if (!pod) FAIL("PodOf: " << pod.error().ToString());
  ExecSpec spec;
  spec.argv = {"sh", "-c", script};
  spec.wall_time_limit = std::chrono::seconds(30);
  auto process = (*pod)->Exec(spec);
  if (!process) FAIL("pod exec: " << process.error().ToString());
  std::string out;
  while (true) {
    auto chunk = (*process)->ReadOutput(std::nullopt);
    REQUIRE(chunk.has_value());
    if (!*chunk) break;
    out += (*chunk)->data;
  }
  REQUIRE((*process)->Wait().has_value());
  return out;
}

std::string WorkspaceWorld::Stored(const std::string& user, const std::string& ws,
                                   const std::string& path) {
  auto read = files_->Read(user, ws, path);
  if (!read) return "<missing>";
  return read->content;
}

}  // namespace codeyard::testing
