// Who calls the preview relay (api_ports.cpp), shared by its HTTP routes and its WebSockets
// (lws_relay.hpp): on /api/v1/workspaces/{id}/ports/{port}/ a bearer token when there is one
// (the IDE's fetches, a script's WebSocket), else a preview cookie for exactly that workspace
// and port (a tab). Stateless; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "codeyard/accounts.hpp"
#include "codeyard/port_relay.hpp"
#include "router.hpp"

namespace codeyard::server {

// A preview's answers come from this origin: as a sandbox without allow-same-origin it gets an
// opaque origin, so its scripts cannot read the IDE's stored tokens or call the API as the
// user; it may be framed by the IDE only.
inline constexpr std::string_view kPreviewPolicy =
    "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads; "
    "frame-ancestors 'self'";

// Headers the server sets on every answer itself: the program's copies are dropped.
[[nodiscard]] bool IsServerHeader(std::string_view lower_name);

// The user id the request's credentials name (kUnauthenticated when it has none that fit).
[[nodiscard]] Result<std::string> PreviewCaller(const Accounts& accounts, const PortRelay& relay,
                                                const Request& r, std::string_view workspace_id,
                                                uint16_t port);

}  // namespace codeyard::server
