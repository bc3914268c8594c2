-- The audit log gets the caller's address, indexes for the admin API's filters, the retention
-- sweep's lease row and the replicas' heartbeats (issue 20, docs/admin.md).
--
-- Append-only is enforced by triggers too (no UPDATE; a DELETE only inside the retention
-- sweep's transaction, which sets audit_sweeps.active while it runs). Trigger syntax differs
-- between the engines, so migrations.cpp adds each backend's triggers to this migration's
-- transaction (core/store/audit_guard.cpp); this file holds the portable part.
ALTER TABLE audit_log ADD COLUMN source TEXT NOT NULL DEFAULT '';
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_target ON audit_log (target, id);

-- One row per sweep: its lease (one replica sweeps per period) and whether it is deleting now.
CREATE TABLE audit_sweeps (
  name        TEXT PRIMARY KEY,
  holder      TEXT NOT NULL DEFAULT '',
  lease_until BIGINT NOT NULL DEFAULT 0,
  active      BIGINT NOT NULL DEFAULT 0 CHECK (active IN (0, 1))
);
INSERT INTO audit_sweeps (name) VALUES ('retention');

-- Each server replica's heartbeat (Admin::Replicas): written every few seconds by the process.
CREATE TABLE replicas (
  id           TEXT PRIMARY KEY,
  version      TEXT NOT NULL,
  started_at   BIGINT NOT NULL,
  heartbeat_at BIGINT NOT NULL
);
