// Building an image: debootstrap into a temporary directory beside the images, a manifest,
// then one rename into place (codeyard/images.hpp).
#include <fcntl.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "codeyard/images.hpp"
#include "core/errno_text.hpp"
#include "core/images/image_files.hpp"
#include "core/try.hpp"

extern char** environ;

namespace codeyard::images {
namespace {

// Packages whose installed versions the manifest records, under these keys.
constexpr std::array<std::pair<const char*, const char*>, 7> kVersionKeys = {{
    {"python3", "python3"},
    {"python3-numpy", "numpy"},
    {"python3-scipy", "scipy"},
    {"python3-pandas", "pandas"},
    {"python3-matplotlib", "matplotlib"},
    {"nodejs", "node"},
    {"gcc", "gcc"},
}};

constexpr size_t kTailLines = 20;
constexpr const char* kPackageCache = ".cache";
constexpr const char* kUnsafeIo = "codeyard-build-unsafe-io";

void Say(const BuildOptions& options, std::string_view line) {
  if (options.progress) options.progress(line);
}

Result<void> ValidatePackages(const std::vector<std::string>& packages) {
  if (packages.empty()) return Fail(Error::Code::kInvalidArgument, "images: no packages");
  for (const std::string& p : packages) {
    // Debian package names: [a-z0-9][a-z0-9+-.]+; anything else could smuggle an option.
    const bool ok =
        p.size() >= 2 && std::isalnum(static_cast<unsigned char>(p.front())) != 0 &&
        p.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789+-.") == std::string::npos;
    if (!ok) return Fail(Error::Code::kInvalidArgument, "images: bad package name \"" + p + "\"");
  }
  return {};
}

std::string FindDebootstrap() {
  for (const char* dir : {"/usr/sbin", "/sbin", "/usr/bin", "/usr/local/sbin"}) {
    const std::string path = std::string(dir) + "/debootstrap";
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return {};
}

// Runs argv with stdout and stderr on one pipe, handing each line to `line`. Returns the
// exit status as waitpid gives it.
Result<int> RunLines(std::vector<std::string> argv,
                     const std::function<void(const std::string&)>& line) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return Fail(Error::Code::kInternal, "images: pipe: " + ErrnoText(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = -1;
  const int spawned = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (spawned != 0) {
    ::close(fds[0]);
    return Fail(Error::Code::kInternal,
                "images: cannot start " + argv[0] + ": " + ErrnoText(spawned));
  }
  std::string pending;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buffer, static_cast<size_t>(n));
    for (size_t end; (end = pending.find('\n')) != std::string::npos;) {
      line(pending.substr(0, end));
      pending.erase(0, end + 1);
    }
  }
  if (!pending.empty()) line(pending);
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// Installed versions from the image's dpkg database (no chroot needed).
std::map<std::string, std::string> InstalledVersions(const std::string& root) {
  std::map<std::string, std::string> out;
  std::ifstream in(root + "/var/lib/dpkg/status");
  std::string package;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("Package: ")) package = line.substr(9);
    if (!line.starts_with("Version: ")) continue;
    for (const auto& [name, key] : kVersionKeys) {
      if (package == name) out[key] = line.substr(9);
    }
  }
  return out;
}

int64_t DiskUsage(const std::string& root) {
  int64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(
           root, std::filesystem::directory_options::skip_permission_denied, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    struct stat info {};
    if (::lstat(it->path().c_str(), &info) == 0 && info.st_nlink <= 1) {
      total += static_cast<int64_t>(info.st_blocks) * 512;
    } else if (::lstat(it->path().c_str(), &info) == 0 && !S_ISDIR(info.st_mode)) {
      // Hard links: count each link's share so the total stays near the truth.
      total += static_cast<int64_t>(info.st_blocks) * 512 / static_cast<int64_t>(info.st_nlink);
    }
  }
  return total;
}

std::string RandomSuffix() {
  std::random_device seed;
  char text[17];
  std::snprintf(text, sizeof text, "%08x%08x", seed(), seed());
  return text;
}

}  // namespace

Result<void> RemoveImageTree(const std::string& path) {
  // Mounts beneath it, deepest first (debootstrap mounts proc and sys in its chroot).
  std::vector<std::string> mounts;
  std::ifstream info("/proc/self/mountinfo");
  for (std::string line; std::getline(info, line);) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, point;
    fields >> id >> parent >> dev >> root >> point;
    if (point.starts_with(path + "/")) mounts.push_back(point);
  }
  std::sort(mounts.rbegin(), mounts.rend());
  for (const auto& point : mounts) (void)::umount2(point.c_str(), MNT_DETACH);
  struct stat top {};
  if (::lstat(path.c_str(), &top) != 0) return {};
  std::error_code ec;
  // The tree is ours and holds no mounts any more; remove_all does not follow symlinks.
  std::filesystem::remove_all(path, ec);
  if (ec) {
    return Fail(Error::Code::kInternal, "images: cannot remove " + path + ": " + ec.message());
  }
  return {};
}

Result<ImageInfo> Build(const BuildOptions& options) {
  CY_CHECK(ValidateName(options.name));
  CY_CHECK(ValidatePackages(options.packages));
  if (options.images_dir.empty() || options.images_dir.front() != '/') {
    return Fail(Error::Code::kInvalidArgument, "images: the images directory must be absolute");
  }
  if (::geteuid() != 0) {
    return Fail(Error::Code::kPermissionDenied,
                "images: building an image needs root (debootstrap creates device nodes, sets "
                "file owners and chroots); run `codeyard image build` as root");
  }
  const std::string debootstrap = FindDebootstrap();
  if (debootstrap.empty()) {
    return Fail(Error::Code::kFailedPrecondition,
                "images: debootstrap is not installed (apt-get install debootstrap)");
  }
  const std::string final_dir = ImageDir(options.images_dir, options.name);
  if (::access(final_dir.c_str(), F_OK) == 0) {
    return Fail(Error::Code::kAlreadyExists, "images: image \"" + options.name +
                                                 "\" exists; remove it first (codeyard image "
                                                 "rm " +
                                                 options.name + ")");
  }
  AptSource source{options.mirror, ""};
  if (source.uri.empty()) {
    CY_TRY(source, FindAptSource("/etc/apt", options.suite));
  }
  std::error_code ec;
  std::filesystem::create_directories(options.images_dir, ec);
  if (ec) {
    return Fail(Error::Code::kInternal,
                "images: cannot create " + options.images_dir + ": " + ec.message());
  }
  const std::string tmp = options.images_dir + "/.build-" + options.name + "-" + RandomSuffix();
  const std::string root = tmp + "/" + kRootDir;
  if (::mkdir(tmp.c_str(), 0755) != 0) {
    return Fail(Error::Code::kInternal, "images: mkdir " + tmp + ": " + ErrnoText(errno));
  }
  auto built = [&]() -> Result<ImageInfo> {
    std::string include;
    for (const auto& p : options.packages) include += (include.empty() ? "" : ",") + p;
    // Packages are kept between builds (debootstrap --cache-dir), so a rebuild downloads
    // only what changed.
    const std::string cache = options.images_dir + "/" + kPackageCache;
    std::filesystem::create_directories(cache, ec);
    // dpkg's fsync per unpacked file is what a build mostly waits on; a half-written tree
    // is never used (it is renamed into place only when complete), so it buys nothing here.
    std::filesystem::create_directories(root + "/etc/dpkg/dpkg.cfg.d", ec);
    std::ofstream(root + "/etc/dpkg/dpkg.cfg.d/" + kUnsafeIo) << "force-unsafe-io\n";
    std::vector<std::string> argv = {debootstrap, "--variant=minbase", "--include=" + include,
                                     "--cache-dir=" + cache};
    if (!source.keyring.empty()) argv.push_back("--keyring=" + source.keyring);
    argv.insert(argv.end(), {options.suite, root, source.uri});
    Say(options, "image " + options.name + ": debootstrap " + options.suite + " from " +
                     source.uri + " (" + include + ")");
    std::deque<std::string> tail;
    CY_TRY(const int status, RunLines(argv, [&](const std::string& line) {
             if (line.starts_with("I: ") || line.starts_with("E: ") || line.starts_with("W: ")) {
               Say(options, line);
             }
             tail.push_back(line);
             if (tail.size() > kTailLines) tail.pop_front();
           }));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::string last;
      for (const auto& line : tail) last += "\n  " + line;
      return Fail(Error::Code::kUnavailable,
                  "images: debootstrap failed (" +
                      std::string(WIFEXITED(status) ? "exit " : "signal ") +
                      std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status)) +
                      "); its last lines:" + last);
    }
    // Package caches are of no use to a read-only root, nor is the build's dpkg setting.
    std::filesystem::remove_all(root + "/var/cache/apt/archives", ec);
    std::filesystem::create_directories(root + "/var/cache/apt/archives/partial", ec);
    std::filesystem::remove(root + "/etc/dpkg/dpkg.cfg.d/" + kUnsafeIo, ec);
    Say(options, "image " + options.name + ": measuring and writing the manifest");
    ImageInfo info;
    info.name = options.name;
    info.packages = options.packages;
    info.versions = InstalledVersions(root);
    info.suite = options.suite;
    info.mirror = source.uri;
    info.size_bytes = DiskUsage(root);
    info.created_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    {
      std::ofstream out(tmp + "/" + kManifestFile);
      out << ManifestJson(info);
      if (!out.flush()) {
        return Fail(Error::Code::kInternal, "images: cannot write the manifest in " + tmp);
      }
    }
    // Same directory, so rename is atomic: readers see no image or a whole one.
    if (::rename(tmp.c_str(), final_dir.c_str()) != 0) {
      const int err = errno;
      if (err == EEXIST || err == ENOTEMPTY) {
        return Fail(Error::Code::kAlreadyExists,
                    "images: image \"" + options.name + "\" was made meanwhile");
      }
      return Fail(Error::Code::kInternal,
                  "images: rename into " + final_dir + ": " + ErrnoText(err));
    }
    return info;
  }();
  if (!built) {
    Say(options, "image " + options.name + ": failed; removing " + tmp);
    (void)RemoveImageTree(tmp);
    return built;
  }
  Say(options, "image " + options.name + ": ready in " + final_dir);
  return built;
}

}  // namespace codeyard::images
