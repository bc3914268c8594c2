-- Changes pushed, not polled (issue 14): an append-only record of changes, written in the
-- transaction that makes each one. `xact` is the writing transaction's id on PostgreSQL
-- (readers order by (xact, id) and read only below the commit horizon: sequence order is not
-- commit order there); 0 on SQLite, whose writers commit one at a time. No foreign keys: an
-- event outlives its workspace, and owner_id says who may read it. Pruned by `at`.
CREATE TABLE events (
  id           {id},
  xact         BIGINT NOT NULL DEFAULT {xact},
  at           BIGINT NOT NULL,
  type         TEXT NOT NULL,
  workspace_id TEXT NOT NULL,
  owner_id     TEXT NOT NULL,
  data         TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_order ON events (xact, id);
CREATE INDEX events_at ON events (at);
