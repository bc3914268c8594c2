#include "executor/local/pod/mounts.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "core/try.hpp"

namespace codeyard::local::pod {

Result<void> MountTmpfs(const std::string& target, unsigned long flags,
                        const std::string& options) {
  return Check(::mount("tmpfs", target.c_str(), "tmpfs", flags, options.c_str()),
               "mount tmpfs on " + target);
}

Result<void> BindTree(const std::string& source, const std::string& target, uint64_t attributes) {
  return BindTreeAt(source, AT_FDCWD, target, attributes);
}

Result<void> BindTreeAt(const std::string& source, int parent, const std::string& name,
                        uint64_t attributes) {
  const UniqueFd tree(
      ::open_tree(AT_FDCWD, source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
  if (!tree.valid()) return std::unexpected(SystemError("clone mount " + source));
  if (attributes != 0) {
    mount_attr attr{};
    attr.attr_set = attributes;
    CY_CHECK(
        Check(::mount_setattr(tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)),
              "set attributes of the bind of " + source));
  }
  return Check(::move_mount(tree.get(), "", parent, name.c_str(), MOVE_MOUNT_F_EMPTY_PATH),
               "bind " + source + " on " + name);
}

Result<void> SetMountAttributes(const std::string& path, uint64_t attributes) {
  mount_attr attr{};
  attr.attr_set = attributes;
  return Check(::mount_setattr(AT_FDCWD, path.c_str(), 0, &attr, sizeof(attr)),
               "set attributes of mount " + path);
}

Result<void> MakeDir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) == 0 || errno == EEXIST) return {};
  return std::unexpected(SystemError("mkdir " + path));
}

Result<void> MakeMountPoint(int parent, const std::string& name, bool directory) {
  if (directory) {
    if (::mkdirat(parent, name.c_str(), 0755) == 0 || errno == EEXIST) return {};
    return std::unexpected(SystemError("mkdir mount point " + name));
  }
  const UniqueFd file(
      ::openat(parent, name.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!file.valid()) return std::unexpected(SystemError("create mount point " + name));
  return {};
}

Result<void> MakeSymlink(const std::string& target, const std::string& link) {
  return Check(::symlink(target.c_str(), link.c_str()), "symlink " + link + " -> " + target);
}

Result<UniqueFd> OpenDirBeneath(int root, std::string_view relative) {
  UniqueFd current(::fcntl(root, F_DUPFD_CLOEXEC, 3));
  if (!current.valid()) return std::unexpected(SystemError("dup"));
  while (!relative.empty()) {
    const size_t slash = relative.find('/');
    const std::string name(relative.substr(0, slash));
    relative = slash == std::string_view::npos ? std::string_view() : relative.substr(slash + 1);
    if (::mkdirat(current.get(), name.c_str(), 0755) != 0 && errno != EEXIST) {
      return std::unexpected(SystemError("mkdir " + name));
    }
    UniqueFd next(
        ::openat(current.get(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next.valid()) return std::unexpected(SystemError("open directory " + name));
    current = std::move(next);
  }
  return current;
}

bool Exists(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}

}  // namespace codeyard::local::pod
