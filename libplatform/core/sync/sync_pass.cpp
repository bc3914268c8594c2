#include "core/sync/sync_pass.hpp"

#include "codeyard/id.hpp"
#include "codeyard/sync_rule.hpp"
#include "core/files/file_ops.hpp"
#include "core/json_text.hpp"
#include "core/store/audit.hpp"
#include "core/store/items.hpp"
#include "core/store/manifests.hpp"
#include "core/store/pods.hpp"
#include "core/store/transact.hpp"
#include "core/store/workspaces.hpp"
#include "core/sync/sync_engine.hpp"
#include "core/sync/sync_ignore.hpp"
#include "core/try.hpp"

namespace codeyard::sync {
namespace {

constexpr int64_t kNsPerMs = 1000000;

bool IsDir(const FileEntry& e) { return e.kind == FileKind::kDirectory; }

ManifestEntry EntryFor(const WorkspaceItem& item, int64_t mtime_ns) {
  return ManifestEntry{item.path, item.kind, item.size, mtime_ns, item.sha256, item.version};
}

ManifestEntry EntryFor(const FileInfo& info, int64_t mtime_ns) {
  return ManifestEntry{info.path, info.kind, info.size, mtime_ns, info.sha256, info.version};
}

// Storage refused what the pod holds because of the path or a cap: report, do not fail. A
// stale lease is no refusal of the file: the pass must fail, this replica no longer holds the
// pod (faults21: reported as a skipped file, it hid a lost lease from the caller).
bool Refusal(const Error& e) {
  if (store::pods::IsStaleLease(e)) return false;
  return e.code() == Error::Code::kResourceExhausted ||
         e.code() == Error::Code::kFailedPrecondition || e.code() == Error::Code::kInvalidArgument;
}

// The rule behind a refusal, for SyncSkip::rule.
std::string RuleOf(const Error& e) {
  if (!e.limit().empty()) return e.limit();
  if (e.code() == Error::Code::kInvalidArgument) return "name";
  if (e.code() == Error::Code::kResourceExhausted) return "files.max_file_bytes";
  return "kind";
}

// Why the path rule refuses a path found in the pod, or nullopt when it is storable as is.
// A path the rule would rewrite (not NFC) is refused too: storing it under another name
// would leave the pod's original beside a copy, and the next pass would push the copy back.
std::optional<std::string> PodPathRefused(std::string_view path) {
  auto normal = NormalizePath(path);
  if (!normal) return normal.error().message();
  if (*normal != path) {
    return "files: path is not in Unicode NFC form (stored names are NFC); rename it in the pod";
  }
  return std::nullopt;
}

}  // namespace

SyncPass::SyncPass(Storage& storage, Logger& logger, const FileLimits& limits,
                   std::string_view workspace_id, Pod& pod, int64_t now_ms)
    : storage_(storage),
      logger_(logger),
      limits_(limits),
      workspace_id_(workspace_id),
      pod_(pod),
      now_ms_(now_ms) {}

void SyncPass::Skip(std::string path, std::string reason, std::string rule) {
  SyncSkip skip{std::move(path), std::move(reason), std::move(rule)};
  ++report_.skipped_total;
  if (skip.unstored()) ++report_.unstored;
  if (report_.skipped.size() < kMaxSyncSkipsListed) report_.skipped.push_back(std::move(skip));
}

Result<SyncReport> SyncPass::Run() {
  CY_CHECK(Load());
  Classify();
  SkipPastQuota();
  CY_CHECK(ReadChangedPodFiles());
  for (const auto& m : base_) next_[m.path] = m;
  ApplyPodRenames();
  // Deletions from the pod go first, so the room they free counts for what the pod created
  // (SkipPastQuota counted it). Then parents come before their children in map order, so
  // folders exist before their files.
  for (const auto& [path, st] : paths_) {
    if (!handled_.contains(path) && DeletedInPodOnly(st)) {
      CY_CHECK(Apply(path, st));
      handled_.insert(path);
    }
  }
  for (const auto& [path, st] : paths_) {
    if (!handled_.contains(path)) CY_CHECK(Apply(path, st));
  }
  CY_CHECK(SaveManifest());
  return report_;
}

Result<void> SyncPass::Load() {
  CY_CHECK(store::Transact(storage_, TxKind::kRead, [&](Transaction& tx) -> Result<void> {
    CY_TRY(base_, store::manifests::List(tx, workspace_id_));
    CY_TRY(stored_, store::items::List(tx, workspace_id_));
    auto rules =
        store::items::Get(tx, workspace_id_, kSyncIgnoreFile, store::items::Content::kLoad);
    ignore_text_ = rules ? rules->content : std::string();
    CY_TRY(const Workspace ws, store::workspaces::Get(tx, workspace_id_));
    CY_TRY(const store::workspaces::Usage usage, store::workspaces::UsageOf(tx, ws.owner_id));
    workspace_entries_ = ws.entry_count;
    user_entries_ = usage.entries;
    return {};
  }));
  ignore_ = SyncIgnore::Parse(ignore_text_);
  ListFilesOptions listing;
  listing.with_sha256 = false;  // hash only what changed
  listing.skip_dirs = ignore_.SkippableDirNames();
  CY_TRY(in_pod_, pod_.ListFiles(listing));
  return {};
}

void SyncPass::Classify() {
  const SyncIgnore& ignore = ignore_;
  for (const auto& m : base_) paths_[m.path].base = &m;
  for (const auto& s : stored_) paths_[s.path].stored = &s;
  std::vector<std::string> refused;
  for (const auto& p : in_pod_) {
    if (p.kind == FileKind::kSymlink) pod_links_.insert(p.path);
    if (ignore.Ignored(p.path, IsDir(p))) continue;
    if (auto why = PodPathRefused(p.path)) {
      Skip(p.path, std::move(*why), "name");
      refused.push_back(p.path);
      continue;
    }
    if (p.kind == FileKind::kSymlink) {
      Skip(p.path, "symlink (not synced)", "symlink");
      continue;
    }
    paths_[p.path].pod = &p;
  }
  // A refused pod path is left alone on both sides: not stored, and not deleted from the pod
  // or (if storage held it from before the rule) from storage.
  for (const auto& path : refused) paths_.erase(path);
  for (auto it = paths_.begin(); it != paths_.end();) {
    PathState& st = it->second;
    const bool is_dir = (st.pod != nullptr && IsDir(*st.pod)) ||
                        (st.stored != nullptr && st.stored->kind == ItemKind::kDir) ||
                        (st.base != nullptr && st.base->kind == ItemKind::kDir);
    if (ignore.Ignored(it->first, is_dir)) {
      it = paths_.erase(it);
      continue;
    }
    const ManifestEntry* m = st.base;
    if (m == nullptr) {
      st.pod_change = st.pod != nullptr ? Change::kCreated : Change::kNone;
      st.storage_change = st.stored != nullptr ? Change::kCreated : Change::kNone;
    } else {
      const bool m_dir = m->kind == ItemKind::kDir;
      if (st.pod == nullptr) {
        st.pod_change = Change::kDeleted;
      } else if (m_dir != IsDir(*st.pod) ||
                 (!m_dir && (st.pod->size != static_cast<uint64_t>(m->size) ||
                             st.pod->mtime_ns != m->mtime_ns))) {
        st.pod_change = Change::kChanged;
      }
      if (st.stored == nullptr) {
        st.storage_change = Change::kDeleted;
      } else if (m->kind != st.stored->kind || (!m_dir && (st.stored->version != m->item_version ||
                                                           st.stored->sha256 != m->sha256))) {
        // The content too, not only the version: a file deleted and written again through
        // the API starts again at version 1, so a version alone can match the manifest's
        // for another file (race21: a lost write, docs/architecture.md "Sync").
        st.storage_change = Change::kChanged;
      }
    }
    ++it;
  }
}

bool SyncPass::DeletedInPodOnly(const PathState& st) {
  return st.pod_change == Change::kDeleted && st.storage_change == Change::kNone &&
         st.stored != nullptr;
}

void SyncPass::SkipPastQuota() {
  // Items created in the pod are stored in path order (parents first) while the quotas have
  // room; the rest stay in the pod, reported, without a storage write each (a pod can hold
  // far more entries than the quota, and each refusal would cost a transaction).
  int64_t freed = 0;  // stored items this pass deletes (gone from the pod)
  for (const auto& [path, st] : paths_) {
    if (DeletedInPodOnly(st)) ++freed;
  }
  const int64_t workspace_room = limits_.max_workspace_entries - workspace_entries_ + freed;
  const int64_t user_room = limits_.max_user_entries - user_entries_ + freed;
  const int64_t room = std::min(workspace_room, user_room);
  const std::string rule =
      workspace_room <= user_room ? "files.max_workspace_entries" : "files.max_user_entries";
  int64_t created = 0;
  for (auto it = paths_.begin(); it != paths_.end();) {
    const PathState& st = it->second;
    if (st.pod_change != Change::kCreated || st.stored != nullptr || st.pod == nullptr) {
      ++it;
      continue;
    }
    if (++created <= room) {
      ++it;
      continue;
    }
    Skip(it->first,
         "files: not stored: the workspace is at its quota of files and folders (" + rule +
             "); delete some to make room",
         rule);
    it = paths_.erase(it);
  }
}

Result<void> SyncPass::ReadChangedPodFiles() {
  std::vector<std::string> wanted;
  for (auto it = paths_.begin(); it != paths_.end();) {
    const auto& [path, st] = *it;
    const bool present = st.pod_change == Change::kChanged || st.pod_change == Change::kCreated;
    if (present && st.pod != nullptr && !IsDir(*st.pod) &&
        st.pod->size > static_cast<uint64_t>(limits_.max_file_bytes)) {
      // Not read at all: the pod's version stays there and storage keeps what it had.
      Skip(path,
           "files: " + path + " is " + std::to_string(st.pod->size) +
               " bytes, over the per-file cap of " + std::to_string(limits_.max_file_bytes) +
               " bytes (files.max_file_bytes)",
           "files.max_file_bytes");
      it = paths_.erase(it);
      continue;
    }
    if (present && st.pod != nullptr && !IsDir(*st.pod)) wanted.push_back(path);
    ++it;
  }
  if (wanted.empty()) return {};
  std::vector<FileData> read;
  auto got = pod_.GetFiles(wanted);
  if (got) {
    read = std::move(*got);
  } else if (got.error().code() == Error::Code::kNotFound) {
    // Deleted in the pod since its listing: one by one, leaving the gone ones (unchanged on
    // both sides this pass) to the next pass, rather than failing the pass (race21).
    for (const std::string& path : wanted) {
      auto one = pod_.GetFiles(std::span<const std::string>(&path, 1));
      if (one) {
        for (auto& f : *one) read.push_back(std::move(f));
      } else if (one.error().code() == Error::Code::kNotFound) {
        paths_.erase(path);
      } else {
        return std::unexpected(one.error());
      }
    }
  } else {
    return std::unexpected(got.error());
  }
  for (auto& f : read) {
    report_.bytes_from_pod += f.content.size();
    pod_sha_[f.path] = Sha256Hex(f.content);
    content_[f.path] = std::move(f.content);
  }
  return {};
}

void SyncPass::ApplyPodRenames() {
  // A file gone from one path and new at another with the same content is a rename: move
  // the stored item, so it keeps its id and history.
  for (const auto& [from, st] : paths_) {
    if (st.pod_change != Change::kDeleted || st.storage_change != Change::kNone ||
        st.base == nullptr || st.base->kind != ItemKind::kFile) {
      continue;
    }
    for (const auto& [to, target] : paths_) {
      if (handled_.contains(to) || target.pod_change != Change::kCreated ||
          target.stored != nullptr || target.pod == nullptr || IsDir(*target.pod) ||
          pod_sha_[to] != st.base->sha256) {
        continue;
      }
      const int64_t mtime_ns = target.pod->mtime_ns;
      auto moved = store::Transact(storage_, TxKind::kWrite, [&](Transaction& tx) {
        return files::MovePath(tx, workspace_id_, from, to, st.base->item_version,
                               mtime_ns / kNsPerMs, limits_);
      });
      if (moved) {
        next_.erase(from);
        next_[to] = EntryFor(*moved, mtime_ns);
        ++report_.renamed_in_storage;
        handled_.insert(from);
        handled_.insert(to);
      }
      break;
    }
  }
}

Result<void> SyncPass::Apply(const std::string& path, const PathState& st) {
  const Change pc = st.pod_change;
  const Change sc = st.storage_change;
  if (pc == Change::kChanged && sc == Change::kNone && st.pod != nullptr && !IsDir(*st.pod) &&
      st.base != nullptr && st.base->kind == ItemKind::kFile && pod_sha_[path] == st.base->sha256) {
    next_[path].mtime_ns = st.pod->mtime_ns;  // touched, not changed
    return {};
  }
  // The pod plays the local side of the rule, storage the remote one.
  const SyncAction action = DecideSync(pc, sc);
  if ((action == SyncAction::kCopyToLocal || action == SyncAction::kDeleteLocal) &&
      UnderPodLink(path)) {
    // A pod-made link stands where storage has content: writing would go through the link
    // (refused by the pod's file API, failing every pass and so every exec). Leave both
    // sides as they are and say so each pass, like the symlink itself.
    Skip(path, "under a symlink in the pod (not synced)", "symlink");
    return {};
  }
  switch (action) {
    case SyncAction::kNothing:
      if (pc == Change::kDeleted && sc == Change::kDeleted) next_.erase(path);
      return {};
    case SyncAction::kCopyToRemote:
      // Changed in the pod only, or re-made there after a delete in storage: store it.
      if (st.pod == nullptr) return {};
      return Pull(path, *st.pod,
                  st.stored != nullptr ? std::optional<int64_t>(st.stored->version)
                                       : std::optional<int64_t>(0));
    case SyncAction::kCopyToLocal:
      if (st.stored == nullptr) return {};
      return Push(*st.stored);
    case SyncAction::kDeleteRemote:
      if (st.stored == nullptr) return {};
      return DeleteInStorage(path, *st.stored);
    case SyncAction::kDeleteLocal:
      return DeleteInPod(path);
    case SyncAction::kCompare:
      if (st.pod == nullptr || st.stored == nullptr) return {};
      return KeepBoth(path, st);  // both sides changed it
  }
  return {};
}

bool SyncPass::UnderPodLink(std::string_view path) const {
  for (size_t end = path.find('/'); end != std::string_view::npos; end = path.find('/', end + 1)) {
    if (pod_links_.contains(path.substr(0, end))) return true;
  }
  return pod_links_.contains(path);
}

Result<void> SyncPass::Pull(const std::string& path, const FileEntry& pod_entry,
                            std::optional<int64_t> expected) {
  auto pulled = store::Transact(storage_, TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
    FileInfo info;
    if (IsDir(pod_entry)) {
      CY_TRY(info, files::MakeDirs(tx, workspace_id_, path, now_ms_, limits_));
    } else {
      CY_TRY(info, files::WriteFile(tx, workspace_id_, path, content_[path], expected,
                                    pod_entry.mtime_ns / kNsPerMs, limits_));
    }
    next_[path] = EntryFor(info, pod_entry.mtime_ns);
    return {};
  });
  if (pulled) {
    ++report_.pulled;
    return {};
  }
  const Error& e = pulled.error();
  if (Refusal(e)) {
    Skip(path, e.message(), RuleOf(e));
    return {};
  }
  if (e.code() == Error::Code::kConflict || e.code() == Error::Code::kAlreadyExists) {
    // The API changed it between our reads and this write: the next pass sees both sides.
    Skip(path, "changed in storage during the sync; next pass", "busy");
    return {};
  }
  return std::unexpected(e);
}

Result<void> SyncPass::DeleteInPod(const std::string& path) {
  // The manifest forgets the path before the pod loses it, in a write of its own (fenced on
  // the lease like every write of a pass). Otherwise a pass that fails after this delete, or
  // a holder that lost the lease meanwhile (its pod calls are not fenced, its manifest write
  // is), leaves the manifest saying the pod still agrees on a file it no longer has: the
  // next pass reads that as "deleted in the pod" and deletes from storage whatever the API
  // wrote at that path since (race21). Forgotten first, the worst case is the reverse: the
  // delete fails, the next pass finds the file new in the pod and stores it again.
  auto forgot = store::Transact(storage_, TxKind::kWrite, [&](Transaction& tx) {
    return store::manifests::Remove(tx, workspace_id_, path);
  });
  if (!forgot) return std::unexpected(forgot.error());
  next_.erase(path);
  const std::vector<std::string> one = {path};
  CY_CHECK(pod_.DeleteFiles(one));
  ++report_.deleted_in_pod;
  return {};
}

Result<void> SyncPass::Push(const WorkspaceItem& item) {
  FileData data;
  data.path = item.path;
  data.kind = item.kind == ItemKind::kDir ? FileKind::kDirectory : FileKind::kFile;
  data.mode = item.kind == ItemKind::kDir ? 0755 : 0644;
  const int64_t mtime_ns = item.mtime * kNsPerMs;
  data.mtime_ns = mtime_ns;
  if (item.kind == ItemKind::kFile) {
    auto got = store::Transact(storage_, TxKind::kRead, [&](Transaction& tx) {
      return store::items::Get(tx, workspace_id_, item.path, store::items::Content::kLoad);
    });
    // Deleted through the API since the pass listed storage: nothing to push, and the
    // manifest keeps what was agreed, so the next pass sees the delete. Failing here would
    // end the pass half done, with the pod changed and the manifest not (race21).
    if (!got && got.error().code() == Error::Code::kNotFound) return {};
    CY_TRY(auto loaded, std::move(got));
    data.content = std::move(loaded.content);
    report_.bytes_to_pod += data.content.size();
    next_[item.path] = EntryFor(loaded, mtime_ns);
  } else {
    next_[item.path] = EntryFor(item, mtime_ns);
  }
  std::vector<FileData> one;
  one.push_back(std::move(data));
  CY_CHECK(pod_.PutFiles(one));
  ++report_.pushed;
  return {};
}

Result<void> SyncPass::DeleteInStorage(const std::string& path, const WorkspaceItem& item) {
  const std::optional<int64_t> expected =
      item.kind == ItemKind::kFile ? std::optional<int64_t>(item.version) : std::nullopt;
  bool kept = false;  // a folder holding something storage wrote since the last pass
  auto deleted = store::Transact(storage_, TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
    kept = false;
    if (item.kind == ItemKind::kDir) {
      CY_TRY(kept, WrittenUnder(tx, path));
      if (kept) return {};
    }
    return files::DeletePath(tx, workspace_id_, path, expected);
  });
  if (kept) return {};  // a write beats a delete: what is left under it is handled by path
  if (deleted || deleted.error().code() == Error::Code::kNotFound) {
    if (deleted) ++report_.deleted_in_storage;  // else: went with its folder
    next_.erase(path);
    return {};
  }
  // kConflict: edited through the API meanwhile; the next pass pushes the edit back.
  return deleted.error().code() == Error::Code::kConflict ? Result<void>()
                                                          : std::unexpected(deleted.error());
}

Result<bool> SyncPass::WrittenUnder(Transaction& tx, std::string_view dir) const {
  // A folder the pod deleted goes from storage with everything under it, so everything under
  // it must be what the manifest agreed on: a file the API wrote there (before this pass, or
  // during it: this reads inside the deleting transaction) keeps the folder (race21).
  const std::string prefix = std::string(dir) + "/";
  std::map<std::string_view, const ManifestEntry*> agreed;  // the manifest under `dir`
  for (const ManifestEntry& m : base_) {
    if (m.path.starts_with(prefix)) agreed[m.path] = &m;
  }
  CY_TRY(const std::vector<WorkspaceItem> all, store::items::List(tx, workspace_id_));
  for (const WorkspaceItem& it : all) {
    if (!it.path.starts_with(prefix)) continue;
    const auto found = agreed.find(it.path);
    const ManifestEntry* base = found == agreed.end() ? nullptr : found->second;
    if (base == nullptr || base->kind != it.kind ||
        (it.kind == ItemKind::kFile &&
         (base->item_version != it.version || base->sha256 != it.sha256))) {
      return true;
    }
  }
  return false;
}

Result<void> SyncPass::KeepBoth(const std::string& path, const PathState& st) {
  const FileEntry& pod_entry = *st.pod;
  const WorkspaceItem& item = *st.stored;
  const bool both_files = !IsDir(pod_entry) && item.kind == ItemKind::kFile;
  if ((both_files && pod_sha_[path] == item.sha256) ||
      (IsDir(pod_entry) && item.kind == ItemKind::kDir)) {
    next_[path] = EntryFor(item, pod_entry.mtime_ns);  // the same edit on both sides
    return {};
  }
  if (!both_files) {
    Skip(path, "a file on one side and a folder on the other", "kind");
    return {};
  }
  // Storage's version stays at the path; the pod's is saved beside it, on both sides.
  const std::string conflict = ConflictName(path, now_ms_);
  auto saved = store::Transact(storage_, TxKind::kWrite, [&](Transaction& tx) -> Result<FileInfo> {
    CY_TRY(auto info, files::WriteFile(tx, workspace_id_, conflict, content_[path], 0,
                                       pod_entry.mtime_ns / kNsPerMs, limits_));
    AuditEntry audit;
    audit.ts = now_ms_;
    audit.action = "sync.conflict";
    audit.target = workspace_id_;
    std::string detail = R"({"path":)";
    AppendJsonString(detail, path);
    detail += R"(,"conflict_path":)";
    AppendJsonString(detail, conflict);
    detail += "}";
    audit.detail = std::move(detail);
    CY_CHECK(store::audit::Append(tx, audit));
    return info;
  });
  if (!saved) {
    if (store::pods::IsStaleLease(saved.error())) return std::unexpected(saved.error());
    Skip(path, saved.error().message(), RuleOf(saved.error()));
    return {};
  }
  std::vector<FileData> copy(1);
  copy[0].path = conflict;
  copy[0].content = content_[path];
  copy[0].mtime_ns = pod_entry.mtime_ns;
  CY_CHECK(pod_.PutFiles(copy));
  next_[conflict] = EntryFor(*saved, pod_entry.mtime_ns);
  CY_CHECK(Push(item));
  report_.conflicts.push_back({path, conflict});
  logger_.Warn("sync conflict: kept both versions",
               {{"workspace", workspace_id_}, {"path", path}, {"conflict", conflict}});
  return {};
}

Result<void> SyncPass::SaveManifest() {
  std::vector<ManifestEntry> manifest;
  manifest.reserve(next_.size());
  for (auto& [path, entry] : next_) manifest.push_back(std::move(entry));
  if (manifest == base_) return {};  // a quiet pass writes nothing
  return store::Transact(storage_, TxKind::kWrite, [&](Transaction& tx) {
    return store::manifests::Replace(tx, workspace_id_, manifest);
  });
}

}  // namespace codeyard::sync
