-- Content stored once by its SHA-256 (issue 15). A file item names its blob instead of
-- holding its bytes, so identical files (across workspaces, and in review snapshots) share
-- one row and a snapshot copies no bytes. `content` is NULL or empty for the empty file.
-- Blobs are collected by reachability (store::blobs::Collect), not counted: the foreign
-- keys that reference them make a collection that races a new reference fail instead of
-- losing the blob.
CREATE TABLE blobs (
  sha256  TEXT PRIMARY KEY,
  size    BIGINT NOT NULL,
  content {blob}
);

-- Moving the bytes relies on the sha256 column the library has kept for every file. The
-- guard table fails the migration (its CHECK) rather than merge two different contents
-- under one digest if that column were ever wrong.
CREATE TABLE blob_migration_guard (ok BIGINT NOT NULL CHECK (ok = 1));
INSERT INTO blob_migration_guard
  SELECT 0 FROM workspace_items WHERE kind = 'file' AND length(sha256) <> 64;
CREATE INDEX blob_migration_sha256 ON workspace_items (sha256);
INSERT INTO blobs (sha256, size, content)
  SELECT i.sha256, i.size, i.content FROM workspace_items i
  WHERE i.kind = 'file'
    AND i.id = (SELECT MIN(j.id) FROM workspace_items j
                WHERE j.kind = 'file' AND j.sha256 = i.sha256);
INSERT INTO blob_migration_guard
  SELECT 0 FROM workspace_items i JOIN blobs b ON b.sha256 = i.sha256
  WHERE i.kind = 'file'
    AND (i.size <> b.size
         OR (i.size > 0 AND (i.content IS NULL OR b.content IS NULL OR i.content <> b.content)));
DROP INDEX blob_migration_sha256;
DROP TABLE blob_migration_guard;

-- Folders have no blob. `sha256` stays (the sync compares it); for a file it equals
-- blob_sha256. Clearing `content` before dropping it frees PostgreSQL's TOAST rows.
ALTER TABLE workspace_items ADD COLUMN blob_sha256 TEXT REFERENCES blobs (sha256);
UPDATE workspace_items SET blob_sha256 = sha256, content = NULL WHERE kind = 'file';
ALTER TABLE workspace_items DROP COLUMN content;
CREATE INDEX workspace_items_blob ON workspace_items (blob_sha256);
