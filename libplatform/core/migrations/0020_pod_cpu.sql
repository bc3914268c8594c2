-- Metering of everything a workspace's pod runs (issue 20, meter20; docs/usage.md): the
-- last CPU counter (Pod::CpuMs) recorded for each pod, so that a sample adds only what the pod
-- used since the one before, whichever replica takes it, and a replica's restart neither
-- loses nor repeats any. `cpu_ms` only grows (a sample lower than it adds nothing);
-- `sampled_at` (ms since the epoch) lets rows of pods long gone be swept. Pod ids are never
-- reused. No foreign keys: the row outlives its pod and may outlive its workspace.
CREATE TABLE pod_cpu (
  pod_id        TEXT PRIMARY KEY,
  workspace_id  TEXT NOT NULL,
  cpu_ms        BIGINT NOT NULL DEFAULT 0,
  sampled_at    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX pod_cpu_sampled ON pod_cpu (sampled_at);
