// The PostgreSQL storage backend (libpq): a pool of connections, parameterized statements
// only, binary transfer of bytes. Registered under the schemes "postgres" and "postgresql".
#pragma once

#include <memory>
#include <string_view>

#include "codeyard/backend/registry.hpp"
#include "codeyard/backend/storage.hpp"

namespace codeyard {

// Opens a pool for a libpq URI. Our own query parameters are removed before the URI reaches
// libpq: pool_size (1-256, default 8) and pool_timeout_ms (default 10000). A URI without
// connect_timeout gets connect_timeout=5. The first connection is made before returning, so
// an unreachable server is reported here as kUnavailable with libpq's reason.
[[nodiscard]] Result<std::unique_ptr<Storage>> OpenPostgresStorage(std::string_view uri,
                                                                   const BackendContext& context);

}  // namespace codeyard
