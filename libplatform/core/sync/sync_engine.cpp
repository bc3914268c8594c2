#include "core/sync/sync_engine.hpp"

#include <ctime>

#include "core/store/items.hpp"
#include "core/store/manifests.hpp"
#include "core/store/transact.hpp"
#include "core/sync/sync_pass.hpp"
#include "core/try.hpp"

namespace codeyard::sync {
namespace {

constexpr int64_t kNsPerMs = 1000000;

ManifestEntry EntryFor(const WorkspaceItem& item, int64_t mtime_ns) {
  return ManifestEntry{item.path, item.kind, item.size, mtime_ns, item.sha256, item.version};
}

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
  SyncPass pass(storage_, logger_, limits_, workspace_id, pod, clock_.NowMillis());
  return pass.Run();
}

}  // namespace codeyard::sync
