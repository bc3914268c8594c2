#include "lws_http.hpp"

#include <libwebsockets.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>

#include "codeyard/id.hpp"
#include "lws_raw_tap.hpp"
#include "request_target.hpp"
#include "security_headers.hpp"

namespace codeyard::server {
namespace {

// The request headers handlers get to see: lws parses these into tokens.
struct KnownHeader {
  lws_token_indexes token;
  const char* name;
};
constexpr KnownHeader kKnownHeaders[] = {
    {WSI_TOKEN_HTTP_CONTENT_TYPE, "content-type"},
    {WSI_TOKEN_HTTP_CONTENT_LENGTH, "content-length"},
    {WSI_TOKEN_HTTP_AUTHORIZATION, "authorization"},
    {WSI_TOKEN_HTTP_COOKIE, "cookie"},
    {WSI_TOKEN_ORIGIN, "origin"},
    {WSI_TOKEN_HTTP_ACCEPT, "accept"},
    {WSI_TOKEN_HTTP_IF_MATCH, "if-match"},
    {WSI_TOKEN_HTTP_IF_NONE_MATCH, "if-none-match"},
    {WSI_TOKEN_HTTP_USER_AGENT, "user-agent"},
};

bool HasHeader(const Fields& headers, std::string_view lower_name) {
  for (const auto& [k, v] : headers) {
    if (k.size() != lower_name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < k.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(k[i])) == lower_name[i];
    }
    if (same) return true;
  }
  return false;
}

// True when lws's copy of the path (`theirs`) can have come from `ours`: lws only drops bytes
// (resolving `.`, `..` and `//`, cutting at a raw ';' or '&') and turns '+' into a space, so
// its copy is a subsequence of ours; and without any of those in the raw path, the two are
// equal. Anything else means the tap and lws framed the connection's bytes differently (lws
// answers some requests itself, unseen, e.g. an unknown Upgrade), and the line is not this
// request's.
bool SamePath(std::string_view raw_path, std::string_view ours, std::string_view theirs) {
  if (raw_path.find_first_of("%;&+") == std::string_view::npos &&
      raw_path.find("/.") == std::string_view::npos &&
      raw_path.find("//") == std::string_view::npos) {
    return ours == theirs;
  }
  std::size_t i = 0;
  for (const char c : ours) {
    if (i < theirs.size() && (theirs[i] == c || (c == '+' && theirs[i] == ' '))) ++i;
  }
  return i == theirs.size();
}

// The method lws parsed, or nullopt for one the server does not serve.
std::optional<Method> LwsMethod(lws* wsi, std::string_view* path) {
  char* uri = nullptr;
  int uri_len = 0;
  const int method = lws_http_get_uri_and_method(wsi, &uri, &uri_len);
  *path = uri == nullptr ? std::string_view() : std::string_view(uri);  // its first fragment
  switch (method) {
    case LWSHUMETH_GET:
      return Method::kGet;
    case LWSHUMETH_HEAD:
      return Method::kHead;
    case LWSHUMETH_POST:
      return Method::kPost;
    case LWSHUMETH_PUT:
      return Method::kPut;
    case LWSHUMETH_PATCH:
      return Method::kPatch;
    case LWSHUMETH_DELETE:
      return Method::kDelete;
    case LWSHUMETH_OPTIONS:
      return Method::kOptions;
    default:
      return std::nullopt;
  }
}

// The body length lws will read: it parses Content-Length with atoll.
uint64_t LwsBodyLength(lws* wsi) {
  const int n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
  if (n <= 0 || n > 64) return 0;
  std::string value(static_cast<std::size_t>(n) + 1, '\0');
  if (lws_hdr_copy(wsi, value.data(), n + 1, WSI_TOKEN_HTTP_CONTENT_LENGTH) < 0) return 0;
  const long long length = std::atoll(value.c_str());
  return length > 0 ? static_cast<uint64_t>(length) : 0;
}

}  // namespace

void BeginRequest(lws* wsi) {
  RawTap* tap = RawTap::OfThisThread();
  const int fd = lws_get_socket_fd(wsi);
  if (tap == nullptr || fd < 0) return;
  if (tap->TakeRequestLine(fd)) tap->SkipBody(fd, LwsBodyLength(wsi));
}

RequestLine ReadRequestLine(lws* wsi) {
  RequestLine out;
  std::string_view lws_path;
  out.method = LwsMethod(wsi, &lws_path);
  const RawTap* tap = RawTap::OfThisThread();
  const std::string* line =
      tap == nullptr ? nullptr : tap->CurrentRequestLine(lws_get_socket_fd(wsi));
  if (line == nullptr) {
    out.error = "cannot read the request line";
    return out;
  }
  auto target = ParseRequestLine(*line);
  if (!target) {
    out.error = target.error().message();
    return out;
  }
  // Both parsers must agree on which request this is; a disagreement means one of them framed
  // the connection's bytes differently, and nothing read from lws's table could be trusted.
  // ParseRequestLine accepted exactly "METHOD SP target SP VERSION".
  const std::string_view sent(*line);
  const std::size_t sp1 = sent.find(' ');
  const std::string_view target_text = sent.substr(sp1 + 1, sent.rfind(' ') - sp1 - 1);
  const std::string_view raw_path = target_text.substr(0, target_text.find('?'));
  if ((out.method && target->method != MethodName(*out.method)) ||
      !SamePath(raw_path, target->path, lws_path)) {
    out.error = "malformed request line";
    return out;
  }
  out.path = std::move(target->path);
  out.query = std::move(target->query);
  return out;
}

std::optional<Method> RequestMethodAndPath(lws* wsi, std::string* path) {
  RequestLine line = ReadRequestLine(wsi);
  path->clear();
  if (line.error.empty()) *path = std::move(line.path);
  return line.method;
}

bool ValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

namespace {

// A UUID v4 like NewUuid's, from random bytes fetched 1 KiB at a time: one getrandom(2) per
// 64 requests instead of one each. Ids need to be unique, not secret. Per thread (the
// service thread makes them all).
std::string NewRequestId() {
  static constexpr std::size_t kBatch = 1024;
  thread_local std::string pool;
  thread_local std::size_t used = kBatch;
  if (pool.size() < used + 16) {
    auto fresh = RandomBytes(kBatch);
    if (!fresh) return NewUuid();  // aborts rather than repeat an id
    pool = std::move(*fresh);
    used = 0;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  std::size_t o = 0;
  for (std::size_t i = 0; i < 16; ++i, o += 2) {
    auto byte = static_cast<unsigned char>(pool[used + i]);
    if (i == 6) byte = (byte & 0x0f) | 0x40;  // version 4
    if (i == 8) byte = (byte & 0x3f) | 0x80;  // RFC 4122 variant
    if (i == 4 || i == 6 || i == 8 || i == 10) ++o;
    out[o] = kHex[byte >> 4];
    out[o + 1] = kHex[byte & 0x0f];
  }
  used += 16;
  return out;
}

}  // namespace

std::string IncomingOrNewRequestId(lws* wsi) {
  static constexpr char kName[] = "x-request-id:";
  const int nlen = static_cast<int>(sizeof(kName) - 1);
  const int n = lws_hdr_custom_length(wsi, kName, nlen);
  if (n >= 1 && n <= 64) {
    std::string value(static_cast<std::size_t>(n) + 1, '\0');
    if (lws_hdr_custom_copy(wsi, value.data(), n + 1, kName, nlen) == n) {
      value.resize(static_cast<std::size_t>(n));
      if (ValidRequestId(value)) return value;
    }
  }
  return NewRequestId();
}

Fields CaptureHeaders(lws* wsi) {
  Fields out;
  out.reserve(std::size(kKnownHeaders));  // one allocation, not one per doubling
  for (const KnownHeader& h : kKnownHeaders) {
    const int n = lws_hdr_total_length(wsi, h.token);
    if (n <= 0) continue;
    std::string value(static_cast<std::size_t>(n) + 1, '\0');
    const int got = lws_hdr_copy(wsi, value.data(), n + 1, h.token);
    if (got < 0) continue;
    value.resize(static_cast<std::size_t>(got));
    out.emplace_back(h.name, std::move(value));
  }
  return out;
}

bool HasTransferEncoding(lws* wsi) {
  return lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0;
}

bool MayHaveBufferedInput(lws* wsi) {
  constexpr int kProbeMs = 1000;  // any value > 0: the answer is 0 or this
  return lws_service_adjust_timeout(lws_get_context(wsi), kProbeMs, 0) == 0;
}

bool WriteResponseHeaders(lws* wsi, const Response& response, std::string_view request_id,
                          bool head_only, bool close_after, std::vector<unsigned char>& scratch,
                          std::string_view body) {
  const Response& r = response;
  std::size_t budget = 1024 + r.content_type.size() + request_id.size() + body.size();
  for (const auto& [k, v] : r.headers) budget += k.size() + v.size() + 8;
  scratch.assign(LWS_PRE + budget, 0);
  unsigned char* start = scratch.data() + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = scratch.data() + scratch.size();
  // `name` is lower case and ends in ':', as lws wants it: the fixed headers are written so.
  auto add_lower = [&](const char* name, std::string_view value) {
    return lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(name),
                                       reinterpret_cast<const unsigned char*>(value.data()),
                                       static_cast<int>(value.size()), &p, end) == 0;
  };
  auto add = [&](std::string_view name, std::string_view value) {
    std::string lower(name.size() + 1, ':');
    for (std::size_t i = 0; i < name.size(); ++i) {
      const char ch = name[i];
      lower[i] = ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch;
    }
    return add_lower(lower.c_str(), value);
  };
  // HEAD: the GET length, but lws must not expect body bytes (it then adds Connection: close).
  const lws_filepos_t length = head_only ? LWS_ILLEGAL_HTTP_CONTENT_LEN : r.body.size();
  bool ok = lws_add_http_common_headers(
                wsi, static_cast<unsigned>(r.status) | LWSAHH_FLAG_NO_SERVER_NAME,
                r.content_type.empty() ? nullptr : r.content_type.c_str(), length, &p, end) == 0;
  if (head_only) ok = ok && add_lower("content-length:", std::to_string(r.body.size()));
  ok = ok && add_lower("x-request-id:", request_id);
  ok = ok && add_lower("x-content-type-options:", kContentTypeOptions);
  ok = ok && add_lower("referrer-policy:", kReferrerPolicy);
  ok = ok && add_lower("x-frame-options:", kFrameOptions);
  ok = ok && add_lower("cross-origin-opener-policy:", kCrossOriginOpenerPolicy);
  ok = ok && add_lower("permissions-policy:", kPermissionsPolicy);
  if (!HasHeader(r.headers, "cache-control")) {
    ok = ok && add_lower("cache-control:", kApiCacheControl);
  }
  if (!HasHeader(r.headers, "content-security-policy")) {
    ok = ok && add_lower("content-security-policy:", kApiContentSecurityPolicy);
  }
  for (const auto& [k, v] : r.headers) ok = ok && add(k, v);
  if (close_after && !head_only) ok = ok && add_lower("connection:", "close");
  if (body.empty()) return ok && lws_finalize_write_http_header(wsi, start, &p, end) == 0;
  if (!ok || lws_finalize_http_header(wsi, &p, end) != 0 ||
      static_cast<std::size_t>(end - p) < body.size()) {
    return false;
  }
  std::memcpy(p, body.data(), body.size());
  p += body.size();
  // For HTTP/1 lws_write sends the bytes as given (buffering what the socket does not take).
  const auto bytes = static_cast<std::size_t>(p - start);
  return lws_write(wsi, start, bytes, LWS_WRITE_HTTP_FINAL) == static_cast<int>(bytes);
}

}  // namespace codeyard::server
