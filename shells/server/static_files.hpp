// Reading the browser UI's built files (shells/web, built into build/web) for the static route
// group in api_static.cpp. A file is opened one path segment at a time below the web directory
// with O_NOFOLLOW, so no request can reach anything outside it: ".." and dot-file segments are
// refused, a symlink anywhere below the root is refused (the build output has none), and only
// regular files are served. The root itself may be a symlink: it is the operator's choice.
// Pure functions over the filesystem; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "codeyard/error.hpp"
#include "security_headers.hpp"

namespace codeyard::server {

// Static responses carry kUiContentSecurityPolicy (security_headers.hpp): HTML, and the
// scripts that become Monaco's workers, whose CSP comes from their own response.

// Files larger than this are not served (the largest UI bundle is a few MiB).
inline constexpr int64_t kMaxStaticFileBytes = int64_t{64} << 20;

// The directory the UI is served from: `configured` (server.web_dir) when not empty, made
// absolute against the working directory; else "../web" beside the running binary, which is
// build/web for build/bin/codeyard-server.
[[nodiscard]] std::string ResolveWebDir(std::string_view configured);

struct StaticFile {
  std::string content;
  std::string etag;  // strong, from mtime and size: "\"<ns hex>-<size hex>\""
};

// Reads `relative` ('/'-separated, no leading '/') below `root`. kNotFound when the root is
// missing, a segment is empty, "..", or starts with '.', a component is a symlink or missing,
// or the target is not a regular file; kResourceExhausted past kMaxStaticFileBytes;
// kInternal for other read errors.
[[nodiscard]] Result<StaticFile> ReadStaticFile(const std::string& root, std::string_view relative);

// The Content-Type for a file name by its extension ("application/octet-stream" if unknown).
[[nodiscard]] std::string_view ContentTypeFor(std::string_view name);

// True if an If-None-Match header value ("*", or a comma-separated list of entity tags,
// weak or strong) matches `etag`.
[[nodiscard]] bool EtagMatches(std::string_view if_none_match, std::string_view etag);

}  // namespace codeyard::server
