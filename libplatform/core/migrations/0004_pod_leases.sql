
-- Pods are leases (issue 14): the row is the one record of which pod serves a workspace,
-- held by a server replica until lease_until, under a fencing token (generation) that every
-- claim bumps. pod_id is NULL while the holder starts the pod and once the lease is
-- released. Old rows keep their pod under an expired lease, so the next replica to open
-- the workspace takes it over. claim_locks holds the row every claim locks first, so that
-- the running-pod limits are counted one claim at a time across replicas.
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
