// One two-way sync pass of one workspace (see sync_engine.hpp for the model). A SyncPass is
// used once: Run() loads the three views (manifest, storage, pod listing), classifies every
// path, reads only the pod files whose size or mtime moved, applies the changes, and writes
// the manifest if it changed. Not thread-safe; the caller serializes passes per workspace.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/backend/executor.hpp"
#include "codeyard/backend/storage.hpp"
#include "codeyard/files.hpp"
#include "codeyard/log.hpp"
#include "codeyard/sync_rule.hpp"
#include "codeyard/workspaces.hpp"
#include "core/sync/sync_ignore.hpp"

namespace codeyard::sync {

class SyncPass {
 public:
  SyncPass(Storage& storage, Logger& logger, const FileLimits& limits,
           std::string_view workspace_id, Pod& pod, int64_t now_ms);

  [[nodiscard]] Result<SyncReport> Run();

 private:
  // What changed on one side since the manifest: the library's one sync rule
  // (codeyard/sync_rule.hpp) decides from the two.
  using Change = SideChange;

  // One path as seen on each side, with what changed since the manifest.
  struct PathState {
    const ManifestEntry* base = nullptr;
    const FileEntry* pod = nullptr;
    const WorkspaceItem* stored = nullptr;
    Change pod_change = Change::kNone;
    Change storage_change = Change::kNone;
  };

  Result<void> Load();
  void Classify();
  static bool DeletedInPodOnly(const PathState& st);
  void SkipPastQuota();
  void Skip(std::string path, std::string reason, std::string rule);
  Result<void> ReadChangedPodFiles();
  void ApplyPodRenames();
  Result<void> Apply(const std::string& path, const PathState& st);
  Result<void> Pull(const std::string& path, const FileEntry& pod_entry,
                    std::optional<int64_t> expected);
  Result<void> Push(const WorkspaceItem& item);
  Result<void> DeleteInPod(const std::string& path);
  Result<void> DeleteInStorage(const std::string& path, const WorkspaceItem& item);
  // True when storage holds, under folder `dir`, an item the manifest did not agree on.
  Result<bool> WrittenUnder(Transaction& tx, std::string_view dir) const;
  Result<void> KeepBoth(const std::string& path, const PathState& st);
  Result<void> SaveManifest();
  // True if `path` or one of its parent folders is a symlink in the pod.
  [[nodiscard]] bool UnderPodLink(std::string_view path) const;

  Storage& storage_;
  Logger& logger_;
  const FileLimits& limits_;
  std::string workspace_id_;
  Pod& pod_;
  int64_t now_ms_;

  SyncReport report_;
  std::vector<ManifestEntry> base_;
  std::vector<WorkspaceItem> stored_;
  std::vector<FileEntry> in_pod_;
  std::string ignore_text_;
  SyncIgnore ignore_;
  std::map<std::string, PathState, std::less<>> paths_;
  std::map<std::string, std::string, std::less<>> content_;  // pod files read this pass
  std::map<std::string, std::string, std::less<>> pod_sha_;
  std::map<std::string, ManifestEntry, std::less<>> next_;  // the manifest after this pass
  std::set<std::string, std::less<>> handled_;
  int64_t workspace_entries_ = 0;  // entry_count before the pass, for the quotas
  int64_t user_entries_ = 0;
  std::set<std::string, std::less<>> pod_links_;  // symlinks the pod listing showed
};

}  // namespace codeyard::sync
