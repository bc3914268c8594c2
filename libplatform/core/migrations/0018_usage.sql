-- Usage metering (issue 20, codeyard/usage.hpp): one row per day, organization and user, the
-- sums of what the executor reported for the user's processes that day (CPU and wall
-- milliseconds, the largest peak memory), the jobs and runs finished, and the bytes the user's
-- workspaces stored as of the last record of the day. Written by an upsert that adds, in the
-- transaction that records the result (a job's completion; an exec's own write). `day` is the
-- UTC date 'YYYY-MM-DD', so text order is date order. `org_id` is the workspace's or job's
-- organization ('' when it has none). No foreign keys: usage outlives users, workspaces and
-- organizations, and ids are never reused.
CREATE TABLE usage_daily (
  day                TEXT NOT NULL,
  org_id             TEXT NOT NULL,
  user_id            TEXT NOT NULL,
  cpu_ms             BIGINT NOT NULL DEFAULT 0,
  wall_ms            BIGINT NOT NULL DEFAULT 0,
  peak_memory_bytes  BIGINT NOT NULL DEFAULT 0,
  jobs               BIGINT NOT NULL DEFAULT 0,
  runs               BIGINT NOT NULL DEFAULT 0,
  stored_bytes       BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (org_id, day, user_id)
);
CREATE INDEX usage_daily_user ON usage_daily (user_id, day);
-- Running totals per organization since the first record, updated by the same upsert's
-- transaction, so the per-organization metrics (codeyard_org_*_total) read one row per
-- organization instead of summing every day.
CREATE TABLE usage_totals (
  org_id   TEXT PRIMARY KEY,
  cpu_ms   BIGINT NOT NULL DEFAULT 0,
  wall_ms  BIGINT NOT NULL DEFAULT 0,
  jobs     BIGINT NOT NULL DEFAULT 0,
  runs     BIGINT NOT NULL DEFAULT 0
);
