// Where each route's handler runs and how large a body it takes (RouteOptions), in one table
// next to the route groups of api.hpp: long work (anything that waits on a pod) goes to the
// long-work pool, the liveness check runs inline, and bodies are capped per route before they
// are read (the auth routes take a few KiB; file uploads, exec and runs up to
// server.max_body_bytes; everything else RouteOptions::kDefaultMaxBodyBytes). Kept apart from
// the api_*.cpp files so that the server's capacity rules read in one place.
#pragma once

#include "codeyard/error.hpp"
#include "router.hpp"

namespace codeyard::server {

// Sets the table's options on `router`, whose route groups are registered. kNotFound when the
// table names a route the router does not have (the table must follow the routes).
[[nodiscard]] Result<void> ApplyRouteOptions(Router& router);

}  // namespace codeyard::server
