// The sync engine: keeps a workspace's files in storage and in its pod in step, both ways,
// against any Executor's Pod. Storage is the source of truth for a stopped workspace; the
// manifest (store/manifests) records what both sides agreed on at the last pass, so a pass
// knows which side changed what. Pod files are compared by size and mtime first and only
// read when those moved; storage files by item version. When both sides changed a file,
// both versions are kept (the pod's under "name.conflict-<timestamp>.ext"). Storage writes
// go through files::WriteFile & co., so the API's rules and caps apply to what comes back
// from the pod. Not thread-safe per workspace: the caller serializes passes on one
// workspace (Workspaces does).
#pragma once

#include <string_view>

#include "codeyard/backend/executor.hpp"
#include "codeyard/backend/storage.hpp"
#include "codeyard/clock.hpp"
#include "codeyard/files.hpp"
#include "codeyard/log.hpp"
#include "codeyard/workspaces.hpp"

namespace codeyard::sync {

class SyncEngine {
 public:
  SyncEngine(Storage& storage, Clock& clock, Logger& logger, FileLimits limits);

  // Writes every stored file and folder into a fresh pod in one PutFiles call and records
  // the manifest.
  [[nodiscard]] Result<SyncReport> Seed(std::string_view workspace_id, Pod& pod);

  // One two-way pass.
  [[nodiscard]] Result<SyncReport> Sync(std::string_view workspace_id, Pod& pod);

 private:
  Storage& storage_;
  Clock& clock_;
  Logger& logger_;
  FileLimits limits_;
};

// "src/a.py" + 1732262400000 -> "src/a.conflict-20241122T080000Z.py".
[[nodiscard]] std::string ConflictName(std::string_view path, int64_t unix_ms);

}  // namespace codeyard::sync
