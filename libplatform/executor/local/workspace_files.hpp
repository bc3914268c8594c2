// File access to a pod's workspace from the host, through a directory fd the pod's init
// handed over. Every path is walked one component at a time with O_NOFOLLOW, so nothing a
// program in the pod does (symlinks to /etc, swapping a directory for a link mid-walk)
// can make the host read or write outside the workspace: a path through a symlink is
// refused with kPermissionDenied. New files belong to the pod's user. Thread-safe: the
// object only holds the directory fd and the owner ids.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/backend/executor.hpp"

namespace codeyard::local {

class WorkspaceFiles {
 public:
  // Takes ownership of `dir_fd`. Files are created owned by uid:gid.
  WorkspaceFiles(int dir_fd, uint32_t uid, uint32_t gid);
  WorkspaceFiles(const WorkspaceFiles&) = delete;
  WorkspaceFiles& operator=(const WorkspaceFiles&) = delete;
  ~WorkspaceFiles();

  Result<void> Put(std::span<const FileData> files) const;
  Result<std::vector<FileData>> Get(std::span<const std::string> paths) const;
  Result<void> Delete(std::span<const std::string> paths) const;
  Result<std::vector<FileEntry>> List(const ListFilesOptions& options) const;

  // Largest file Get reads, and most entries List returns, before kResourceExhausted.
  static constexpr uint64_t kMaxReadBytes = uint64_t{256} << 20;
  static constexpr size_t kMaxEntries = 200000;

 private:
  int dir_fd_;
  uint32_t uid_;
  uint32_t gid_;
};

// Splits a workspace-relative path into components. kInvalidArgument for an empty or
// absolute path, "." or ".." components, empty components, NUL bytes, or a component
// longer than 255 bytes.
Result<std::vector<std::string>> SplitWorkspacePath(std::string_view path);

}  // namespace codeyard::local
