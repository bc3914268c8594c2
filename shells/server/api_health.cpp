// Liveness. Deliberately touches nothing but the process itself: a storage outage must not
// make an orchestrator restart healthy replicas (readiness will check storage instead).
#include "api.hpp"

namespace codeyard::server {

void AddHealthRoutes(Router& router, Platform& /*platform*/) {
  router.Add(Method::kGet, "/api/v1/health", [](const Request&) -> Result<Response> {
    return Response::Json(200, R"({"status":"ok"})");
  });
}

}  // namespace codeyard::server
