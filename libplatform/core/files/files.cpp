// codeyard::Files: normalizes paths, checks ownership and runs the file operations of
// file_ops.hpp in a retried transaction. Every change also records activity on the
// workspace, which is what keeps its pod from being stopped as idle.
#include "codeyard/files.hpp"

#include "core/files/file_ops.hpp"
#include "core/files/pages.hpp"
#include "core/store/items.hpp"
#include "core/store/transact.hpp"
#include "core/store/workspaces.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

// Runs `op(tx, now)` in a write transaction on a workspace the user owns, then records the
// activity. `now` is read once per attempt, so a retried change carries a fresh time.
template <class Op>
auto Change(Platform& platform, std::string_view user_id, std::string_view workspace_id, Op&& op)
    -> decltype(op(std::declval<Transaction&>(), int64_t{})) {
  using R = decltype(op(std::declval<Transaction&>(), int64_t{}));
  return store::Transact(platform.storage(), TxKind::kWrite, [&](Transaction& tx) -> R {
    CY_CHECK(files::OwnedWorkspace(tx, user_id, workspace_id));
    const int64_t now = platform.clock().NowMillis();
    R result = op(tx, now);
    if (!result) return result;
    CY_CHECK(store::workspaces::Touch(tx, workspace_id, now));
    return result;
  });
}

}  // namespace

Files::Files(std::shared_ptr<Platform> platform, FileLimits limits)
    : owner_(std::move(platform)), platform_(*owner_), limits_(limits) {}

Result<std::vector<FileInfo>> Files::Tree(std::string_view user_id,
                                          std::string_view workspace_id) const {
  return store::Transact(
      platform_.storage(), TxKind::kRead, [&](Transaction& tx) -> Result<std::vector<FileInfo>> {
        CY_CHECK(files::OwnedWorkspace(tx, user_id, workspace_id));
        CY_TRY(const std::vector<WorkspaceItem> all, store::items::List(tx, workspace_id));
        std::vector<FileInfo> out;
        out.reserve(all.size());
        for (const WorkspaceItem& item : all) out.push_back(files::InfoOf(item));
        return out;
      });
}

Result<Page<FileInfo>> Files::Tree(std::string_view user_id, std::string_view workspace_id,
                                   const PageRequest& page) const {
  CY_CHECK(files::CheckPageLimit(page));
  CY_TRY(const std::optional<std::string> after, files::DecodeCursor("t", page.cursor));
  return store::Transact(platform_.storage(), TxKind::kRead,
                         [&](Transaction& tx) -> Result<Page<FileInfo>> {
                           CY_CHECK(files::OwnedWorkspace(tx, user_id, workspace_id));
                           // One row more than asked tells whether another page follows.
                           CY_TRY(std::vector<WorkspaceItem> rows,
                                  store::items::ListAfter(tx, workspace_id, after, page.limit + 1));
                           Page<FileInfo> out;
                           const bool more = static_cast<int64_t>(rows.size()) > page.limit;
                           if (more) rows.resize(static_cast<std::size_t>(page.limit));
                           out.items.reserve(rows.size());
                           for (const WorkspaceItem& item : rows)
                             out.items.push_back(files::InfoOf(item));
                           if (more)
                             out.next_cursor = files::EncodeCursor("t", out.items.back().path);
                           return out;
                         });
}

Result<FileContent> Files::Read(std::string_view user_id, std::string_view workspace_id,
                                std::string_view path) const {
  CY_TRY(const std::string norm, NormalizePath(path));
  return store::Transact(platform_.storage(), TxKind::kRead,
                         [&](Transaction& tx) -> Result<FileContent> {
                           CY_CHECK(files::OwnedWorkspace(tx, user_id, workspace_id));
                           return files::ReadFile(tx, workspace_id, norm);
                         });
}

Result<FileInfo> Files::Write(std::string_view user_id, std::string_view workspace_id,
                              std::string_view path, std::string_view content,
                              std::optional<int64_t> expected_version) {
  CY_TRY(const std::string norm, NormalizePath(path));
  return Change(platform_, user_id, workspace_id, [&](Transaction& tx, int64_t now) {
    return files::WriteFile(tx, workspace_id, norm, content, expected_version, now, limits_);
  });
}

Result<FileInfo> Files::MakeDir(std::string_view user_id, std::string_view workspace_id,
                                std::string_view path) {
  CY_TRY(const std::string norm, NormalizePath(path));
  return Change(platform_, user_id, workspace_id, [&](Transaction& tx, int64_t now) {
    return files::MakeDirs(tx, workspace_id, norm, now, limits_);
  });
}

Result<void> Files::Delete(std::string_view user_id, std::string_view workspace_id,
                           std::string_view path, std::optional<int64_t> expected_version) {
  CY_TRY(const std::string norm, NormalizePath(path));
  return Change(platform_, user_id, workspace_id, [&](Transaction& tx, int64_t /*now*/) {
    return files::DeletePath(tx, workspace_id, norm, expected_version);
  });
}

Result<FileInfo> Files::Move(std::string_view user_id, std::string_view workspace_id,
                             std::string_view from, std::string_view to,
                             std::optional<int64_t> expected_version) {
  CY_TRY(const std::string norm_from, NormalizePath(from));
  CY_TRY(const std::string norm_to, NormalizePath(to));
  return Change(platform_, user_id, workspace_id, [&](Transaction& tx, int64_t now) {
    return files::MovePath(tx, workspace_id, norm_from, norm_to, expected_version, now, limits_);
  });
}

}  // namespace codeyard
