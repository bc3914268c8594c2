// Operations endpoints. Metrics are served without authentication, as Prometheus scrapers
// expect: they carry counts, never user data, and operators keep them off the internet by
// firewalling the path (or the port). The metrics route is also served at /metrics, where
// scrapers look by default.
#include "api.hpp"
#include "metrics.hpp"
#include "openapi.hpp"

namespace codeyard::server {
namespace {

Response MetricsResponse(const Metrics& metrics) {
  Response out;
  out.content_type = std::string(kMetricsContentType);
  out.body = metrics.Render();
  return out;
}

}  // namespace

void AddOpsRoutes(Router& router, Services& services) {
  for (const char* path : {"/api/v1/metrics", "/metrics"}) {
    router.Add(Method::kGet, path, [&services](const Request&) -> Result<Response> {
      return MetricsResponse(services.metrics);
    });
  }
  router.Add(Method::kGet, "/api/v1/openapi.json", [](const Request&) -> Result<Response> {
    Response out;
    out.body = std::string(OpenApiJson());
    return out;
  });
}

}  // namespace codeyard::server
