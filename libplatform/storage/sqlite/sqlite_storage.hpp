// The SQLite storage backend, the embedded default: WAL journal, foreign keys on, a busy
// timeout, one writer connection shared under a mutex and a small pool of reader
// connections. Registered under the scheme "sqlite".
#pragma once

#include <memory>
#include <string_view>

#include "codeyard/backend/registry.hpp"
#include "codeyard/backend/storage.hpp"

namespace codeyard {

// URIs: "sqlite:///abs/path.db", "sqlite://relative/path.db", "sqlite::memory:" (one private
// in-memory database per Storage). Query parameters: readers (0-64, default 4),
// busy_timeout_ms (default 5000), reserve_bytes (sqlite_space.hpp) and read_cache_bytes
// (default 8 MiB, 0 = none; sqlite_read_cache.hpp: only with readers, on a WAL file). The file is
// opened (and created) before returning: kPermissionDenied for a read-only location, kDataLoss for
// a file that is not a database.
[[nodiscard]] Result<std::unique_ptr<Storage>> OpenSqliteStorage(std::string_view uri,
                                                                 const BackendContext& context);

}  // namespace codeyard
