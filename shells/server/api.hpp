// The REST API as a table of route groups, like the CLI's command table: each group is one
// function in its own api_*.cpp that registers its routes on the Router. Handlers run on
// worker threads, call the public library API and return a Response or an Error; no business
// rule lives here.
#pragma once

#include <array>

#include "codeyard/platform.hpp"
#include "router.hpp"

namespace codeyard::server {

// GET /api/v1/health: 200 {"status":"ok"} while the process serves requests (liveness).
void AddHealthRoutes(Router& router, Platform& platform);

using AddRoutes = void (*)(Router&, Platform&);
inline constexpr std::array<AddRoutes, 1> kRouteGroups = {
    AddHealthRoutes,
};

}  // namespace codeyard::server
