
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
