#include "core/files/file_ops.hpp"

#include <optional>
#include <string>
#include <vector>

#include "codeyard/id.hpp"
#include "core/events/emit.hpp"
#include "core/orgs/org_rules.hpp"
#include "core/store/items.hpp"
#include "core/store/workspaces.hpp"
#include "core/try.hpp"

namespace codeyard::files {
namespace {

namespace items = store::items;
using Code = Error::Code;

std::string Str(std::string_view s) { return std::string(s); }
std::string Num(int64_t n) { return std::to_string(n); }

// The folder holding `path` ("" at the top level).
std::string_view ParentOf(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

// The item at `path`, or nullopt when there is none.
Result<std::optional<WorkspaceItem>> Find(Transaction& tx, std::string_view workspace_id,
                                          std::string_view path, items::Content content) {
  auto item = items::Get(tx, workspace_id, path, content);
  if (item) return std::optional<WorkspaceItem>(std::move(*item));
  if (item.error().code() == Code::kNotFound) return std::optional<WorkspaceItem>();
  return Fail(item.error());
}

Error Missing(std::string_view path) {
  return Error(Code::kNotFound, "files: " + Str(path) + " not found");
}

// Every stale version reads the same whichever operation found it.
Result<void> CheckVersion(const WorkspaceItem& item, std::optional<int64_t> expected) {
  if (!expected || *expected == item.version) return {};
  return Fail(Code::kConflict, "files: " + item.path + " is at version " + Num(item.version) +
                                   ", not " + Num(*expected) +
                                   "; it was changed by someone else, reload and retry");
}

// The parents of a new item: the deepest folder that exists (none: the top level) and the
// folders to create under it, outermost first.
struct Parents {
  std::optional<std::string> existing_id;
  std::vector<std::string> missing;
};

// Looks the parents of `path` up without changing anything, so that an operation can fail
// on a parent that is a file before it has written a row.
Result<Parents> FindParents(Transaction& tx, std::string_view workspace_id, std::string_view path) {
  Parents parents;
  for (std::string_view dir = ParentOf(path); !dir.empty(); dir = ParentOf(dir)) {
    CY_TRY(const std::optional<WorkspaceItem> item,
           Find(tx, workspace_id, dir, items::Content::kSkip));
    if (!item) {
      parents.missing.insert(parents.missing.begin(), Str(dir));
      continue;
    }
    if (item->kind != ItemKind::kDir) {
      return Fail(Code::kFailedPrecondition,
                  "files: cannot create " + Str(path) + ": " + Str(dir) + " is a file");
    }
    parents.existing_id = item->id;
    break;
  }
  return parents;
}

WorkspaceItem NewItem(std::string_view workspace_id, std::string path, ItemKind kind,
                      std::optional<std::string> parent_id, int64_t mtime) {
  WorkspaceItem item;
  item.id = NewUuid();
  item.workspace_id = Str(workspace_id);
  item.parent_id = std::move(parent_id);
  item.path = std::move(path);
  item.kind = kind;
  item.mtime = item.created_at = mtime;
  return item;
}

// Creates the missing parents; returns the id of the innermost, the new item's parent.
Result<std::optional<std::string>> MakeParents(Transaction& tx, std::string_view workspace_id,
                                               const Parents& parents, int64_t mtime) {
  std::optional<std::string> parent_id = parents.existing_id;
  for (const std::string& dir : parents.missing) {
    const WorkspaceItem folder = NewItem(workspace_id, dir, ItemKind::kDir, parent_id, mtime);
    CY_CHECK(items::Insert(tx, folder));
    parent_id = folder.id;
  }
  return parent_id;
}

// Fails when growing the workspace by `delta` bytes and `new_entries` items would cross a
// quota of the workspace or of its owner. Shrinking is always allowed, even over a quota that
// was lowered since, so that a user can make room. Quotas that only a deletion frees carry a
// retry-after of 0.
Result<void> CheckRoom(Transaction& tx, std::string_view workspace_id, std::string_view path,
                       int64_t size, int64_t delta, int64_t new_entries, const FileLimits& limits) {
  if (delta <= 0 && new_entries <= 0) return {};
  CY_TRY(const Workspace ws, store::workspaces::Get(tx, workspace_id));
  if (delta > 0 && ws.total_bytes + delta > limits.max_workspace_bytes) {
    return Fail(Error(Code::kResourceExhausted,
                      "files: writing " + Str(path) + " (" + Num(size) +
                          " bytes) would bring the workspace to " + Num(ws.total_bytes + delta) +
                          " bytes, over the per-workspace cap of " +
                          Num(limits.max_workspace_bytes) + " bytes (files.max_workspace_bytes)")
                    .WithLimit("files.max_workspace_bytes", 0));
  }
  if (new_entries > 0 && ws.entry_count + new_entries > limits.max_workspace_entries) {
    return Fail(Error(Code::kResourceExhausted,
                      "files: cannot create " + Str(path) + ": the workspace holds " +
                          Num(ws.entry_count) + " files and folders, and its quota is " +
                          Num(limits.max_workspace_entries) +
                          " (files.max_workspace_entries); delete some first")
                    .WithLimit("files.max_workspace_entries", 0));
  }
  CY_TRY(const store::workspaces::Usage usage, store::workspaces::UsageOf(tx, ws.owner_id));
  if (delta > 0 && usage.bytes + delta > limits.max_user_bytes) {
    return Fail(Error(Code::kResourceExhausted,
                      "files: writing " + Str(path) + " would bring your workspaces to " +
                          Num(usage.bytes + delta) + " bytes, over the per-user quota of " +
                          Num(limits.max_user_bytes) + " bytes (files.max_user_bytes)")
                    .WithLimit("files.max_user_bytes", 0));
  }
  if (new_entries > 0 && usage.entries + new_entries > limits.max_user_entries) {
    return Fail(Error(Code::kResourceExhausted,
                      "files: cannot create " + Str(path) + ": your workspaces hold " +
                          Num(usage.entries) + " files and folders, and the per-user quota is " +
                          Num(limits.max_user_entries) + " (files.max_user_entries)")
                    .WithLimit("files.max_user_entries", 0));
  }
  // The organization's stored-bytes quotas (codeyard/orgs.hpp), under its row's lock.
  if (delta > 0) CY_CHECK(orgs::CheckStoredBytes(tx, ws.org_id, ws.owner_id, delta));
  return {};
}

// Creates the missing parents and counts them into the workspace's entries.
Result<std::optional<std::string>> MakeCountedParents(Transaction& tx,
                                                      std::string_view workspace_id,
                                                      const Parents& parents, int64_t mtime) {
  CY_TRY(std::optional<std::string> parent_id, MakeParents(tx, workspace_id, parents, mtime));
  if (!parents.missing.empty()) {
    CY_CHECK(store::workspaces::AddEntries(tx, workspace_id,
                                           static_cast<int64_t>(parents.missing.size())));
  }
  return parent_id;
}

}  // namespace

FileInfo InfoOf(const WorkspaceItem& item) {
  return FileInfo{item.path, item.kind, item.size, item.sha256, item.version, item.mtime};
}

Result<Workspace> OwnedWorkspace(Transaction& tx, std::string_view user_id,
                                 std::string_view workspace_id) {
  // One message for a missing workspace and another user's, without the id, so that callers
  // can compare errors and nobody can probe which ids exist.
  const Error not_found(Code::kNotFound, "workspace not found");
  auto ws = store::workspaces::Get(tx, workspace_id);
  if (!ws) return Fail(ws.error().code() == Code::kNotFound ? not_found : ws.error());
  if (ws->owner_id != user_id) return Fail(not_found);
  return ws;
}

Result<FileContent> ReadFile(Transaction& tx, std::string_view workspace_id,
                             std::string_view path) {
  CY_TRY(std::optional<WorkspaceItem> item, Find(tx, workspace_id, path, items::Content::kLoad));
  if (!item) return Fail(Missing(path));
  if (item->kind != ItemKind::kFile) {
    return Fail(Code::kInvalidArgument, "files: " + Str(path) + " is a folder, not a file");
  }
  return FileContent{InfoOf(*item), std::move(item->content)};
}

Result<FileInfo> WriteFile(Transaction& tx, std::string_view workspace_id, std::string_view path,
                           std::string_view content, std::optional<int64_t> expected_version,
                           int64_t mtime, const FileLimits& limits) {
  const auto size = static_cast<int64_t>(content.size());
  if (size > limits.max_file_bytes) {
    return Fail(Error(Code::kResourceExhausted, "files: " + Str(path) + " is " + Num(size) +
                                                    " bytes, over the per-file cap of " +
                                                    Num(limits.max_file_bytes) +
                                                    " bytes (files.max_file_bytes)")
                    .WithLimit("files.max_file_bytes", 0));
  }
  CY_CHECK(store::workspaces::Lock(tx, workspace_id));
  // Every check comes before the first row is written, so that a caller which carries on
  // in the same transaction after an error (the sync engine) finds nothing half done.
  CY_TRY(const std::optional<WorkspaceItem> current,
         Find(tx, workspace_id, path, items::Content::kSkip));
  Parents parents;
  if (current) {
    if (current->kind != ItemKind::kFile) {
      return Fail(Code::kFailedPrecondition,
                  "files: cannot write " + Str(path) + ": it is a folder");
    }
    if (expected_version == 0) {
      return Fail(Code::kAlreadyExists, "files: " + Str(path) + " already exists (version " +
                                            Num(current->version) + ")");
    }
    CY_CHECK(CheckVersion(*current, expected_version));
  } else {
    if (expected_version.value_or(0) != 0) {
      return Fail(Code::kConflict, "files: " + Str(path) + " no longer exists (expected version " +
                                       Num(*expected_version) +
                                       "); it was deleted or moved, reload and retry");
    }
    CY_TRY(parents, FindParents(tx, workspace_id, path));
  }
  const int64_t delta = size - (current ? current->size : 0);
  const int64_t new_entries = current ? 0 : 1 + static_cast<int64_t>(parents.missing.size());
  CY_CHECK(CheckRoom(tx, workspace_id, path, size, delta, new_entries, limits));

  FileInfo info{Str(path), ItemKind::kFile, size, Sha256Hex(content), 1, mtime};
  if (current) {
    CY_TRY(const items::Written written, items::WriteContent(tx, workspace_id, path, content,
                                                             info.sha256, mtime, current->version));
    info.version = written.version;
  } else {
    CY_TRY(const std::optional<std::string> parent_id,
           MakeCountedParents(tx, workspace_id, parents, mtime));
    WorkspaceItem item = NewItem(workspace_id, Str(path), ItemKind::kFile, parent_id, mtime);
    item.content = content;
    item.size = size;
    item.sha256 = info.sha256;
    CY_CHECK(items::Insert(tx, item));
    CY_CHECK(store::workspaces::AddEntries(tx, workspace_id, 1));
  }
  if (delta != 0) CY_CHECK(store::workspaces::AddBytes(tx, workspace_id, delta));
  CY_CHECK(current ? events::FileChanged(tx, workspace_id, info)
                   : events::FileCreated(tx, workspace_id, info));
  return info;
}

Result<FileInfo> MakeDirs(Transaction& tx, std::string_view workspace_id, std::string_view path,
                          int64_t mtime, const FileLimits& limits) {
  CY_CHECK(store::workspaces::Lock(tx, workspace_id));
  CY_TRY(const std::optional<WorkspaceItem> current,
         Find(tx, workspace_id, path, items::Content::kSkip));
  if (current) {
    if (current->kind == ItemKind::kDir) return InfoOf(*current);
    return Fail(Code::kFailedPrecondition,
                "files: cannot create folder " + Str(path) + ": it is a file");
  }
  CY_TRY(const Parents parents, FindParents(tx, workspace_id, path));
  CY_CHECK(CheckRoom(tx, workspace_id, path, 0, 0, 1 + static_cast<int64_t>(parents.missing.size()),
                     limits));
  CY_TRY(const std::optional<std::string> parent_id,
         MakeCountedParents(tx, workspace_id, parents, mtime));
  const WorkspaceItem folder = NewItem(workspace_id, Str(path), ItemKind::kDir, parent_id, mtime);
  CY_CHECK(items::Insert(tx, folder));
  CY_CHECK(store::workspaces::AddEntries(tx, workspace_id, 1));
  CY_CHECK(events::FileCreated(tx, workspace_id, InfoOf(folder)));
  return InfoOf(folder);
}

Result<void> DeletePath(Transaction& tx, std::string_view workspace_id, std::string_view path,
                        std::optional<int64_t> expected_version) {
  CY_CHECK(store::workspaces::Lock(tx, workspace_id));
  CY_TRY(const std::optional<WorkspaceItem> current,
         Find(tx, workspace_id, path, items::Content::kSkip));
  if (!current) return Fail(Missing(path));
  CY_CHECK(CheckVersion(*current, expected_version));
  CY_TRY(const items::Freed freed, items::DeleteCounted(tx, workspace_id, path, current->version));
  if (freed.bytes != 0) CY_CHECK(store::workspaces::AddBytes(tx, workspace_id, -freed.bytes));
  if (freed.entries != 0) CY_CHECK(store::workspaces::AddEntries(tx, workspace_id, -freed.entries));
  CY_CHECK(events::FileDeleted(tx, workspace_id, path));
  return {};
}

Result<FileInfo> MovePath(Transaction& tx, std::string_view workspace_id, std::string_view from,
                          std::string_view to, std::optional<int64_t> expected_version,
                          int64_t mtime, const FileLimits& limits) {
  CY_CHECK(store::workspaces::Lock(tx, workspace_id));
  CY_TRY(const std::optional<WorkspaceItem> item,
         Find(tx, workspace_id, from, items::Content::kSkip));
  if (!item) return Fail(Missing(from));
  CY_CHECK(CheckVersion(*item, expected_version));
  if (item->kind == ItemKind::kDir && to.starts_with(Str(from) + "/")) {
    return Fail(Code::kInvalidArgument,
                "files: cannot move folder " + Str(from) + " into itself (" + Str(to) + ")");
  }
  CY_TRY(const std::optional<WorkspaceItem> taken,
         Find(tx, workspace_id, to, items::Content::kSkip));
  if (taken) {
    return Fail(Code::kAlreadyExists,
                "files: cannot move " + Str(from) + " to " + Str(to) + ": it already exists");
  }
  CY_TRY(const Parents parents, FindParents(tx, workspace_id, to));
  CY_CHECK(
      CheckRoom(tx, workspace_id, to, 0, 0, static_cast<int64_t>(parents.missing.size()), limits));
  CY_TRY(const std::optional<std::string> parent_id,
         MakeCountedParents(tx, workspace_id, parents, mtime));
  CY_CHECK(items::Move(tx, workspace_id, from, to, parent_id, mtime, item->version));
  CY_TRY(const WorkspaceItem moved, items::Get(tx, workspace_id, to, items::Content::kSkip));
  CY_CHECK(events::FileMoved(tx, workspace_id, from, to));
  return InfoOf(moved);
}

}  // namespace codeyard::files
