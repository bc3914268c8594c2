// The run WebSocket's HTTP face. The IDE's Run is a WebSocket (lws_run_session, served in the
// upgrade path before any route runs); a plain GET of its URL reaches this route instead and
// gets 426 Upgrade Required, so the path is documented in openapi.json like every other.
#include "api.hpp"
#include "http_errors.hpp"

namespace codeyard::server {

void AddRunSessionRoutes(Router& router, Services& /*services*/) {
  router.Add(Method::kGet, "/api/v1/workspaces/{id}/run", [](const Request& r) -> Result<Response> {
    Response response = ErrorResponse(
        426,
        Error(
            Error::Code::kFailedPrecondition,
            "Run is a WebSocket: connect with Upgrade: websocket (docs/api.md, \"Run WebSocket\")"),
        r.request_id);
    response.headers.emplace_back("Upgrade", "websocket");
    return response;
  });
}

}  // namespace codeyard::server
