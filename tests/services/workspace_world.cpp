#include "services/workspace_world.hpp"

#include <catch2/catch.hpp>

#include "codeyard/backend/registry.hpp"
#include "codeyard/id.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"

namespace codeyard::testing {
namespace {

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

}  // namespace

WorkspaceWorld::WorkspaceWorld(std::unique_ptr<TestDatabase> db, WorkspaceOptions options)
    : db_(std::move(db)), clock_(std::make_shared<ManualClock>()) {
  Options opts;
  opts.storage = db_->shared();
  opts.clock = clock_;
  auto platform = Platform::Open(opts);
  if (!platform) FAIL("Platform::Open: " << platform.error().ToString());
  platform_ = std::move(*platform);
  state_dir_ = std::filesystem::temp_directory_path() / ("cy-ws-" + NewUuid().substr(0, 8));
  auto executor = BackendRegistry::WithBuiltins().OpenExecutor(
      "local:?state_dir=" + state_dir_.string(), BackendContext{});
  if (!executor) FAIL("local executor: " << executor.error().ToString());
  executor_ = *executor;
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
