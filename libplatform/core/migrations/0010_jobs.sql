-- The durable job queue (issue 16, codeyard/jobs.hpp). A job is queued, then running under a
-- lease held by one worker (`worker`, until `lease_until`) for its `attempt`-th claim, the
-- fencing token every claim bumps, then done with its result. `payload` and `result` are the
-- kind's bytes (a run's stdout need not be UTF-8). `started_at` is the first claim (the queue
-- wait ends there). A job with a callback_url has its result POSTed there once done:
-- callback_state pending (due at callback_next_at), then delivered or failed.
CREATE TABLE jobs (
  id           TEXT PRIMARY KEY,
  owner_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  kind         TEXT NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done')),
  attempt      BIGINT NOT NULL DEFAULT 0,
  max_attempts BIGINT NOT NULL,
  worker       TEXT,
  lease_until  BIGINT NOT NULL DEFAULT 0,
  verdict      TEXT,
  payload      {blob} NOT NULL,
  result       {blob},
  created_at   BIGINT NOT NULL,
  started_at   BIGINT,
  claimed_at   BIGINT,
  finished_at  BIGINT,
  callback_url      TEXT,
  callback_state    TEXT CHECK (callback_state IN ('pending', 'delivered', 'failed')),
  callback_attempts BIGINT NOT NULL DEFAULT 0,
  callback_next_at  BIGINT
);
CREATE INDEX jobs_queue ON jobs (state, created_at, id);
CREATE INDEX jobs_lease ON jobs (state, lease_until);
CREATE INDEX jobs_owner ON jobs (owner_id, created_at, id);
CREATE INDEX jobs_started ON jobs (started_at);
CREATE INDEX jobs_finished ON jobs (finished_at);
CREATE INDEX jobs_callbacks ON jobs (callback_state, callback_next_at)
