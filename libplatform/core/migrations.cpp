// The schema's history. Never edit a migration that has shipped: add a new one.
#include <array>
#include <string>

#include "codeyard/backend/schema.hpp"
#include "storage/sql/sql_text.hpp"

namespace codeyard {
namespace {

constexpr std::string_view kV1Core = R"sql(
CREATE TABLE users (
  id             TEXT PRIMARY KEY,
  username       TEXT NOT NULL UNIQUE,
  display_name   TEXT NOT NULL DEFAULT '',
  password_hash  TEXT NOT NULL,
  role           TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
  reviewer_level BIGINT NOT NULL DEFAULT 0 CHECK (reviewer_level BETWEEN 0 AND 4),
  disabled       BIGINT NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  created_at     BIGINT NOT NULL,
  updated_at     BIGINT NOT NULL,
  version        BIGINT NOT NULL DEFAULT 1
);

-- Opaque refresh tokens, stored only as a hash. A family is one login's chain of rotations:
-- presenting a rotated (revoked) token again revokes the whole family.
CREATE TABLE refresh_tokens (
  id          TEXT PRIMARY KEY,
  user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  family_id   TEXT NOT NULL,
  token_hash  TEXT NOT NULL UNIQUE,
  created_at  BIGINT NOT NULL,
  expires_at  BIGINT NOT NULL,
  revoked_at  BIGINT,
  replaced_by TEXT
);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

CREATE TABLE workspaces (
  id             TEXT PRIMARY KEY,
  owner_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name           TEXT NOT NULL,
  state          TEXT NOT NULL DEFAULT 'stopped'
                 CHECK (state IN ('stopped', 'starting', 'running', 'stopping')),
  total_bytes    BIGINT NOT NULL DEFAULT 0,
  created_at     BIGINT NOT NULL,
  updated_at     BIGINT NOT NULL,
  last_active_at BIGINT NOT NULL,
  version        BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX workspaces_owner ON workspaces (owner_id);

-- The file tree. `path` is the normalized relative path ("src/main.py"); `parent_id` is the
-- folder holding the item (NULL at the top), so deleting a folder removes what it holds.
CREATE TABLE workspace_items (
  id           TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  parent_id    TEXT REFERENCES workspace_items(id) ON DELETE CASCADE,
  path         TEXT NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('file', 'dir')),
  content      {blob},
  size         BIGINT NOT NULL DEFAULT 0,
  sha256       TEXT NOT NULL DEFAULT '',
  version      BIGINT NOT NULL DEFAULT 1,
  mtime        BIGINT NOT NULL,
  created_at   BIGINT NOT NULL,
  UNIQUE (workspace_id, path)
);
-- Leading with parent_id: the ON DELETE CASCADE of a folder looks children up by it alone.
CREATE INDEX workspace_items_parent ON workspace_items (parent_id);

-- Which pod serves a workspace now, and which server node owns it.
CREATE TABLE pods (
  workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
  pod_id       TEXT NOT NULL UNIQUE,
  executor     TEXT NOT NULL,
  node         TEXT NOT NULL,
  state        TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  updated_at   BIGINT NOT NULL
);

-- What storage and pod agreed on at the last sync, per path: the base of the three-way
-- comparison that finds changes on each side.
CREATE TABLE sync_manifests (
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  path         TEXT NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('file', 'dir')),
  size         BIGINT NOT NULL,
  mtime_ns     BIGINT NOT NULL,
  sha256       TEXT NOT NULL,
  item_version BIGINT NOT NULL,
  PRIMARY KEY (workspace_id, path)
);

-- Append-only. actor_id has no foreign key: the record outlives the user.
CREATE TABLE audit_log (
  id         {id},
  ts         BIGINT NOT NULL,
  actor_id   TEXT,
  action     TEXT NOT NULL,
  target     TEXT NOT NULL DEFAULT '',
  detail     TEXT NOT NULL DEFAULT '{}',
  request_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_ts ON audit_log (ts);
)sql";

// Workspace quotas and names (issue 13): entry_count is kept like total_bytes, for the
// per-workspace and per-user entry quotas; a user's workspace names are unique. Databases
// may already hold duplicate names: the newer of each pair is renamed "<name> (<id prefix>)"
// (oldest first keeps its name), so the unique index can be built and nothing is lost.
constexpr std::string_view kV2WorkspaceQuotas = R"sql(
ALTER TABLE workspaces ADD COLUMN entry_count BIGINT NOT NULL DEFAULT 0;
UPDATE workspaces SET entry_count =
  (SELECT COUNT(*) FROM workspace_items i WHERE i.workspace_id = workspaces.id);
UPDATE workspaces SET name = substr(name, 1, 88) || ' (' || substr(id, 1, 8) || ')'
WHERE EXISTS (SELECT 1 FROM workspaces older
              WHERE older.owner_id = workspaces.owner_id AND older.name = workspaces.name
                AND (older.created_at < workspaces.created_at
                     OR (older.created_at = workspaces.created_at AND older.id < workspaces.id)));
CREATE UNIQUE INDEX workspaces_owner_name ON workspaces (owner_id, name);
CREATE INDEX workspaces_owner_created ON workspaces (owner_id, created_at, id);
)sql";

// Rate-limit counters shared by every server on the database (core/limits): `id` is
// "<limit key>:<subject>", `hits` the events counted in the window ending at `reset_at`,
// `blocked_until` the end of a backoff wait (0 = none). Old rows are swept by time.
constexpr std::string_view kV3RateLimits = R"sql(
CREATE TABLE rate_limits (
  id            TEXT PRIMARY KEY,
  hits          BIGINT NOT NULL,
  reset_at      BIGINT NOT NULL,
  blocked_until BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX rate_limits_reset ON rate_limits (reset_at);
)sql";

// Pods are leases (issue 14): the row is the one record of which pod serves a workspace,
// held by a server replica until lease_until, under a fencing token (generation) that every
// claim bumps. pod_id is NULL while the holder starts the pod and once the lease is
// released. Old rows keep their pod under an expired lease, so the next replica to open
// the workspace takes it over. claim_locks holds the row every claim locks first, so that
// the running-pod limits are counted one claim at a time across replicas.
constexpr std::string_view kV4PodLeases = R"sql(
CREATE TABLE pod_leases (
  workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
  pod_id       TEXT UNIQUE,
  executor     TEXT NOT NULL,
  replica      TEXT NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('starting', 'running', 'released')),
  lease_until  BIGINT NOT NULL,
  generation   BIGINT NOT NULL,
  created_at   BIGINT NOT NULL,
  updated_at   BIGINT NOT NULL
);
INSERT INTO pod_leases (workspace_id, pod_id, executor, replica, state, lease_until, generation,
                        created_at, updated_at)
SELECT workspace_id, pod_id, executor, node, 'running', 0, 1, created_at, updated_at FROM pods;
DROP TABLE pods;
ALTER TABLE pod_leases RENAME TO pods;
CREATE INDEX pods_state_lease ON pods (state, lease_until);
CREATE TABLE claim_locks (
  name   TEXT PRIMARY KEY,
  claims BIGINT NOT NULL DEFAULT 0
);
INSERT INTO claim_locks (name, claims) VALUES ('pods', 0);
)sql";

constexpr std::array kMigrations = {
    Migration{1, "core entities", kV1Core},
    Migration{2, "workspace quotas and unique names", kV2WorkspaceQuotas},
    Migration{3, "rate limits", kV3RateLimits},
    Migration{4, "pod leases", kV4PodLeases},
};

constexpr std::string_view kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

Result<int64_t> CurrentVersion(Transaction& tx) {
  auto rows = tx.Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {});
  if (!rows) return Fail(rows.error());
  if (rows->empty()) return 0;
  return rows->front().Int(0);
}

}  // namespace

std::span<const Migration> BuiltinMigrations() { return kMigrations; }

Result<int64_t> SchemaVersion(Storage& storage) {
  auto tx = storage.Begin(TxKind::kRead);
  if (!tx) return Fail(tx.error());
  auto version = CurrentVersion(**tx);
  (*tx)->Rollback();
  return version;
}

Result<int64_t> ApplyMigrations(Storage& storage, const Clock& clock,
                                std::span<const Migration> migrations) {
  const int64_t latest = migrations.empty() ? 0 : migrations.back().version;
  // Fast path: most opens find the schema current and need no write lock.
  if (auto current = SchemaVersion(storage); current && *current == latest) return latest;

  auto tx = storage.Begin(TxKind::kSchema);
  if (!tx) return Fail(tx.error().WithContext("migrations"));
  if (auto r = (*tx)->Exec(kCreateMigrationsTable, {}); !r) {
    return Fail(r.error().WithContext("migrations: creating schema_migrations"));
  }
  auto current = CurrentVersion(**tx);
  if (!current) return Fail(current.error().WithContext("migrations"));
  if (*current > latest) {
    return Fail(Error::Code::kFailedPrecondition,
                "migrations: the database has schema version " + std::to_string(*current) +
                    " but this build knows only up to " + std::to_string(latest) +
                    "; upgrade Codeyard before opening it");
  }
  for (const Migration& m : migrations) {
    if (m.version <= *current) continue;
    const std::string context =
        "migration " + std::to_string(m.version) + " (" + std::string(m.name) + ")";
    for (const std::string& statement : sql::SplitStatements(storage.Dialect(m.sql))) {
      if (auto r = (*tx)->Exec(statement, {}); !r) return Fail(r.error().WithContext(context));
    }
    if (auto r = (*tx)->Exec(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
            {Value{m.version}, Value{std::string(m.name)}, Value{clock.NowMillis()}});
        !r) {
      return Fail(r.error().WithContext(context));
    }
  }
  if (auto r = (*tx)->Commit(); !r) return Fail(r.error().WithContext("migrations: commit"));
  return latest;
}

}  // namespace codeyard
