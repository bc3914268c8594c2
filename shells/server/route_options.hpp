// Where each route's handler runs and how large a body it takes (RouteOptions), in one table
// next to the route groups of api.hpp: long work (anything that waits on a pod) goes to the
// long-work pool, the liveness check runs inline, reads of stored files run inline where
// storage is local (InlineReaders), and bodies are capped per route before they
// are read (the auth routes take a few KiB; file uploads, exec and runs up to
// server.max_body_bytes; everything else RouteOptions::kDefaultMaxBodyBytes). Kept apart from
// the api_*.cpp files so that the server's capacity rules read in one place.
#pragma once

#include <string_view>

#include "codeyard/backend/storage.hpp"
#include "codeyard/error.hpp"
#include "router.hpp"

namespace codeyard::server {

// Sets the table's options on `router`, whose route groups are registered. kNotFound when the
// table names a route the router does not have (the table must follow the routes).
[[nodiscard]] Result<void> ApplyRouteOptions(Router& router);

// Whether Work::kRead routes may run on the service thread over this storage
// (HttpServerOptions::inline_reads): the number of reader connections of SQLite on a file
// (its "readers" parameter, 4 by default), whose reads are local and wait at most for a
// reader; 0 for PostgreSQL (the network), an in-memory database or "readers=0" (reads share
// the writer's lock, held through any write).
[[nodiscard]] int InlineReaders(const StorageInfo& storage, std::string_view storage_uri);

}  // namespace codeyard::server
