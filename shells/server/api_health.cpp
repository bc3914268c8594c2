// Liveness and readiness. Liveness deliberately touches nothing but the process itself: a
// storage outage must not make an orchestrator restart healthy replicas. Readiness checks
// what a request needs: storage answers and the executor can list its pods.
#include "api.hpp"
#include "api_json.hpp"
#include "http_errors.hpp"

namespace codeyard::server {

void AddHealthRoutes(Router& router, Services& services) {
  router.Add(Method::kGet, "/api/v1/health", [](const Request&) -> Result<Response> {
    return Response::Json(200, R"({"status":"ok"})");
  });
  router.Add(Method::kGet, "/api/v1/ready", [&services](const Request&) -> Result<Response> {
    if (auto ping = services.platform->Ping(); !ping) {
      return Fail(Error::Code::kUnavailable, "storage: " + ping.error().message());
    }
    if (auto pods = services.platform->executor()->ListPods({}); !pods) {
      return Fail(Error::Code::kUnavailable, "executor: " + pods.error().message());
    }
    return Response::Json(200, R"({"status":"ready"})");
  });
}

}  // namespace codeyard::server
