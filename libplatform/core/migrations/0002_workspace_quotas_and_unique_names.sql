
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
