#include "executor/local/pod/root_fs.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>

#include "core/try.hpp"
#include "executor/local/pod/mounts.hpp"

namespace codeyard::local::pod {
namespace {

// Host top-level entries that merged-/usr systems make symlinks into /usr.
constexpr std::array<const char*, 6> kSystemEntries = {"bin",   "sbin",  "lib",
                                                       "lib32", "lib64", "libx32"};

// /etc entries programs need (the dynamic loader's cache, alternatives symlinks behind
// cc/c++/python, time zone, CA certificates, fonts and matplotlib's defaults), from the host
// or the image; bound read-only when present.
constexpr std::array<const char*, 12> kEtcBinds = {
    "ld.so.cache",     "ld.so.conf", "ld.so.conf.d", "alternatives", "localtime",    "ssl",
    "ca-certificates", "python3",    "python3.11",   "mime.types",   "matplotlibrc", "fonts"};

constexpr std::array<const char*, 6> kDevices = {"null",   "zero",    "full",
                                                 "random", "urandom", "tty"};

// /proc files that describe or reach the host kernel beyond what the pid namespace hides.
constexpr std::array<const char*, 4> kMaskedProcFiles = {"kcore", "sysrq-trigger", "timer_list",
                                                         "sched_debug"};

std::string SizeOption(uint64_t bytes) {
  return bytes == 0 ? std::string() : ",size=" + std::to_string(bytes);
}

Result<UniqueFd> OpenPath(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return std::unexpected(SystemError("open " + dir));
  return fd;
}

// Binds host `source` with MOUNT_ATTR_* `attributes` on `name` in `parent`; a source that
// does not exist (or is a dangling symlink) is skipped.
Result<void> BindIfPresent(const std::string& source, int parent, const std::string& name,
                           uint64_t attributes) {
  struct stat info {};
  if (::stat(source.c_str(), &info) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return {};
    return std::unexpected(SystemError("stat " + source));
  }
  CY_CHECK(MakeMountPoint(parent, name, S_ISDIR(info.st_mode)));
  return BindTreeAt(source, parent, name, attributes);
}

// The system's files come from `source`: "" for the host's own, else an image's root.
Result<void> MountSystem(const std::string& root, const std::string& source) {
  CY_CHECK(MakeDir(root + "/usr", 0755));
  CY_CHECK(BindTree(source + "/usr", root + "/usr", kReadOnly));
  for (const char* name : kSystemEntries) {
    const std::string entry = std::string("/") + name;
    const std::string from = source + entry;
    struct stat info {};
    if (::lstat(from.c_str(), &info) != 0) continue;
    if (S_ISLNK(info.st_mode)) {
      std::array<char, PATH_MAX> target{};
      const ssize_t length = ::readlink(from.c_str(), target.data(), target.size() - 1);
      if (length < 0) return std::unexpected(SystemError("readlink " + from));
      CY_CHECK(MakeSymlink(std::string(target.data(), static_cast<size_t>(length)), root + entry));
    } else if (S_ISDIR(info.st_mode)) {
      CY_CHECK(MakeDir(root + entry, 0755));
      CY_CHECK(BindTree(from, root + entry, kReadOnly));
    }
  }
  return {};
}

// An image's root, under a shared lock on its manifest held by this init (PID 1) for the
// pod's whole life: `codeyard image rm` takes the lock exclusively and so refuses an image a
// pod is using (deleting the files would pull them from under the pod's binds).
Result<std::string> LockImage(const std::string& image_dir) {
  const std::string manifest = image_dir + "/manifest.json";
  // Deliberately never closed: the lock lasts until the init exits. O_CLOEXEC keeps it
  // from the pod's programs.
  const int fd = ::open(manifest.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(SystemError("open the image manifest " + manifest));
  if (::flock(fd, LOCK_SH) != 0) {
    return std::unexpected(SystemError("lock the image manifest " + manifest));
  }
  // `image rm` renames the directory away before unlocking: a pod that waited on the lock
  // finds no root and fails here rather than binding a tree being deleted.
  const std::string root = image_dir + "/root";
  if (!Exists(root + "/usr")) {
    return Fail(Error::Code::kNotFound, "image root " + root + " is gone (image removed?)");
  }
  return root;
}

Result<void> BuildEtc(const std::string& root, const std::string& source, const PodConfig& config) {
  const std::string etc = root + "/etc";
  CY_CHECK(MakeDir(etc, 0755));
  CY_CHECK(WriteEtcFiles(etc, config));
  CY_TRY(const UniqueFd dir, OpenPath(etc));
  if (config.network && Exists("/etc/resolv.conf")) {
    CY_CHECK(BindIfPresent("/etc/resolv.conf", dir.get(), "resolv.conf", kReadOnly));
  }
  // Without network (or a host resolv.conf) an empty file: the resolver then fails fast.
  if (!Exists(etc + "/resolv.conf")) CY_CHECK(WriteNew(etc + "/resolv.conf", "", 0644));
  for (const char* name : kEtcBinds) {
    CY_CHECK(BindIfPresent(source + "/etc/" + name, dir.get(), name, kReadOnly));
  }
  return {};
}

Result<void> BuildDev(const std::string& root, uint64_t shm_bytes) {
  const std::string dev = root + "/dev";
  CY_CHECK(MakeDir(dev, 0755));
  CY_CHECK(MountTmpfs(dev, MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k"));
  CY_TRY(const UniqueFd dir, OpenPath(dev));
  for (const char* name : kDevices) {
    CY_CHECK(BindIfPresent(std::string("/dev/") + name, dir.get(), name,
                           MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC));
  }
  // A private devpts instance: the pod sees only its own terminals, and ptmx is usable by
  // the pod user (ptmxmode) without a tty group (no gid option).
  CY_CHECK(MakeDir(dev + "/pts", 0755));
  CY_CHECK(Check(::mount("devpts", (dev + "/pts").c_str(), "devpts", MS_NOSUID | MS_NOEXEC,
                         "newinstance,ptmxmode=0666,mode=0620"),
                 "mount devpts on " + dev + "/pts"));
  CY_CHECK(MakeSymlink("pts/ptmx", dev + "/ptmx"));
  CY_CHECK(MakeDir(dev + "/shm", 01777));
  CY_CHECK(MountTmpfs(dev + "/shm", MS_NOSUID | MS_NODEV, "mode=1777" + SizeOption(shm_bytes)));
  CY_CHECK(MakeSymlink("/proc/self/fd", dev + "/fd"));
  CY_CHECK(MakeSymlink("/proc/self/fd/0", dev + "/stdin"));
  CY_CHECK(MakeSymlink("/proc/self/fd/1", dev + "/stdout"));
  CY_CHECK(MakeSymlink("/proc/self/fd/2", dev + "/stderr"));
  // Read-only once populated (pts and shm are mounts of their own and stay writable): in
  // rootless mode the pod user owns this tmpfs and could otherwise swap /dev/ptmx or null.
  return SetMountAttributes(dev, MOUNT_ATTR_RDONLY);
}

// The init is PID 1 of the new pid namespace, so this proc shows the pod's processes only.
Result<void> BuildProc(const std::string& root) {
  const std::string proc = root + "/proc";
  CY_CHECK(MakeDir(proc, 0555));
  CY_CHECK(Check(::mount("proc", proc.c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr),
                 "mount proc on " + proc));
  CY_CHECK(BindTree(proc + "/sys", proc + "/sys", kReadOnly | MOUNT_ATTR_NOEXEC));
  for (const char* name : kMaskedProcFiles) {
    const std::string path = proc + "/" + name;
    if (Exists(path)) CY_CHECK(BindTree(root + "/dev/null", path, kReadOnly | MOUNT_ATTR_NOEXEC));
  }
  return {};
}

// The pod's own memory cgroup, read-only, where a container runtime mounts it: the pod's
// programs (`codeyard-pod agent`, which reports oom_killed from it) read its limits and
// counters as they would in a Kubernetes container, and nothing of the other cgroups.
Result<void> BuildSys(const std::string& root, const PodConfig& config) {
  std::string v1;
  std::string v2;
  for (const std::string& procs : config.cgroup_procs_files) {
    const std::string dir = procs.substr(0, procs.rfind('/'));
    if (Exists(dir + "/memory.oom_control")) {
      v1 = dir;
    } else if (Exists(dir + "/memory.events")) {
      v2 = dir;
    }
  }
  if (v1.empty() && v2.empty()) return {};
  const std::string cgroup = root + "/sys/fs/cgroup";
  CY_CHECK(MakeDir(root + "/sys", 0555));
  CY_CHECK(MakeDir(root + "/sys/fs", 0555));
  CY_CHECK(MakeDir(cgroup, 0555));
  constexpr uint64_t kAttributes = kReadOnly | MOUNT_ATTR_NOEXEC;
  if (!v2.empty()) return BindTree(v2, cgroup, kAttributes);
  CY_CHECK(MakeDir(cgroup + "/memory", 0555));
  return BindTree(v1, cgroup + "/memory", kAttributes);
}

Result<void> MountScratch(const std::string& root, const PodConfig& config) {
  CY_CHECK(MakeDir(root + "/tmp", 01777));
  CY_CHECK(
      MountTmpfs(root + "/tmp", MS_NOSUID | MS_NODEV, "mode=1777" + SizeOption(config.tmp_bytes)));
  // tmpfs takes uid/gid as seen from the mounting namespace: the host ids in root mode, the
  // pod ids inside the shim's user namespace in rootless mode.
  const uint32_t uid = config.rootless ? kPodUid : config.host_uid;
  const uint32_t gid = config.rootless ? kPodUid : config.host_gid;
  const std::string workspace = root + kWorkspace;
  CY_CHECK(MakeDir(workspace, 0755));
  return MountTmpfs(workspace, MS_NOSUID | MS_NODEV,
                    "mode=0755,uid=" + std::to_string(uid) + ",gid=" + std::to_string(gid) +
                        SizeOption(config.workspace_bytes));
}

// `path` at the same place inside; its parents are created beneath the root, never through
// a symlink (so "/lib/..." fails on merged-/usr hosts: name "/usr/lib/..." instead).
Result<void> BindExtra(int root, const std::string& path) {
  const size_t slash = path.rfind('/');  // paths are normal and absolute: slash is found
  const std::string_view parent_path =
      slash == 0 ? std::string_view() : std::string_view(path).substr(1, slash - 1);
  CY_TRY(const UniqueFd parent, OpenDirBeneath(root, parent_path));
  return BindIfPresent(path, parent.get(), path.substr(slash + 1), kReadOnly);
}

Result<void> BindExtras(const std::string& root, const std::vector<std::string>& paths) {
  CY_TRY(const UniqueFd root_fd, OpenPath(root));
  for (const std::string& path : paths) {
    auto bound = BindExtra(root_fd.get(), path);
    if (!bound) return std::unexpected(bound.error().WithContext("read-only bind " + path));
  }
  return {};
}

Result<void> PivotInto(const std::string& root) {
  CY_CHECK(Check(::chdir(root.c_str()), "chdir " + root));
  // pivot_root(".", ".") stacks the old root on the new one; detaching it leaves only ours.
  CY_CHECK(Check(::syscall(SYS_pivot_root, ".", "."), "pivot_root " + root));
  CY_CHECK(Check(::umount2(".", MNT_DETACH), "detach the host root"));
  CY_CHECK(Check(::chdir("/"), "chdir /"));
  return SetMountAttributes("/", MOUNT_ATTR_RDONLY);
}

bool IsNormalAbsolute(std::string_view path) {
  if (path.size() < 2 || path.front() != '/' || path.back() == '/') return false;
  for (size_t start = 1; start <= path.size();) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

Result<void> ValidateRootConfig(const PodConfig& config) {
  const std::string& name = config.hostname;
  const bool hostname_ok = !name.empty() && name.size() <= 63 &&
                           name.find_first_not_of(
                               "abcdefghijklmnopqrstuvwxyz"
                               "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") == std::string::npos;
  if (!hostname_ok) return Fail(Error::Code::kInvalidArgument, "bad pod hostname: " + name);
  if (!IsNormalAbsolute(config.root_dir)) {
    return Fail(Error::Code::kInvalidArgument, "root_dir must be a normal absolute path");
  }
  if (!config.image_dir.empty() && !IsNormalAbsolute(config.image_dir)) {
    return Fail(Error::Code::kInvalidArgument, "image_dir must be a normal absolute path");
  }
  for (const std::string& path : config.extra_ro_binds) {
    if (!IsNormalAbsolute(path)) {
      return Fail(Error::Code::kInvalidArgument, "bad extra read-only bind: " + path);
    }
  }
  return {};
}

Result<void> BuildRootFs(const PodConfig& config) {
  CY_CHECK(Check(::unshare(CLONE_NEWNS), "unshare the mount namespace"));
  CY_CHECK(Check(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr),
                 "make the mounts private"));
  const std::string& root = config.root_dir;
  CY_CHECK(MountTmpfs(root, MS_NOSUID | MS_NODEV, "size=16m,mode=0755"));
  std::string source;  // the host's own files
  if (!config.image_dir.empty()) {
    CY_TRY(source, LockImage(config.image_dir));
  }
  CY_CHECK(MountSystem(root, source));
  CY_CHECK(BuildEtc(root, source, config));
  CY_CHECK(BuildDev(root, config.shm_bytes));
  CY_CHECK(BuildProc(root));
  CY_CHECK(BuildSys(root, config));
  CY_CHECK(MountScratch(root, config));
  CY_CHECK(BindExtras(root, config.extra_ro_binds));
  return PivotInto(root);
}

}  // namespace codeyard::local::pod
