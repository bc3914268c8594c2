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

// The user id the request's credentials name (kUnauthenticated when it has none that fit).
[[nodiscard]] Result<std::string> PreviewCaller(const Accounts& accounts, const PortRelay& relay,
                                                const Request& r, std::string_view workspace_id,
                                                uint16_t port);

}  // namespace codeyard::server
