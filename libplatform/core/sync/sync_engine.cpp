#include "core/sync/sync_engine.hpp"

#include <ctime>
#include <map>
#include <set>

#include "codeyard/id.hpp"
#include "core/files/file_ops.hpp"
#include "core/json_text.hpp"
#include "core/store/audit.hpp"
#include "core/store/items.hpp"
#include "core/store/manifests.hpp"
#include "core/store/transact.hpp"
#include "core/sync/sync_ignore.hpp"
#include "core/try.hpp"

namespace codeyard::sync {
namespace {

constexpr int64_t kNsPerMs = 1000000;

enum class Change { kNone, kChanged, kCreated, kDeleted };

// One path as seen on each side, with what changed since the manifest.
struct PathState {
  const ManifestEntry* base = nullptr;
  const FileEntry* pod = nullptr;
  const WorkspaceItem* stored = nullptr;
  Change pod_change = Change::kNone;
  Change storage_change = Change::kNone;
};

bool IsDir(const FileEntry& e) { return e.kind == FileKind::kDirectory; }

Change PodChange(const ManifestEntry* m, const FileEntry* p) {
  if (m == nullptr) return p == nullptr ? Change::kNone : Change::kCreated;
  if (p == nullptr) return Change::kDeleted;
  const bool m_dir = m->kind == ItemKind::kDir;
  if (m_dir != IsDir(*p)) return Change::kChanged;
  if (m_dir) return Change::kNone;
  return p->size == static_cast<uint64_t>(m->size) && p->mtime_ns == m->mtime_ns ? Change::kNone
                                                                                 : Change::kChanged;
}

Change StorageChange(const ManifestEntry* m, const WorkspaceItem* s) {
  if (m == nullptr) return s == nullptr ? Change::kNone : Change::kCreated;
  if (s == nullptr) return Change::kDeleted;
  if (m->kind != s->kind) return Change::kChanged;
  if (s->kind == ItemKind::kDir) return Change::kNone;
  return s->version == m->item_version ? Change::kNone : Change::kChanged;
}

ManifestEntry EntryFor(const WorkspaceItem& item, int64_t mtime_ns) {
  return ManifestEntry{item.path, item.kind, item.size, mtime_ns, item.sha256, item.version};
}

ManifestEntry EntryFor(const FileInfo& info, int64_t mtime_ns) {
  return ManifestEntry{info.path, info.kind, info.size, mtime_ns, info.sha256, info.version};
}

bool Present(Change c) { return c == Change::kChanged || c == Change::kCreated; }

}  // namespace

std::string ConflictName(std::string_view path, int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
  const auto slash = path.rfind('/');
  const auto dot = path.rfind('.');
  // An extension is a dot inside the last name, not at its start (".bashrc" has none).
  const bool has_ext = dot != std::string_view::npos &&
                       (slash == std::string_view::npos ? dot > 0 : dot > slash + 1);
  std::string out(has_ext ? path.substr(0, dot) : path);
  out += ".conflict-";
  out += stamp;
  if (has_ext) out += path.substr(dot);
  return out;
}

SyncEngine::SyncEngine(Storage& storage, Clock& clock, Logger& logger, FileLimits limits)
    : storage_(storage), clock_(clock), logger_(logger), limits_(limits) {}

Result<SyncReport> SyncEngine::Seed(std::string_view workspace_id, Pod& pod) {
  std::vector<WorkspaceItem> items;
  CY_CHECK(store::Transact(storage_, TxKind::kRead, [&](Transaction& tx) -> Result<void> {
    CY_TRY(auto listed, store::items::List(tx, workspace_id));
    items.clear();
    items.reserve(listed.size());
    for (auto& item : listed) {
      if (item.kind == ItemKind::kFile) {
        CY_TRY(item, store::items::Get(tx, workspace_id, item.path, store::items::Content::kLoad));
      }
      items.push_back(std::move(item));
    }
    return {};
  }));
  SyncReport report;
  std::vector<FileData> files;
  std::vector<ManifestEntry> manifest;
  files.reserve(items.size());
  manifest.reserve(items.size());
  for (auto& item : items) {
    const int64_t mtime_ns = item.mtime * kNsPerMs;
    manifest.push_back(EntryFor(item, mtime_ns));
    FileData data;
    data.path = item.path;
    data.kind = item.kind == ItemKind::kDir ? FileKind::kDirectory : FileKind::kFile;
    data.mode = item.kind == ItemKind::kDir ? 0755 : 0644;
    data.mtime_ns = mtime_ns;
    report.bytes_to_pod += item.content.size();
    data.content = std::move(item.content);
    files.push_back(std::move(data));
  }
  CY_CHECK(pod.PutFiles(files));
  report.pushed = static_cast<int>(files.size());
  CY_CHECK(store::Transact(storage_, TxKind::kWrite, [&](Transaction& tx) {
    return store::manifests::Replace(tx, workspace_id, manifest);
  }));
  return report;
}

Result<SyncReport> SyncEngine::Sync(std::string_view workspace_id, Pod& pod) {
  SyncReport report;
  // 1. What each side holds, and what they agreed on last time.
  std::vector<ManifestEntry> base;
  std::vector<WorkspaceItem> stored;
  std::string ignore_text;
  CY_CHECK(store::Transact(storage_, TxKind::kRead, [&](Transaction& tx) -> Result<void> {
    CY_TRY(base, store::manifests::List(tx, workspace_id));
    CY_TRY(stored, store::items::List(tx, workspace_id));
    auto rules = store::items::Get(tx, workspace_id, kSyncIgnoreFile, store::items::Content::kLoad);
    ignore_text = rules ? rules->content : std::string();
    return {};
  }));
  const SyncIgnore ignore = SyncIgnore::Parse(ignore_text);
  ListFilesOptions listing;
  listing.with_sha256 = false;  // hash only what changed
  listing.skip_dirs = ignore.SkippableDirNames();
  CY_TRY(auto in_pod, pod.ListFiles(listing));

  std::map<std::string, PathState, std::less<>> paths;
  for (const auto& m : base) paths[m.path].base = &m;
  for (const auto& s : stored) paths[s.path].stored = &s;
  for (const auto& p : in_pod) {
    if (p.kind == FileKind::kSymlink) {
      if (!ignore.Ignored(p.path, false))
        report.skipped.push_back({p.path, "symlink (not synced)"});
      continue;
    }
    paths[p.path].pod = &p;
  }
  std::vector<std::string> to_read;  // pod files whose content is needed
  for (auto it = paths.begin(); it != paths.end();) {
    PathState& st = it->second;
    const bool is_dir = (st.pod != nullptr && IsDir(*st.pod)) ||
                        (st.stored != nullptr && st.stored->kind == ItemKind::kDir) ||
                        (st.base != nullptr && st.base->kind == ItemKind::kDir);
    if (ignore.Ignored(it->first, is_dir)) {
      it = paths.erase(it);
      continue;
    }
    st.pod_change = PodChange(st.base, st.pod);
    st.storage_change = StorageChange(st.base, st.stored);
    if (Present(st.pod_change) && !IsDir(*st.pod)) to_read.push_back(it->first);
    ++it;
  }

  // 2. Read what changed in the pod, and drop changes that only touched mtime.
  std::map<std::string, std::string, std::less<>> content;
  if (!to_read.empty()) {
    CY_TRY(auto read, pod.GetFiles(to_read));
    for (auto& f : read) {
      report.bytes_from_pod += f.content.size();
      content[f.path] = std::move(f.content);
    }
  }
  std::map<std::string, std::string, std::less<>> pod_sha;
  for (const auto& [path, bytes] : content) pod_sha[path] = Sha256Hex(bytes);

  std::map<std::string, ManifestEntry, std::less<>> next;  // the manifest after this pass
  for (const auto& m : base) next[m.path] = m;
  const int64_t now = clock_.NowMillis();

  const auto pull = [&](const std::string& path, const FileEntry& p,
                        std::optional<int64_t> expected) -> Result<void> {
    return store::Transact(storage_, TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
      FileInfo info;
      if (IsDir(p)) {
        CY_TRY(info, files::MakeDirs(tx, workspace_id, path, now));
      } else {
        CY_TRY(info, files::WriteFile(tx, workspace_id, path, content[path], expected,
                                      p.mtime_ns / kNsPerMs, limits_));
      }
      next[path] = EntryFor(info, p.mtime_ns);
      return {};
    });
  };
  const auto push = [&](const WorkspaceItem& s) -> Result<void> {
    FileData data;
    data.path = s.path;
    data.kind = s.kind == ItemKind::kDir ? FileKind::kDirectory : FileKind::kFile;
    data.mode = s.kind == ItemKind::kDir ? 0755 : 0644;
    data.mtime_ns = s.mtime * kNsPerMs;
    if (s.kind == ItemKind::kFile) {
      CY_TRY(auto loaded, store::Transact(storage_, TxKind::kRead, [&](Transaction& tx) {
               return store::items::Get(tx, workspace_id, s.path, store::items::Content::kLoad);
             }));
      data.content = std::move(loaded.content);
      report.bytes_to_pod += data.content.size();
      next[s.path] = EntryFor(loaded, *data.mtime_ns);
    } else {
      next[s.path] = EntryFor(s, *data.mtime_ns);
    }
    std::vector<FileData> one;
    one.push_back(std::move(data));
    CY_CHECK(pod.PutFiles(one));
    ++report.pushed;
    return {};
  };
  const auto skip = [&](const std::string& path, const Error& error) {
    report.skipped.push_back({path, error.message()});
  };

  // 3. Renames in the pod: a file gone from one path and new at another with the same
  // content moves the stored item instead of deleting and re-creating it.
  std::set<std::string, std::less<>> handled;
  for (auto& [from, st] : paths) {
    if (st.pod_change != Change::kDeleted || st.storage_change != Change::kNone ||
        st.base == nullptr || st.base->kind != ItemKind::kFile) {
      continue;
    }
    for (auto& [to, target] : paths) {
      if (handled.contains(to) || target.pod_change != Change::kCreated ||
          target.stored != nullptr || target.base != nullptr || IsDir(*target.pod) ||
          pod_sha[to] != st.base->sha256) {
        continue;
      }
      auto moved = store::Transact(storage_, TxKind::kWrite, [&](Transaction& tx) {
        return files::MovePath(tx, workspace_id, from, to, st.base->item_version,
                               target.pod->mtime_ns / kNsPerMs);
      });
      if (moved) {
        next.erase(from);
        next[to] = EntryFor(*moved, target.pod->mtime_ns);
        ++report.renamed_in_storage;
        handled.insert(from);
        handled.insert(to);
      }
      break;
    }
  }

  // 4. Every other path, parents before children (map order).
  for (auto& [path, st] : paths) {
    if (handled.contains(path)) continue;
    const Change pc = st.pod_change;
    const Change sc = st.storage_change;
    if (pc == Change::kNone && sc == Change::kNone) continue;
    if (pc == Change::kChanged && sc == Change::kNone && !IsDir(*st.pod) &&
        st.base->kind == ItemKind::kFile && pod_sha[path] == st.base->sha256) {
      next[path].mtime_ns = st.pod->mtime_ns;  // touched, not changed
      continue;
    }
    if (Present(pc) && (sc == Change::kNone || sc == Change::kDeleted)) {
      // Changed in the pod only (or re-created there after a delete in storage): store it.
      const std::optional<int64_t> expected = st.stored != nullptr
                                                  ? std::optional<int64_t>(st.stored->version)
                                                  : std::optional<int64_t>(0);
      if (auto pulled = pull(path, *st.pod, expected); pulled) {
        ++report.pulled;
      } else if (pulled.error().code() == Error::Code::kResourceExhausted ||
                 pulled.error().code() == Error::Code::kFailedPrecondition ||
                 pulled.error().code() == Error::Code::kInvalidArgument) {
        skip(path, pulled.error());
      } else if (pulled.error().code() != Error::Code::kConflict &&
                 pulled.error().code() != Error::Code::kAlreadyExists) {
        return std::unexpected(pulled.error());
      } else {
        skip(path, Error(Error::Code::kConflict, "changed in storage during the sync; next pass"));
      }
      continue;
    }
    if (Present(sc) && (pc == Change::kNone || pc == Change::kDeleted)) {
      // Changed in storage only (or re-created there after a delete in the pod): push it.
      CY_CHECK(push(*st.stored));
      continue;
    }
    if (pc == Change::kDeleted && sc == Change::kNone) {
      auto deleted = store::Transact(storage_, TxKind::kWrite, [&](Transaction& tx) {
        return files::DeletePath(tx, workspace_id, path,
                                 st.stored->kind == ItemKind::kFile
                                     ? std::optional<int64_t>(st.stored->version)
                                     : std::nullopt);
      });
      if (deleted || deleted.error().code() == Error::Code::kNotFound) {
        if (deleted) ++report.deleted_in_storage;
        next.erase(path);
      } else if (deleted.error().code() != Error::Code::kConflict) {
        return std::unexpected(deleted.error());
      }
      continue;
    }
    if (sc == Change::kDeleted && pc == Change::kNone) {
      const std::vector<std::string> one = {path};
      CY_CHECK(pod.DeleteFiles(one));
      ++report.deleted_in_pod;
      next.erase(path);
      continue;
    }
    if (pc == Change::kDeleted && sc == Change::kDeleted) {
      next.erase(path);
      continue;
    }
    // Both sides changed it.
    const bool both_files = !IsDir(*st.pod) && st.stored->kind == ItemKind::kFile;
    if (both_files && pod_sha[path] == st.stored->sha256) {
      next[path] = EntryFor(*st.stored, st.pod->mtime_ns);  // the same edit on both sides
      continue;
    }
    if (IsDir(*st.pod) && st.stored->kind == ItemKind::kDir) {
      next[path] = EntryFor(*st.stored, st.pod->mtime_ns);
      continue;
    }
    if (!both_files) {
      report.skipped.push_back({path, "a file on one side and a folder on the other"});
      continue;
    }
    // Keep both: storage's version stays at the path, the pod's is saved beside it.
    const std::string conflict = ConflictName(path, now);
    auto saved =
        store::Transact(storage_, TxKind::kWrite, [&](Transaction& tx) -> Result<FileInfo> {
          CY_TRY(auto info, files::WriteFile(tx, workspace_id, conflict, content[path], 0,
                                             st.pod->mtime_ns / kNsPerMs, limits_));
          AuditEntry audit;
          audit.ts = now;
          audit.action = "sync.conflict";
          audit.target = std::string(workspace_id);
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
      skip(path, saved.error());
      continue;
    }
    std::vector<FileData> copy(1);
    copy[0].path = conflict;
    copy[0].content = content[path];
    copy[0].mtime_ns = st.pod->mtime_ns;
    CY_CHECK(pod.PutFiles(copy));
    next[conflict] = EntryFor(*saved, st.pod->mtime_ns);
    CY_CHECK(push(*st.stored));
    report.conflicts.push_back({path, conflict});
    logger_.Warn(
        "sync conflict: kept both versions",
        {{"workspace", std::string(workspace_id)}, {"path", path}, {"conflict", conflict}});
  }

  // 5. Record what both sides now agree on.
  std::vector<ManifestEntry> manifest;
  manifest.reserve(next.size());
  for (auto& [path, entry] : next) manifest.push_back(std::move(entry));
  if (manifest == base) return report;  // a quiet pass writes nothing
  CY_CHECK(store::Transact(storage_, TxKind::kWrite, [&](Transaction& tx) {
    return store::manifests::Replace(tx, workspace_id, manifest);
  }));
  return report;
}

}  // namespace codeyard::sync
