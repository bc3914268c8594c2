// A complete little world for the service suites: a fresh database on one storage backend,
// a Platform over it with a ManualClock, two users, and a real local executor on a private
// state directory for the workspaces' pods.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "codeyard/backend/executor.hpp"
#include "codeyard/clock.hpp"
#include "codeyard/files.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/workspaces.hpp"
#include "storage/backend_fixture.hpp"

namespace codeyard::testing {

// What the service suites' worlds are made of, FAILing the test when one cannot be had: a
// Platform over `db` with `clock`, and a real local executor whose state lives in a fresh
// directory below the system's temporary one, named `prefix` and a random part (the caller
// removes it).
[[nodiscard]] std::shared_ptr<Platform> OpenTestPlatform(const TestDatabase& db,
                                                         std::shared_ptr<Clock> clock);
[[nodiscard]] std::shared_ptr<Executor> OpenLocalExecutor(std::string_view prefix,
                                                          std::filesystem::path* state_dir);
// Rows written straight to storage, for suites that need a user or a workspace and not the
// services that make them: a user `name` plus a random part (its id returned), and a workspace
// row of `owner` (its id returned; no pod).
[[nodiscard]] std::string InsertUser(Platform& platform, const std::string& name);
[[nodiscard]] std::string InsertWorkspace(Platform& platform, const std::string& owner,
                                          const std::string& name);
// Sets organization `org_id`'s own CPU-seconds-per-day quota (the usage suites).
void SetOrgCpuSecondsPerDay(Platform& platform, const std::string& org_id, int64_t seconds);

class WorkspaceWorld {
 public:
  explicit WorkspaceWorld(std::unique_ptr<TestDatabase> db, WorkspaceOptions options = {});
  ~WorkspaceWorld();

  [[nodiscard]] Platform& platform() const { return *platform_; }
  [[nodiscard]] const std::shared_ptr<Platform>& shared_platform() const { return platform_; }
  [[nodiscard]] ManualClock& clock() const { return *clock_; }
  [[nodiscard]] Executor& executor() const { return *executor_; }
  [[nodiscard]] std::shared_ptr<Executor> shared_executor() const { return executor_; }
  [[nodiscard]] Workspaces& workspaces() const { return *workspaces_; }
  [[nodiscard]] Files& files() const { return *files_; }
  [[nodiscard]] const std::filesystem::path& state_dir() const { return state_dir_; }

  // A new user; returns its id.
  std::string NewUser(const std::string& name);

  // Runs a shell command in the workspace through Workspaces::Exec; REQUIREs it ran.
  WorkspaceExec Sh(const std::string& user, const std::string& ws, const std::string& script);

  // Runs a command in the pod directly, bypassing the sync (as a terminal would).
  std::string PodSh(const std::string& user, const std::string& ws, const std::string& script);

  // A stored file's content, or "<missing>".
  std::string Stored(const std::string& user, const std::string& ws, const std::string& path);

  std::string alice;
  std::string bob;

 private:
  std::unique_ptr<TestDatabase> db_;
  std::shared_ptr<ManualClock> clock_;
  std::shared_ptr<Platform> platform_;
  std::filesystem::path state_dir_;
  std::shared_ptr<Executor> executor_;
  std::shared_ptr<Files> files_;
  std::shared_ptr<Workspaces> workspaces_;
};

}  // namespace codeyard::testing
