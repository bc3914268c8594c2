// ResolveSecret: the signing secret from configuration, checked for strength, or in dev mode
// generated once into <data_dir>/secret.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <filesystem>
#include <optional>
#include <string>

#include "codeyard/accounts.hpp"
#include "codeyard/id.hpp"
#include "core/auth/tokens.hpp"
#include "core/errno_text.hpp"

namespace codeyard {
namespace {

constexpr std::string_view kHowToFix =
    "set `secret` (or CODEYARD_SECRET) to at least 32 random bytes, e.g. the output of "
    "`openssl rand -hex 32`";
constexpr std::size_t kMinDistinctBytes = 8;
constexpr std::size_t kGeneratedBytes = 32;
constexpr std::size_t kMaxFileBytes = 4096;

// Values people paste from examples or type when asked for "a secret".
constexpr std::array<std::string_view, 12> kWeakWords = {
    "changeme", "change-me", "change_me", "password", "passw0rd", "secret",
    "example",  "codeyard",  "default",   "letmein",  "qwerty",   "placeholder"};

// Why `secret` is weak, or nullopt if it is acceptable.
std::optional<std::string> WeakReason(std::string_view secret) {
  const std::size_t n = secret.size();
  if (n < auth::kMinSecretBytes) {
    return "is " + std::to_string(n) + " bytes; it needs at least 32";
  }
  std::array<bool, 256> seen{};
  std::size_t distinct = 0;
  for (const char c : secret) {
    bool& s = seen[static_cast<unsigned char>(c)];
    distinct += s ? 0 : 1;
    s = true;
  }
  if (distinct < kMinDistinctBytes) return "uses fewer than 8 distinct characters";
  for (std::size_t period = 1; period <= n / 2; ++period) {
    if (secret.substr(period) == secret.substr(0, n - period)) {
      return "is a short pattern repeated";
    }
  }
  std::string lower(secret);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  for (const std::string_view word : kWeakWords) {
    if (lower.find(word) != std::string::npos) {
      return "contains the well-known word \"" + std::string(word) + "\"";
    }
  }
  // "0123456789abcdef...", "aaaabbbb...", "zyxw...": in random text under a fifth of the
  // neighbours differ by at most one.
  std::size_t runs = 0;
  for (std::size_t i = 1; i < n; ++i) {
    const int step =
        static_cast<unsigned char>(secret[i]) - static_cast<unsigned char>(secret[i - 1]);
    runs += (step >= -1 && step <= 1) ? 1 : 0;
  }
  if (runs * 2 > n - 1) return "is mostly sequential or repeated characters";
  return std::nullopt;
}

Error FileError(const std::string& what, const std::string& path, int err) {
  const bool denied = err == EACCES || err == EPERM || err == EROFS;
  return {denied ? Error::Code::kPermissionDenied : Error::Code::kInternal,
          "config: secret: cannot " + what + " " + path + ": " + ErrnoText(err)};
}

// The secret kept in `path`, nullopt if there is no such file.
Result<std::optional<std::string>> ReadSecretFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    return Fail(FileError("open", path, errno));
  }
  struct stat st {};
  std::string text(kMaxFileBytes, '\0');
  ssize_t got = -1;
  int err = 0;
  if (fstat(fd, &st) != 0) {
    err = errno;
  } else if (S_ISREG(st.st_mode) && (st.st_mode & 077) == 0) {
    got = read(fd, text.data(), text.size());
    err = errno;
  }
  close(fd);
  if (err != 0 && got < 0) return Fail(FileError("read", path, err));
  if (!S_ISREG(st.st_mode)) {
    return Fail(Error::Code::kFailedPrecondition,
                "config: secret: " + path + " is not a regular file; remove it");
  }
  if ((st.st_mode & 077) != 0) {
    return Fail(Error::Code::kFailedPrecondition,
                "config: secret: " + path + " is accessible to other users; chmod 600 it");
  }
  text.resize(static_cast<std::size_t>(got));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  if (auto weak = WeakReason(text)) {
    return Fail(
        Error::Code::kFailedPrecondition,
        "config: secret: " + path + " " + *weak + "; delete it and dev mode generates a new one");
  }
  return std::optional<std::string>(std::move(text));
}

// Writes a new secret beside `path` and links it into place: link(2) never replaces an
// existing file, so of two processes starting at once, both end up with the same secret.
// Returns false when another process won.
Result<bool> CreateSecretFile(const std::string& dir, const std::string& path,
                              const std::string& secret) {
  std::string tmp = dir + "/.secret-XXXXXX";
  const int fd = mkstemp(tmp.data());  // mode 0600
  if (fd < 0) return Fail(FileError("create a file in", dir, errno));
  const std::string text = secret + "\n";
  const bool written =
      write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && fsync(fd) == 0;
  const int err = errno;
  close(fd);
  if (!written) {
    unlink(tmp.c_str());
    return Fail(FileError("write", tmp, err));
  }
  const int linked = link(tmp.c_str(), path.c_str());
  const int link_err = errno;
  unlink(tmp.c_str());
  if (linked != 0 && link_err == EEXIST) return false;
  if (linked != 0) return Fail(FileError("create", path, link_err));
  if (const int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    fsync(dfd);  // the new name survives a crash
    close(dfd);
  }
  return true;
}

Result<std::string> DevSecret(const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return Fail(FileError("create data directory", data_dir, ec.value()));
  const std::string path = (std::filesystem::path(data_dir) / "secret").string();
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto existing = ReadSecretFile(path);
    if (!existing) return Fail(existing.error());
    if (std::optional<std::string>& found = *existing; found.has_value()) {
      return std::move(*found);
    }
    auto bytes = RandomBytes(kGeneratedBytes);
    if (!bytes) return Fail(bytes.error());
    const std::string secret = HexEncode(*bytes);
    auto created = CreateSecretFile(data_dir, path, secret);
    if (!created) return Fail(created.error());
    if (*created) return secret;
  }
  return Fail(Error::Code::kInternal, "config: secret: " + path + " keeps changing");
}

}  // namespace

Result<std::string> ResolveSecret(const Config& config) {
  if (!config.secret.empty()) {
    if (auto weak = WeakReason(config.secret)) {
      return Fail(Error::Code::kFailedPrecondition,
                  "config: secret " + *weak + "; " + std::string(kHowToFix));
    }
    return config.secret;
  }
  if (!config.dev_mode) {
    return Fail(Error::Code::kFailedPrecondition,
                "config: secret is not set, and outside dev mode the server needs one: " +
                    std::string(kHowToFix) + ", or run with dev_mode=true");
  }
  return DevSecret(config.data_dir);
}

}  // namespace codeyard
