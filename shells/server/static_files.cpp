#include "static_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <system_error>
#include <utility>

namespace codeyard::server {
namespace {

// Closes the descriptor it holds.
class Fd {
 public:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      if (fd_ >= 0) (void)::close(fd_);
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~Fd() {
    if (fd_ >= 0) (void)::close(fd_);
  }
  [[nodiscard]] int get() const noexcept { return fd_; }

 private:
  int fd_;
};

Error NotFound(std::string_view relative) {
  return Error(Error::Code::kNotFound, "no such file: /" + std::string(relative));
}

std::string ErrnoMessage(int err) { return std::system_category().message(err); }

bool SafeSegment(std::string_view segment) {
  return !segment.empty() && segment.front() != '.' && segment.find('\0') == std::string_view::npos;
}

std::string Hex(uint64_t value) {
  std::array<char, 17> buf{};
  (void)std::snprintf(buf.data(), buf.size(), "%llx", static_cast<unsigned long long>(value));
  return buf.data();
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

struct TypeByExtension {
  std::string_view extension;
  std::string_view type;
};
constexpr TypeByExtension kTypes[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".webmanifest", "application/manifest+json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".ttf", "font/ttf"},
    {".woff", "font/woff"},
    {".woff2", "font/woff2"},
    {".wasm", "application/wasm"},
    {".txt", "text/plain; charset=utf-8"},
};

}  // namespace

std::string ResolveWebDir(std::string_view configured) {
  std::error_code ec;
  if (!configured.empty()) {
    const std::filesystem::path path = std::filesystem::absolute(configured, ec);
    return ec ? std::string(configured) : path.lexically_normal().string();
  }
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "web";
  return (exe.parent_path().parent_path() / "web").lexically_normal().string();
}

Result<StaticFile> ReadStaticFile(const std::string& root, std::string_view relative) {
  const int root_fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) {
    return Fail(Error::Code::kNotFound, "the browser UI is not built: no directory " + root +
                                            " (server.web_dir; ./scripts/build makes build/web)");
  }
  Fd dir(root_fd);
  std::string_view rest = relative;
  for (;;) {
    const std::size_t slash = rest.find('/');
    const std::string segment(rest.substr(0, slash));
    if (!SafeSegment(segment)) return Fail(NotFound(relative));
    if (slash == std::string_view::npos) {
      const int fd = ::openat(dir.get(), segment.c_str(),
                              O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
      if (fd < 0) return Fail(NotFound(relative));
      Fd file(fd);
      struct stat st {};
      if (::fstat(file.get(), &st) != 0 || !S_ISREG(st.st_mode)) return Fail(NotFound(relative));
      if (st.st_size > kMaxStaticFileBytes) {
        return Fail(Error::Code::kResourceExhausted,
                    "file too large to serve: /" + std::string(relative));
      }
      StaticFile out;
      out.content.resize(static_cast<std::size_t>(st.st_size));
      std::size_t done = 0;
      while (done < out.content.size()) {
        const ssize_t n = ::read(file.get(), out.content.data() + done, out.content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          return Fail(Error::Code::kInternal,
                      "cannot read /" + std::string(relative) + ": " + ErrnoMessage(errno));
        }
        if (n == 0) break;  // shrank while being read: serve what is there
        done += static_cast<std::size_t>(n);
      }
      out.content.resize(done);
      const uint64_t mtime_ns = static_cast<uint64_t>(st.st_mtim.tv_sec) * 1'000'000'000U +
                                static_cast<uint64_t>(st.st_mtim.tv_nsec);
      out.etag = "\"" + Hex(mtime_ns) + "-" + Hex(done) + "\"";
      return out;
    }
    const int next =
        ::openat(dir.get(), segment.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) return Fail(NotFound(relative));
    dir = Fd(next);
    rest.remove_prefix(slash + 1);
  }
}

std::string_view ContentTypeFor(std::string_view name) {
  const std::size_t slash = name.rfind('/');
  const std::string_view base = slash == std::string_view::npos ? name : name.substr(slash + 1);
  const std::size_t dot = base.rfind('.');
  if (dot != std::string_view::npos) {
    const std::string_view ext = base.substr(dot);
    for (const TypeByExtension& t : kTypes) {
      if (t.extension == ext) return t.type;
    }
  }
  return "application/octet-stream";
}

bool EtagMatches(std::string_view if_none_match, std::string_view etag) {
  std::string_view rest = if_none_match;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    std::string_view tag = Trim(rest.substr(0, comma));
    if (tag == "*") return true;
    if (tag.starts_with("W/")) tag.remove_prefix(2);  // weak comparison (RFC 9110 13.1.2)
    if (tag == etag) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace codeyard::server
