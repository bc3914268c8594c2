// The request line as the client sent it, decoded once: the server's own reading of the method,
// the path and the query, instead of libwebsockets' (see lws_raw_tap.hpp for why). Pure
// functions; thread-safe.
//
// Rules (docs/api.md, "Paths in URLs"):
// - the line is `METHOD SP target SP HTTP/1.0|HTTP/1.1`, the target in origin form (`/...`);
// - the path (before the first '?') is percent-decoded exactly once: `%2F` becomes a '/' like
//   any other, `%25` a literal '%', and '+' stays '+'; nothing else is rewritten: `.` and `..`
//   segments are kept as sent (the file path rule refuses them), `;` and `&` are plain bytes;
// - the query is split at '&' into name=value pairs, each decoded once, '+' meaning a space;
// - a '%' not followed by two hex digits, and a NUL, CR or LF anywhere after decoding, are
//   refused: libwebsockets ends its own parse of the request line at a decoded CR or LF, so the
//   rest of the request cannot be trusted either.
#pragma once

#include <string>
#include <string_view>

#include "codeyard/error.hpp"
#include "router.hpp"

namespace codeyard::server {

struct RequestTarget {
  std::string method;  // as sent ("GET")
  std::string path;    // decoded once
  Fields query;        // decoded name/value pairs, in order
};

inline constexpr std::size_t kMaxQueryPairs = 128;

// kInvalidArgument with a message fit for the client (no raw control bytes in it).
[[nodiscard]] Result<RequestTarget> ParseRequestLine(std::string_view line);

// Decodes %XX escapes once (and '+' as a space when `plus_is_space`). kInvalidArgument for a
// '%' without two hex digits after it.
[[nodiscard]] Result<std::string> PercentDecode(std::string_view text, bool plus_is_space);

// The path as logs may keep it: a capability in the path (a signed download link's token,
// /api/v1/downloads/{token}; a preview ticket, /api/v1/previews/{ticket}/...) is replaced by
// "<redacted>", since a log line must not hand out a live link. Other paths come back as sent.
[[nodiscard]] std::string LoggedPath(std::string_view path);

}  // namespace codeyard::server
