// Small HTTP text helpers that the CLI's client, the server's relays and the fake Kubernetes
// API server each wrote again: percent-encoding a URL piece, an origin-form request target
// from a decoded path and query, and the reason phrase of a status line. Header-only so the
// shells (which see only the library's public headers otherwise) can include it by adding
// libplatform/ to their include path. Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace codeyard::http {

// Characters a path keeps as they are besides the unreserved ones: sub-delimiters, ':' and
// '@' mean nothing special in a path, and '/' separates its segments (RFC 3986, 3.3).
inline constexpr std::string_view kPathPlain = "/!$&'()*+,;=:@";

// `text` with every byte other than the unreserved ones (ASCII letters, digits, "-._~") and
// those in `also_plain` written as %XX (upper-case hex).
inline std::string PercentEncode(std::string_view text, std::string_view also_plain = {}) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '.' || c == '_' || c == '~' ||
                       also_plain.find(ch) != std::string_view::npos;
    if (plain) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// The origin-form target ("/a%20b?q=1&flag") for a decoded `path` (which starts with '/') and
// decoded query pairs (a pair with an empty value is written as its name alone).
inline std::string EncodeTarget(std::string_view path,
                                const std::vector<std::pair<std::string, std::string>>& query) {
  std::string target = PercentEncode(path, kPathPlain);
  for (std::size_t i = 0; i < query.size(); ++i) {
    target += i == 0 ? '?' : '&';
    target += PercentEncode(query[i].first);
    if (!query[i].second.empty()) target += "=" + PercentEncode(query[i].second);
  }
  return target;
}

// The reason phrase for a status line ("Not Found" for 404); "Status" for a code not listed.
inline std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 426:
      return "Upgrade Required";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Status";
  }
}

}  // namespace codeyard::http
