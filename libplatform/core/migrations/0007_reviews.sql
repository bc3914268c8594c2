-- Code review (issue 15). No foreign key to users or workspaces: a review, its snapshots and
-- its history outlive the workspace and the people (the history is never edited). The
-- snapshots hold their blobs (review_files.blob_sha256), so the bytes stay while a review
-- does. `priority` is a rank (0 low, 1 normal, 2 high, 3 urgent) so the queue sorts on it.
CREATE TABLE review_requests (
  id                TEXT PRIMARY KEY,
  author_id         TEXT NOT NULL,
  workspace_id      TEXT NOT NULL,
  title             TEXT NOT NULL,
  description       TEXT NOT NULL DEFAULT '',
  priority          BIGINT NOT NULL CHECK (priority BETWEEN 0 AND 3),
  required_level    BIGINT NOT NULL CHECK (required_level BETWEEN 0 AND 4),
  status            TEXT NOT NULL CHECK (status IN ('pending', 'in_review', 'approved',
                                                    'changes_requested', 'rejected', 'withdrawn')),
  reviewer_id       TEXT,
  revision          BIGINT NOT NULL DEFAULT 1,
  decision_message  TEXT,
  created_at        BIGINT NOT NULL,
  updated_at        BIGINT NOT NULL,
  version           BIGINT NOT NULL DEFAULT 1
);
-- The queue: pending, by priority (highest first) then age, keyset-paginated. The index is
-- in exactly that order (priority DESC) so a page is read in order without a sort, and holds
-- the queue's filters (level, author) so skipped rows cost no table lookup.
CREATE INDEX review_requests_queue
  ON review_requests (status, priority DESC, created_at, id, required_level, author_id);
CREATE INDEX review_requests_author ON review_requests (author_id, created_at, id);
CREATE INDEX review_requests_reviewer ON review_requests (reviewer_id, created_at, id);

-- A revision is an immutable manifest of the workspace at submission: path -> blob.
CREATE TABLE review_revisions (
  review_id   TEXT NOT NULL REFERENCES review_requests (id),
  number      BIGINT NOT NULL,
  created_at  BIGINT NOT NULL,
  file_count  BIGINT NOT NULL,
  total_bytes BIGINT NOT NULL,
  PRIMARY KEY (review_id, number)
);
CREATE TABLE review_files (
  review_id   TEXT NOT NULL,
  revision    BIGINT NOT NULL,
  path        TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('file', 'dir')),
  mode        BIGINT NOT NULL,
  size        BIGINT NOT NULL,
  blob_sha256 TEXT REFERENCES blobs (sha256),
  PRIMARY KEY (review_id, revision, path),
  FOREIGN KEY (review_id, revision) REFERENCES review_revisions (review_id, number)
);
CREATE INDEX review_files_blob ON review_files (blob_sha256);

-- Comments on a revision: the whole review (no path), a file (no lines) or a line range on
-- one side of a diff. Replies name their thread's first comment in in_reply_to.
CREATE TABLE review_comments (
  id          TEXT PRIMARY KEY,
  review_id   TEXT NOT NULL REFERENCES review_requests (id),
  revision    BIGINT NOT NULL,
  author_id   TEXT NOT NULL,
  path        TEXT,
  start_line  BIGINT,
  end_line    BIGINT,
  side        TEXT CHECK (side IN ('left', 'right')),
  body        TEXT NOT NULL,
  in_reply_to TEXT REFERENCES review_comments (id),
  resolved    BIGINT NOT NULL DEFAULT 0 CHECK (resolved IN (0, 1)),
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL,
  version     BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX review_comments_review ON review_comments (review_id, created_at, id);

-- Append-only: the library has no statement that updates or deletes a row here.
CREATE TABLE review_history (
  id          {id},
  review_id   TEXT NOT NULL,
  at          BIGINT NOT NULL,
  actor_id    TEXT NOT NULL,
  action      TEXT NOT NULL,
  from_status TEXT,
  to_status   TEXT,
  revision    BIGINT NOT NULL,
  detail      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX review_history_review ON review_history (review_id, at, id);
CREATE INDEX review_history_actor ON review_history (actor_id, action);

CREATE TABLE notifications (
  id        {id},
  user_id   TEXT NOT NULL,
  at        BIGINT NOT NULL,
  type      TEXT NOT NULL,
  review_id TEXT NOT NULL,
  actor_id  TEXT NOT NULL,
  data      TEXT NOT NULL DEFAULT '{}',
  is_read   BIGINT NOT NULL DEFAULT 0 CHECK (is_read IN (0, 1))
);
CREATE INDEX notifications_user ON notifications (user_id, is_read, id);
