// The baselines' tables: the columns, keys, checks and index of workspace_items from
// migration 1 (libplatform/core/migrations.cpp), so the database does the same work for
// both sides. Workspaces get a one-column stand-in: the items' foreign key only checks its key.
#pragma once

#include <string>
#include <string_view>

namespace codeyard::bench {

// The DDL with `blob_type` ("BLOB", "BYTEA") for the content column; statements end in ';'.
[[nodiscard]] inline std::string BaselineSchemaSql(std::string_view blob_type) {
  return "CREATE TABLE baseline_workspaces (id TEXT PRIMARY KEY);"
         "CREATE TABLE baseline_items ("
         "  id           TEXT PRIMARY KEY,"
         "  workspace_id TEXT NOT NULL REFERENCES baseline_workspaces(id) ON DELETE CASCADE,"
         "  parent_id    TEXT REFERENCES baseline_items(id) ON DELETE CASCADE,"
         "  path         TEXT NOT NULL,"
         "  kind         TEXT NOT NULL CHECK (kind IN ('file', 'dir')),"
         "  content      " +
         std::string(blob_type) +
         ","
         "  size         BIGINT NOT NULL DEFAULT 0,"
         "  sha256       TEXT NOT NULL DEFAULT '',"
         "  version      BIGINT NOT NULL DEFAULT 1,"
         "  mtime        BIGINT NOT NULL,"
         "  created_at   BIGINT NOT NULL,"
         "  UNIQUE (workspace_id, path));"
         "CREATE INDEX baseline_items_parent ON baseline_items (workspace_id, parent_id);";
}

// The item columns in the order the repository reads them (content, when wanted, is 11th).
inline constexpr std::string_view kBaselineMetaColumns =
    "id, workspace_id, parent_id, path, kind, size, sha256, version, mtime, created_at";

}  // namespace codeyard::bench
