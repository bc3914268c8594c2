#include "cors.hpp"

#include <algorithm>
#include <utility>

#include "http_errors.hpp"

namespace codeyard::server {
namespace {

constexpr std::string_view kAllowMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
constexpr std::string_view kAllowHeaders =
    "authorization, content-type, if-match, if-none-match, x-request-id";
constexpr std::string_view kExposeHeaders = "ETag, X-Request-Id";
constexpr std::string_view kMaxAgeSeconds = "600";  // browsers cap it lower anyway (Chrome: 2 h)

}  // namespace

CorsPolicy::CorsPolicy(std::vector<std::string> origins) : origins_(std::move(origins)) {}

bool CorsPolicy::Allows(std::string_view origin) const {
  return !origin.empty() && std::find(origins_.begin(), origins_.end(), origin) != origins_.end();
}

Response CorsPolicy::Preflight(std::string_view origin, std::string_view request_id) const {
  if (!Allows(origin)) {
    return ErrorResponse(403,
                         Error(Error::Code::kPermissionDenied,
                               "origin " + ValidUtf8(origin) +
                                   " may not call this API (not in server.cors_origins)"),
                         request_id);
  }
  Response r;
  r.status = 204;
  r.content_type.clear();
  AddResponseHeaders(origin, r.headers);
  r.headers.emplace_back("Access-Control-Allow-Methods", kAllowMethods);
  r.headers.emplace_back("Access-Control-Allow-Headers", kAllowHeaders);
  r.headers.emplace_back("Access-Control-Max-Age", kMaxAgeSeconds);
  return r;
}

void CorsPolicy::AddResponseHeaders(std::string_view origin, Fields& headers) {
  headers.emplace_back("Access-Control-Allow-Origin", origin);
  headers.emplace_back("Vary", "Origin");
  headers.emplace_back("Access-Control-Expose-Headers", kExposeHeaders);
}

}  // namespace codeyard::server
