// Shared shapes of the workspace and file routes: the page request of a list route
// (?limit=N&cursor=C), the {"items":[...],"next_cursor":...} answer, and the JSON of a sync
// pass (the exec response's "sync" and GET .../sync). Pure functions.
#pragma once

#include <boost/json.hpp>

#include <optional>
#include <string>

#include "codeyard/error.hpp"
#include "codeyard/files.hpp"
#include "codeyard/workspaces.hpp"
#include "router.hpp"

namespace codeyard::server {

// ?limit (default 50, 1-200) and ?cursor. kInvalidArgument for a limit that is not an integer
// in range; the cursor is checked by the library.
[[nodiscard]] Result<PageRequest> PageFrom(const Request& request);

// {"items": items, "next_cursor": cursor or null}.
[[nodiscard]] boost::json::object PageJson(boost::json::array items,
                                           const std::optional<std::string>& next_cursor);

// {"path","reason","rule"}.
[[nodiscard]] boost::json::object SyncSkipJson(const SyncSkip& skip);
// What one pass did: counts, conflicts and the (bounded) skipped list.
[[nodiscard]] boost::json::object SyncReportJson(const SyncReport& report);
// GET /api/v1/workspaces/{id}/sync.
[[nodiscard]] boost::json::object SyncStatusJson(const SyncStatus& status);

}  // namespace codeyard::server
