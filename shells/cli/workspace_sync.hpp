// `codeyard workspace push ID DIR` / `pull ID DIR`: a local folder synced with a workspace
// through the REST file routes, under the library's sync rule (codeyard/sync_rule.hpp). The
// last agreed state (path -> the server's item version and the local bytes' sha256) is kept in
// DIR/.codeyard/sync-<ID>.json, which is never pushed. Push sends what changed locally (writes
// and deletions), pull brings what changed on the server; a path changed on both sides with
// different bytes keeps both: the server's version stays at the path and the local one is
// saved as `name.conflict-<UTC time>.ext` on both sides, and the command exits 5. Writes carry
// If-Match with the version last seen, so an edit made meanwhile on the server is never
// overwritten (it is a conflict instead). What the sync engine leaves alone is left alone
// here too (codeyard::SyncIgnoreRules): its defaults and the rules of `.syncignore`, the local
// folder's and the workspace's both. Single-threaded.
#pragma once

#include <boost/json.hpp>
#include <string>

#include <CLI/CLI.hpp>

namespace codeyard::cli {

class ApiClient;

// Every item of a paginated list route, following next_cursor.
[[nodiscard]] boost::json::array ListAll(ApiClient& api, const std::string& path);

// Adds `push` and `pull` under the `workspace` command.
void AddWorkspaceSyncCommands(CLI::App& workspace);

}  // namespace codeyard::cli
