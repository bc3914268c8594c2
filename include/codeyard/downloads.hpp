// Short-lived signed download links: a logged-in user asks for a link to one of their files or
// folders (or the whole workspace, as a zip), and gets a token that a plain browser link
// (<a href download>) can carry instead of the access token, which never goes into a URL.
// The token is HMAC-SHA256 over what it grants (user, login, workspace, path, kind, expiry)
// with a key that lives in storage (the `server_secrets` table, made on first use), so every
// replica on the database verifies what any one signed, and no key is in code or config.
// Verifying checks the signature (constant time), the expiry against the injected clock, and
// that the user is still enabled and the login it was made from still live (logout, a
// password change or disabling revoke it at once). Ownership of the workspace is checked again
// when the content is read, by Files and Archives. A Downloads object is safe to use from many
// threads.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "codeyard/error.hpp"
#include "codeyard/files.hpp"
#include "codeyard/platform.hpp"

namespace codeyard {

enum class DownloadKind { kFile, kArchive };

struct DownloadOptions {
  int64_t ttl_s = 300;  // files.download_ttl_s: how long a link works
};

// What a verified token grants.
struct DownloadTicket {
  std::string user_id;
  std::string session_id;
  std::string workspace_id;
  std::string path;  // a file, or a folder ("" = the whole workspace) for kArchive
  DownloadKind kind = DownloadKind::kFile;
  int64_t expires_at = 0;  // ms
};

struct DownloadGrant {
  std::string token;       // URL-safe (base64url and '.')
  int64_t expires_at = 0;  // ms
};

class Downloads {
 public:
  Downloads(std::shared_ptr<Platform> platform, std::shared_ptr<Files> files,
            DownloadOptions options = {});

  // A token for `path` of the user's workspace, made from the login `session_id`. kNotFound for
  // a workspace the user does not own or a missing path; kInvalidArgument for a bad path, a
  // folder asked as a file or a file asked as an archive.
  [[nodiscard]] Result<DownloadGrant> Sign(std::string_view user_id, std::string_view session_id,
                                           std::string_view workspace_id, std::string_view path,
                                           DownloadKind kind) const;

  // kUnauthenticated ("download link ...: expired", "invalid", "revoked") for anything but a
  // live token this database signed.
  [[nodiscard]] Result<DownloadTicket> Verify(std::string_view token) const;

 private:
  [[nodiscard]] Result<std::string> Key() const;

  std::shared_ptr<Platform> platform_;
  std::shared_ptr<Files> files_;
  DownloadOptions options_;
  mutable std::mutex mu_;
  mutable std::string key_;  // loaded (or made) once
};

[[nodiscard]] std::string_view DownloadKindName(DownloadKind kind);

}  // namespace codeyard
