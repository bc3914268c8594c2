// The admin console's Workspaces (list by state, stop), Jobs (queue stats, list by state, retry
// or cancel) and Replicas (version, heartbeat, leases held) tabs.
import { useCallback, useState } from "react";
import { ChoiceFilter, DataTable } from "../ui/DataTable";
import { ErrorLine, useLoaded } from "../ui/useAction";
import type { AdminApi, AdminJob, AdminWorkspace, JobState, Replica } from "./api";
import { replicaState, shortTime } from "./logic";

const WORKSPACE_STATES = [{ value: "", label: "any" }, "running", "starting", "stopping", "stopped"] as const;
const JOB_STATES: readonly JobState[] = ["queued", "running", "stuck", "done"];

export function WorkspacesTab({ api }: { api: AdminApi }) {
  const [state, setState] = useState("");
  const load = useCallback(() => api.workspaces(state), [api, state]);
  const { data: items, error, busy, run } = useLoaded(load);
  return (
    <section aria-label="Workspaces">
      <ChoiceFilter label="State" value={state} choices={WORKSPACE_STATES} onChange={setState} />
      <ErrorLine error={error} />
      <DataTable<AdminWorkspace>
        label="All workspaces"
        rows={items ?? []}
        rowKey={(w) => w.id}
        rowData={(w) => ({ "data-workspace": w.id })}
        columns={[
          { header: "Workspace", cell: (w) => w.name },
          { header: "Owner", cell: (w) => w.owner_username },
          { header: "State", cell: (w) => w.state },
          { header: "Pod", cell: (w) => (w.pod && w.pod.state !== "released" ? `${w.pod.replica} (${w.pod.state})` : "—") },
          {
            header: "Actions",
            cell: (w) => (
              <button disabled={busy || w.state === "stopped"} onClick={() => void run(() => api.stopWorkspace(w.id))}>
                Stop {w.name}
              </button>
            ),
          },
        ]}
      />
    </section>
  );
}

export function JobsTab({ api }: { api: AdminApi }) {
  const [state, setState] = useState<JobState>("queued");
  const load = useCallback(() => Promise.all([api.jobStats(), api.jobs(state)]), [api, state]);
  const { data, error, busy, run } = useLoaded(load);
  const [stats, jobs] = data ?? [null, []];
  return (
    <section aria-label="Jobs">
      {stats && (
        <dl className="admin-stats" aria-label="Queue">
          <dt>Queued</dt>
          <dd data-testid="jobs-depth">{stats.depth}</dd>
          <dt>Running</dt>
          <dd>{stats.running}</dd>
          <dt>Stuck</dt>
          <dd>{stats.stuck}</dd>
          <dt>Wait p95</dt>
          <dd>{stats.wait_p95_ms} ms</dd>
        </dl>
      )}
      <ChoiceFilter label="Jobs" value={state} choices={JOB_STATES} onChange={setState} />
      <ErrorLine error={error} />
      <DataTable<AdminJob>
        label="Jobs"
        rows={jobs}
        rowKey={(j) => j.id}
        columns={[
          { header: "Job", cell: (j) => j.id },
          { header: "Kind", cell: (j) => j.kind },
          { header: "Attempt", cell: (j) => j.attempt },
          { header: "Worker", cell: (j) => j.worker || "—" },
          {
            header: "Actions",
            cell: (j) =>
              j.state === "done" ? (
                <button disabled={busy} onClick={() => void run(() => api.retryJob(j.id))}>
                  Retry {j.id}
                </button>
              ) : (
                <button disabled={busy} onClick={() => void run(() => api.cancelJob(j.id))}>
                  Cancel {j.id}
                </button>
              ),
          },
        ]}
      />
    </section>
  );
}

export function ReplicasTab({ api }: { api: AdminApi }) {
  const load = useCallback(() => api.replicas(), [api]);
  const { data: items, error } = useLoaded(load);
  const now = Date.now();
  return (
    <section aria-label="Replicas">
      <ErrorLine error={error} />
      <DataTable<Replica>
        label="Replicas"
        rows={items ?? []}
        rowKey={(r) => r.id}
        rowData={(r) => ({ "data-state": replicaState(r.heartbeat_at, now) })}
        columns={[
          { header: "Replica", cell: (r) => r.id },
          { header: "Version", cell: (r) => r.version || "—" },
          {
            header: "Last heartbeat",
            cell: (r) => (r.heartbeat_at ? `${shortTime(r.heartbeat_at, now)} (${replicaState(r.heartbeat_at, now)})` : "never"),
          },
          { header: "Pods held", cell: (r) => r.pods_held },
          { header: "Jobs held", cell: (r) => r.jobs_held },
        ]}
      />
    </section>
  );
}
