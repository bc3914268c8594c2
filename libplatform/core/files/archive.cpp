// codeyard::Archives: plans an archive in one read transaction (ownership, the folder, its
// entries without content), then writes it entry by entry, each file read in a transaction of
// its own, so no transaction stays open while a slow reader takes the bytes.
#include "codeyard/archive.hpp"

#include "core/files/archive_zip.hpp"
#include "core/files/file_ops.hpp"
#include "core/store/items.hpp"
#include "core/store/transact.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

std::string_view BaseName(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// The zip's file name for a workspace name: characters that no file system objects to.
std::string ZipName(std::string_view name) {
  std::string out;
  for (const char c : name) {
    const bool bad = static_cast<unsigned char>(c) < 0x20 || c == '/' || c == '\\' || c == ':' ||
                     c == '"' || c == '*' || c == '?' || c == '<' || c == '>' || c == '|';
    out.push_back(bad ? '_' : c);
  }
  if (out.empty() || out == "." || out == "..") out = "workspace";
  return out + ".zip";
}

}  // namespace

Archives::Archives(std::shared_ptr<Platform> platform, std::shared_ptr<Files> files)
    : platform_(std::move(platform)), files_(std::move(files)) {}

Result<ArchivePlan> Archives::Plan(std::string_view user_id, std::string_view workspace_id,
                                   std::string_view dir) const {
  ArchivePlan plan;
  plan.user_id = std::string(user_id);
  plan.workspace_id = std::string(workspace_id);
  if (!dir.empty() && dir != "/") {
    CY_TRY(plan.root, NormalizePath(dir));
  }
  auto checked =
      store::Transact(platform_->storage(), TxKind::kRead, [&](Transaction& tx) -> Result<void> {
        CY_TRY(const Workspace workspace, files::OwnedWorkspace(tx, user_id, workspace_id));
        CY_TRY(std::vector<WorkspaceItem> items, store::items::List(tx, workspace_id));
        plan.entries.clear();
        plan.total_bytes = 0;
        bool root_seen = plan.root.empty();
        const std::string prefix = plan.root.empty() ? "" : plan.root + "/";
        for (const WorkspaceItem& item : items) {
          if (item.path == plan.root) {
            if (item.kind != ItemKind::kDir) {
              return Fail(Error::Code::kInvalidArgument,
                          "archive: '" + plan.root + "' is a file, not a folder");
            }
            root_seen = true;
            continue;
          }
          if (!item.path.starts_with(prefix)) continue;
          plan.entries.push_back(files::InfoOf(item));
          if (item.kind == ItemKind::kFile) plan.total_bytes += item.size;
        }
        if (!root_seen) {
          return Fail(Error::Code::kNotFound, "archive: no folder '" + plan.root + "'");
        }
        plan.file_name = ZipName(plan.root.empty() ? workspace.name : BaseName(plan.root));
        return {};
      });
  if (!checked) return Fail(checked.error());
  return plan;
}

Result<ArchiveStats> Archives::Write(const ArchivePlan& plan, const ArchiveSink& sink) const {
  ArchiveStats stats;
  files::ZipWriter zip(sink);
  // Names are relative to the folder's parent, so a folder's zip unpacks into that folder.
  const std::size_t strip = plan.root.empty() ? 0 : plan.root.size() - BaseName(plan.root).size();
  if (!plan.root.empty()) {
    CY_CHECK(zip.AddFolder(BaseName(plan.root), platform_->clock().NowMillis()));
    ++stats.folders;
  }
  for (const FileInfo& entry : plan.entries) {
    const std::string_view name = std::string_view(entry.path).substr(strip);
    if (entry.kind == ItemKind::kDir) {
      CY_CHECK(zip.AddFolder(name, entry.mtime));
      ++stats.folders;
      continue;
    }
    auto file = files_->Read(plan.user_id, plan.workspace_id, entry.path);
    if (!file && file.error().code() == Error::Code::kNotFound &&
        file.error().message().starts_with("files: ")) {
      ++stats.skipped;  // deleted since the plan
      continue;
    }
    if (!file && file.error().code() == Error::Code::kInvalidArgument) {
      ++stats.skipped;  // became a folder since the plan
      continue;
    }
    if (!file) return Fail(file.error());
    CY_CHECK(zip.AddFile(name, file->content, file->info.mtime));
    ++stats.files;
    stats.bytes_in += static_cast<int64_t>(file->content.size());
  }
  CY_CHECK(zip.Finish());
  stats.bytes_out = zip.bytes_out();
  return stats;
}

}  // namespace codeyard
