#include "executor/local/workspace_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "codeyard/id.hpp"
#include "core/errno_text.hpp"
#include "core/try.hpp"

namespace codeyard::local {
namespace {

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

Error Errno(int err, std::string_view what, std::string_view path) {
  Error::Code code = Error::Code::kInternal;
  switch (err) {
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
      code = Error::Code::kResourceExhausted;
      break;
    case EACCES:
    case EPERM:
    case EROFS:
      code = Error::Code::kPermissionDenied;
      break;
    case ENOENT:
      code = Error::Code::kNotFound;
      break;
    case EISDIR:
    case ENOTDIR:
    case EEXIST:
    case ENOTEMPTY:
      code = Error::Code::kFailedPrecondition;
      break;
    default:
      break;
  }
  return {code, std::string(what) + " " + std::string(path) + ": " + ErrnoText(err)};
}

Error ThroughSymlink(std::string_view path) {
  return {Error::Code::kPermissionDenied,
          "workspace path " + std::string(path) + " goes through a symlink; refused"};
}

// Opens one directory component under `parent`, refusing symlinks; creates it if asked.
Result<Fd> OpenDir(int parent, const std::string& name, bool create, uint32_t uid, uint32_t gid,
                   std::string_view path) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    const int fd = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) return Fd(fd);
    const int err = errno;
    if (err == ENOENT && create && attempt == 0) {
      if (::mkdirat(parent, name.c_str(), 0755) != 0 && errno != EEXIST) {
        return std::unexpected(Errno(errno, "cannot create directory", path));
      }
      ::fchownat(parent, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW);
      continue;
    }
    if (err == ELOOP || err == ENOTDIR) {
      struct stat st {};
      if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
        return std::unexpected(ThroughSymlink(path));
      }
    }
    return std::unexpected(Errno(err, "cannot open directory", path));
  }
  return std::unexpected(Errno(ENOENT, "cannot open directory", path));
}

// Opens the directory that holds the last component of `parts`.
Result<Fd> OpenParent(int root, const std::vector<std::string>& parts, bool create, uint32_t uid,
                      uint32_t gid, std::string_view path) {
  Fd current(::fcntl(root, F_DUPFD_CLOEXEC, 0));
  if (current.get() < 0) return std::unexpected(Errno(errno, "cannot open", "workspace"));
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    CY_TRY(Fd next, OpenDir(current.get(), parts[i], create, uid, gid, path));
    current = std::move(next);
  }
  return current;
}

Result<void> WriteAll(int fd, std::string_view data, std::string_view path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(Errno(errno, "cannot write", path));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

std::string TempName() { return ".cy-put-" + HexEncode(RandomBytes(6).value_or("xxxxxx")); }

Result<void> PutOne(int root, const FileData& file, uint32_t uid, uint32_t gid) {
  CY_TRY(auto parts, SplitWorkspacePath(file.path));
  CY_TRY(Fd parent, OpenParent(root, parts, true, uid, gid, file.path));
  const std::string& name = parts.back();
  if (file.kind == FileKind::kDirectory) {
    CY_TRY(Fd dir, OpenDir(parent.get(), name, true, uid, gid, file.path));
    ::fchmod(dir.get(), file.mode & 07777 & ~06000u);
    return {};
  }
  const std::string tmp = TempName();
  if (file.kind == FileKind::kSymlink) {
    if (::symlinkat(file.content.c_str(), parent.get(), tmp.c_str()) != 0) {
      return std::unexpected(Errno(errno, "cannot create symlink", file.path));
    }
    ::fchownat(parent.get(), tmp.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW);
  } else {
    Fd out(::openat(parent.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                    0600));
    if (out.get() < 0) return std::unexpected(Errno(errno, "cannot create", file.path));
    auto written = WriteAll(out.get(), file.content, file.path);
    if (written && ::fchown(out.get(), uid, gid) != 0) {
      written = std::unexpected(Errno(errno, "cannot chown", file.path));
    }
    if (written) ::fchmod(out.get(), file.mode & 0777);
    if (written && file.mtime_ns) {
      const timespec times[2] = {{0, UTIME_OMIT},
                                 {static_cast<time_t>(*file.mtime_ns / 1000000000),
                                  static_cast<long>(*file.mtime_ns % 1000000000)}};
      ::futimens(out.get(), times);
    }
    if (!written) {
      ::unlinkat(parent.get(), tmp.c_str(), 0);
      return written;
    }
  }
  // rename never follows a symlink at the destination: it replaces the link itself.
  if (::renameat(parent.get(), tmp.c_str(), parent.get(), name.c_str()) != 0) {
    const int err = errno;
    ::unlinkat(parent.get(), tmp.c_str(), 0);
    return std::unexpected(Errno(err, "cannot replace", file.path));
  }
  return {};
}

Result<void> RemoveAt(int parent, const std::string& name, std::string_view path, int depth) {
  if (::unlinkat(parent, name.c_str(), 0) == 0 || errno == ENOENT) return {};
  if (errno != EISDIR && errno != EPERM)
    return std::unexpected(Errno(errno, "cannot remove", path));
  if (depth > 256)
    return Fail(Error::Code::kResourceExhausted, "directory tree too deep: " + std::string(path));
  {
    const int fd = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return std::unexpected(Errno(errno, "cannot open", path));
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(fd), ::closedir);
    if (!dir) {
      ::close(fd);
      return std::unexpected(Errno(errno, "cannot list", path));
    }
    std::vector<std::string> names;
    // NOLINTNEXTLINE(concurrency-mt-unsafe): each call has its own DIR stream
    while (const dirent* e = ::readdir(dir.get())) {
      const std::string_view n = e->d_name;
      if (n != "." && n != "..") names.emplace_back(n);
    }
    for (const auto& child : names) {
      CY_CHECK(RemoveAt(::dirfd(dir.get()), child, std::string(path) + "/" + child, depth + 1));
    }
  }
  if (::unlinkat(parent, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return std::unexpected(Errno(errno, "cannot remove", path));
  }
  return {};
}

// Reads `fd` to the end in blocks, handing each to `sink`; stops at the sink's first error.
template <class Sink>
Result<void> ReadBlocks(int fd, std::string_view path, Sink&& sink) {
  char buffer[65536];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(Errno(errno, "cannot read", path));
    }
    if (n == 0) return {};
    CY_CHECK(sink(std::string_view(buffer, static_cast<size_t>(n))));
  }
}

Result<std::string> ReadFd(int fd, uint64_t size, std::string_view path) {
  if (size > WorkspaceFiles::kMaxReadBytes) {
    return Fail(Error::Code::kResourceExhausted,
                std::string(path) + " is larger than the " +
                    std::to_string(WorkspaceFiles::kMaxReadBytes >> 20) + " MiB read cap");
  }
  std::string out;
  out.reserve(size);
  CY_CHECK(ReadBlocks(fd, path, [&](std::string_view block) -> Result<void> {
    out.append(block);
    if (out.size() > WorkspaceFiles::kMaxReadBytes) {
      return Fail(Error::Code::kResourceExhausted, std::string(path) + " grew past the read cap");
    }
    return {};
  }));
  return out;
}

struct Walker {
  const ListFilesOptions& options;
  std::vector<FileEntry>& out;

  Result<void> Walk(int dir_fd, const std::string& prefix, int depth) {
    if (depth > 256) return Fail(Error::Code::kResourceExhausted, "directory tree too deep");
    // A fresh open file description: a dup would share the directory offset, and a second
    // listing of the same directory would start where the first one ended (at the end).
    const int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(fd), ::closedir);
    if (!dir) {
      ::close(fd);
      return std::unexpected(Errno(errno, "cannot list", prefix.empty() ? "." : prefix));
    }
    // NOLINTNEXTLINE(concurrency-mt-unsafe): each call has its own DIR stream
    while (const dirent* e = ::readdir(dir.get())) {
      const std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      if (out.size() >= WorkspaceFiles::kMaxEntries) {
        return Fail(Error::Code::kResourceExhausted, "workspace holds too many entries to list");
      }
      std::string path = prefix;
      if (!path.empty()) path += '/';
      path += name;
      struct stat st {};
      if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // raced
      FileEntry entry;
      entry.path = path;
      entry.size = static_cast<uint64_t>(st.st_size);
      entry.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
      entry.mode = st.st_mode & 07777;
      if (S_ISLNK(st.st_mode)) {
        entry.kind = FileKind::kSymlink;
        std::string target(4096, '\0');
        const ssize_t n = ::readlinkat(dir_fd, name.c_str(), target.data(), target.size());
        entry.target = n > 0 ? target.substr(0, static_cast<size_t>(n)) : std::string();
        out.push_back(std::move(entry));
      } else if (S_ISDIR(st.st_mode)) {
        entry.kind = FileKind::kDirectory;
        entry.size = 0;
        out.push_back(std::move(entry));
        if (std::find(options.skip_dirs.begin(), options.skip_dirs.end(), name) !=
            options.skip_dirs.end()) {
          continue;
        }
        Fd child(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (child.get() < 0) continue;
        CY_CHECK(Walk(child.get(), path, depth + 1));
      } else if (S_ISREG(st.st_mode)) {
        entry.kind = FileKind::kFile;
        if (options.with_sha256) {
          Fd file(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
          if (file.get() < 0) continue;
          CY_TRY(entry.sha256, HashFd(file.get(), path));
        }
        out.push_back(std::move(entry));
      }
      // Sockets, FIFOs and device nodes are not workspace content.
    }
    return {};
  }

  static Result<std::string> HashFd(int fd, std::string_view path) {
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
    CY_CHECK(ReadBlocks(fd, path, [&](std::string_view block) -> Result<void> {
      EVP_DigestUpdate(ctx.get(), block.data(), block.size());
      return {};
    }));
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(ctx.get(), digest, &length);
    return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), length));
  }
};

}  // namespace

Result<std::vector<std::string>> SplitWorkspacePath(std::string_view path) {
  const auto bad = [&](std::string_view why) {
    return Fail(Error::Code::kInvalidArgument,
                "workspace path \"" + std::string(path) + "\" " + std::string(why));
  };
  if (path.empty()) return bad("is empty");
  if (path.front() == '/') return bad("must be relative to the workspace");
  if (path.find('\0') != std::string_view::npos) return bad("contains a NUL byte");
  if (path.size() > 4096) return bad("is too long");
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t slash = std::min(path.find('/', start), path.size());
    const std::string_view part = path.substr(start, slash - start);
    if (part.empty()) return bad("has an empty component");
    if (part == "." || part == "..") return bad("has a \".\" or \"..\" component");
    if (part.size() > 255) return bad("has a component longer than 255 bytes");
    parts.emplace_back(part);
    start = slash + 1;
  }
  return parts;
}

WorkspaceFiles::WorkspaceFiles(int dir_fd, uint32_t uid, uint32_t gid)
    : dir_fd_(dir_fd), uid_(uid), gid_(gid) {}

WorkspaceFiles::~WorkspaceFiles() {
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

Result<void> WorkspaceFiles::Put(std::span<const FileData> files) const {
  for (const auto& file : files) CY_CHECK(PutOne(dir_fd_, file, uid_, gid_));
  return {};
}

Result<std::vector<FileData>> WorkspaceFiles::Get(std::span<const std::string> paths) const {
  std::vector<FileData> out;
  out.reserve(paths.size());
  for (const auto& path : paths) {
    CY_TRY(auto parts, SplitWorkspacePath(path));
    CY_TRY(Fd parent, OpenParent(dir_fd_, parts, false, uid_, gid_, path));
    const std::string& name = parts.back();
    struct stat st {};
    if (::fstatat(parent.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return std::unexpected(Errno(errno, "cannot read", path));
    }
    FileData data;
    data.path = path;
    data.mode = st.st_mode & 0777;
    data.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
    if (S_ISLNK(st.st_mode)) {
      data.kind = FileKind::kSymlink;
      std::string target(4096, '\0');
      const ssize_t n = ::readlinkat(parent.get(), name.c_str(), target.data(), target.size());
      if (n < 0) return std::unexpected(Errno(errno, "cannot read link", path));
      data.content = target.substr(0, static_cast<size_t>(n));
    } else if (S_ISDIR(st.st_mode)) {
      data.kind = FileKind::kDirectory;
    } else if (S_ISREG(st.st_mode)) {
      Fd file(::openat(parent.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
      if (file.get() < 0) return std::unexpected(Errno(errno, "cannot open", path));
      CY_TRY(data.content, ReadFd(file.get(), static_cast<uint64_t>(st.st_size), path));
    } else {
      return Fail(Error::Code::kFailedPrecondition, path + " is not a regular file");
    }
    out.push_back(std::move(data));
  }
  return out;
}

Result<void> WorkspaceFiles::Delete(std::span<const std::string> paths) const {
  for (const auto& path : paths) {
    CY_TRY(auto parts, SplitWorkspacePath(path));
    auto parent = OpenParent(dir_fd_, parts, false, uid_, gid_, path);
    if (!parent) {
      if (parent.error().code() == Error::Code::kNotFound) continue;
      return std::unexpected(parent.error());
    }
    CY_CHECK(RemoveAt(parent->get(), parts.back(), path, 0));
  }
  return {};
}

Result<std::vector<FileEntry>> WorkspaceFiles::List(const ListFilesOptions& options) const {
  std::vector<FileEntry> out;
  Fd start(::fcntl(dir_fd_, F_DUPFD_CLOEXEC, 0));
  std::string prefix;
  if (!options.under.empty()) {
    CY_TRY(auto parts, SplitWorkspacePath(options.under));
    CY_TRY(Fd parent, OpenParent(dir_fd_, parts, false, uid_, gid_, options.under));
    CY_TRY(Fd dir, OpenDir(parent.get(), parts.back(), false, uid_, gid_, options.under));
    start = std::move(dir);
    prefix = options.under;
  }
  Walker walker{options, out};
  CY_CHECK(walker.Walk(start.get(), prefix, 0));
  std::sort(out.begin(), out.end(),
            [](const FileEntry& a, const FileEntry& b) { return a.path < b.path; });
  return out;
}

}  // namespace codeyard::local
