// Cross-origin requests to the API (CORS): which other origins' pages may call it, from the
// server.cors_origins allow-list (exact origins; empty = same-origin only). A preflight, an
// OPTIONS request with an Origin header, is answered here without reaching a route: 204 with
// the Access-Control-* headers for a listed origin, else 403 with the error envelope and no
// CORS header, so the browser refuses the real request. An actual request from a listed
// origin gets Access-Control-Allow-Origin (that origin), Vary: Origin and the exposed headers;
// from any other origin, no CORS header at all. Credentials (cookies) are never allowed: the
// API authenticates with bearer tokens. Immutable after construction; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "router.hpp"

namespace codeyard::server {

class CorsPolicy {
 public:
  // `origins` as Config::cors_origins holds them: validated, lower-case.
  explicit CorsPolicy(std::vector<std::string> origins = {});

  // True if `origin` (the Origin header as sent) is on the list, compared exactly.
  [[nodiscard]] bool Allows(std::string_view origin) const;

  // The answer to a preflight from `origin`.
  [[nodiscard]] Response Preflight(std::string_view origin, std::string_view request_id) const;

  // Adds the headers an actual response to an allowed `origin` carries.
  static void AddResponseHeaders(std::string_view origin, Fields& headers);

 private:
  std::vector<std::string> origins_;
};

}  // namespace codeyard::server
