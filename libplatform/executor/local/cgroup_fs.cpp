// File helpers and /proc parsers for the cgroup code (see cgroup_internal.hpp).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <system_error>
#include <thread>

#include "core/try.hpp"
#include "executor/local/cgroup_internal.hpp"

namespace codeyard::local::cgroup_internal {
namespace {

std::vector<std::string_view> Split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(sep, start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// mountinfo writes space, tab, newline and backslash in paths as \ooo.
std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 4 <= s.size()) {
      int v = 0;
      auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 4, v, 8);
      if (ec == std::errc() && p == s.data() + i + 4) {
        out += static_cast<char>(v);
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::optional<uint64_t> ParseNumber(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  if (s == "max") return std::numeric_limits<uint64_t>::max();
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

Error ErrnoError(int err, const std::string& path, std::string_view value) {
  const std::string what = path + ": " + std::generic_category().message(err);
  switch (err) {
    case EACCES:
    case EPERM:
    case EROFS:
      return Error(Error::Code::kPermissionDenied,
                   what + " (the cgroup tree is not writable by this process)");
    case ENOENT:
    case ENODEV:
    case EOPNOTSUPP:
      return Error(Error::Code::kFailedPrecondition, "controller not available: " + what);
    case EINVAL:
      return Error(Error::Code::kInvalidArgument,
                   what + " (rejected the value '" + std::string(value) + "')");
    case EBUSY:
      return Error(Error::Code::kFailedPrecondition,
                   what +
                       " (cgroup v2 lets a cgroup hold processes or hand controllers to "
                       "child cgroups, not both)");
    case ESRCH:
      return Error(Error::Code::kNotFound, what);
    case ENOSPC:
    case EAGAIN:
      return Error(Error::Code::kResourceExhausted, what);
    default:
      return Error(Error::Code::kInternal, what);
  }
}

}  // namespace

std::optional<std::string> ReadText(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return std::move(out).str();
}

std::optional<uint64_t> ReadNumber(const std::string& path) {
  auto text = ReadText(path);
  if (!text) return std::nullopt;
  return ParseNumber(*text);
}

std::optional<uint64_t> ReadKeyed(const std::string& path, std::string_view key) {
  auto text = ReadText(path);
  if (!text) return std::nullopt;
  for (std::string_view line : Split(*text, '\n')) {
    if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == ' ') {
      return ParseNumber(line.substr(key.size() + 1));
    }
  }
  return std::nullopt;
}

std::vector<pid_t> ReadPids(const std::string& path) {
  std::vector<pid_t> pids;
  auto text = ReadText(path);
  if (!text) return pids;
  for (std::string_view line : Split(*text, '\n')) {
    if (auto v = ParseNumber(line); v && *v > 0) pids.push_back(static_cast<pid_t>(*v));
  }
  return pids;
}

std::set<std::string, std::less<>> Words(std::string_view text) {
  std::set<std::string, std::less<>> out;
  for (auto line : Split(text, '\n')) {
    for (auto word : Split(line, ' ')) out.emplace(word);
  }
  return out;
}

Result<void> WriteText(const std::string& path, std::string_view value) {
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return Fail(ErrnoError(errno, path, value));
  ssize_t n = 0;
  do {
    n = write(fd, value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  const int err = errno;
  close(fd);
  if (n < 0) return Fail(ErrnoError(err, path, value));
  if (static_cast<size_t>(n) != value.size()) {
    return Fail(Error::Code::kInternal, path + ": short write of '" + std::string(value) + "'");
  }
  return {};
}

Result<bool> MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0755) == 0) return true;
  if (errno == EEXIST) return false;
  return Fail(ErrnoError(errno, path, "").WithContext("creating a cgroup"));
}

Result<void> MakeDirs(const std::string& path) {
  const std::string existing = NearestExisting(path);
  if (existing == path) return {};
  std::string dir = existing == "/" ? "" : existing;
  for (auto part : Split(std::string_view(path).substr(existing.size()), '/')) {
    dir += "/";
    dir += part;
    CY_CHECK(MakeDir(dir));
  }
  return {};
}

Result<void> RemoveDir(const std::string& path) {
  // A SIGKILLed task stays in its cgroup until it has finished exiting, which for a big
  // process takes a few milliseconds, so EBUSY right after KillAll is expected.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  auto pause = std::chrono::milliseconds(2);
  for (;;) {
    if (rmdir(path.c_str()) == 0 || errno == ENOENT) return {};
    if (errno != EBUSY || std::chrono::steady_clock::now() >= deadline) {
      if (errno == EBUSY) {
        return Fail(Error::Code::kUnavailable, path + " still has processes or child cgroups");
      }
      return Fail(ErrnoError(errno, path, "").WithContext("removing a cgroup"));
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
}

std::vector<std::string> SubdirNames(const std::string& path) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
    if (entry.is_directory(ec)) names.push_back(entry.path().filename().string());
  }
  return names;
}

bool Exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

std::string NearestExisting(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  while (!path.empty() && path != "/" && !Exists(path)) {
    const size_t slash = path.rfind('/');
    path = slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
  }
  return path.empty() ? "/" : path;
}

bool IsUnder(std::string_view path, std::string_view dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.remove_suffix(1);
  if (dir == "/") return path.starts_with('/');
  return path == dir || (path.starts_with(dir) && path[dir.size()] == '/');
}

Result<void> ValidateName(std::string_view what, std::string_view name) {
  if (name.empty() || name == "." || name == ".." || name.size() > 200 ||
      name.find_first_of(std::string_view("/\0\n", 3)) != std::string_view::npos) {
    return Fail(Error::Code::kInvalidArgument,
                std::string(what) + " '" + std::string(name) + "' is not a plain directory name");
  }
  return {};
}

std::vector<std::string> UniqueDirs(const Dirs& dirs) {
  std::vector<std::string> out;
  for (const auto& [controller, dir] : dirs) {
    if (std::find(out.begin(), out.end(), dir) == out.end()) out.push_back(dir);
  }
  return out;
}

std::string DirOf(const Dirs& dirs, std::string_view controller) {
  for (const auto& [c, dir] : dirs) {
    if (c == controller) return dir;
  }
  return "";
}

std::vector<Hierarchy> FindHierarchies(std::string_view mountinfo, std::string_view proc_cgroup) {
  struct Mount {
    std::string root, point, fstype;
    std::set<std::string, std::less<>> options;
  };
  std::vector<Mount> mounts;
  for (auto line : Split(mountinfo, '\n')) {
    // id parent major:minor root mount-point options [optional...] - fstype source super-options
    auto f = Split(line, ' ');
    size_t dash = 6;
    while (dash < f.size() && f[dash] != "-") ++dash;
    if (dash + 3 >= f.size()) continue;
    if (f[dash + 1] != "cgroup" && f[dash + 1] != "cgroup2") continue;
    Mount m{Unescape(f[3]), Unescape(f[4]), std::string(f[dash + 1]), {}};
    for (auto o : Split(f[dash + 3], ',')) m.options.emplace(o);
    mounts.push_back(std::move(m));
  }
  std::vector<Hierarchy> out;
  for (auto line : Split(proc_cgroup, '\n')) {
    // hierarchy-id:controllers:path; "0::path" is the v2 hierarchy.
    const size_t c1 = line.find(':');
    const size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    Hierarchy h;
    h.v2 = line.substr(0, c1) == "0" && c2 == c1 + 1;
    for (auto c : Split(line.substr(c1 + 1, c2 - c1 - 1), ',')) h.controllers.emplace_back(c);
    const std::string path(line.substr(c2 + 1));
    for (const Mount& m : mounts) {
      if ((m.fstype == "cgroup2") != h.v2) continue;
      if (!h.v2 && (h.controllers.empty() || !m.options.contains(h.controllers.front()))) continue;
      if (!IsUnder(path, m.root)) continue;  // another part of the tree is mounted here
      std::string rel = m.root == "/" ? path : path.substr(m.root.size());
      if (rel == "/") rel.clear();
      h.mount_point = m.point;
      h.own_dir = m.point + rel;
      out.push_back(std::move(h));
      break;
    }
  }
  return out;
}

}  // namespace codeyard::local::cgroup_internal
