// Mount primitives the init assembles the pod's root file system from. Binds use the new
// mount API (open_tree + mount_setattr + move_mount): a whole tree is cloned, made
// read-only/nosuid/nodev recursively while still detached, and only then attached, so no
// writable window exists and submounts need no separate remount. The same calls work in
// rootless mode, inside the user namespace that owns the pod's mount namespace, where
// mount_setattr only ever adds flags and so never trips over the kernel's locked flags.
#pragma once

#include <sys/mount.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "codeyard/error.hpp"
#include "executor/local/pod/sys.hpp"

namespace codeyard::local::pod {

inline constexpr uint64_t kReadOnly = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;

// Mounts a fresh tmpfs on `target` (an existing directory).
[[nodiscard]] Result<void> MountTmpfs(const std::string& target, unsigned long flags,
                                      const std::string& options);

// Clones the tree at `source` (following a final symlink) with MOUNT_ATTR_* `attributes`
// set on every mount of it, and attaches the clone on `target`, an existing mount point.
[[nodiscard]] Result<void> BindTree(const std::string& source, const std::string& target,
                                    uint64_t attributes);

// The same, attaching on `name` in directory `parent` without following a symlink there.
[[nodiscard]] Result<void> BindTreeAt(const std::string& source, int parent,
                                      const std::string& name, uint64_t attributes);

// Adds MOUNT_ATTR_* `attributes` to the one mount at `path`.
[[nodiscard]] Result<void> SetMountAttributes(const std::string& path, uint64_t attributes);

// mkdir that accepts an existing directory.
[[nodiscard]] Result<void> MakeDir(const std::string& path, mode_t mode);

// An empty directory (or file) `name` in `parent` to mount a directory (or file) on; one
// already there is kept.
[[nodiscard]] Result<void> MakeMountPoint(int parent, const std::string& name, bool directory);

[[nodiscard]] Result<void> MakeSymlink(const std::string& target, const std::string& link);

// Opens the directory `relative` ("a/b/c") beneath `root`, creating missing components with
// mode 0755 and refusing every symlink on the way, so a configured path cannot lead a
// host-root process out of the pod's root.
[[nodiscard]] Result<UniqueFd> OpenDirBeneath(int root, std::string_view relative);

// Whether `path` names something (lstat: a dangling symlink counts).
[[nodiscard]] bool Exists(const std::string& path);

}  // namespace codeyard::local::pod
