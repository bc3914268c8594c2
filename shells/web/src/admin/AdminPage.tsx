// The admin console (/admin, docs/admin.md): users (search, disable, role, level, log out),
// workspaces (stop), the job queue (stats, retry, cancel), replicas and the audit log (filter,
// export). Only admins reach it: the top bar links it for them, and the server answers 404 to
// anyone else whatever the page does. Tabs follow the WAI-ARIA pattern (arrow keys move).
import { useCallback, useEffect, useMemo, useState } from "react";
import { describeError } from "../api/errors";
import { useSession } from "../auth/session";
import { TopBar } from "../ui/TopBar";
import { AdminApi, type AdminJob, type AdminUser, type AdminWorkspace, type AuditRecord, type JobState, type JobStats, type Replica } from "./api";
import { EMPTY_AUDIT_FORM, auditQuery, detailText, replicaState, shortTime, type AuditForm } from "./logic";

type Tab = "users" | "workspaces" | "jobs" | "replicas" | "audit";
const TABS: { id: Tab; label: string }[] = [
  { id: "users", label: "Users" },
  { id: "workspaces", label: "Workspaces" },
  { id: "jobs", label: "Jobs" },
  { id: "replicas", label: "Replicas" },
  { id: "audit", label: "Audit log" },
];

function useAction(onDone: () => void) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = useCallback(
    async (fn: () => Promise<unknown>) => {
      setBusy(true);
      setError(null);
      try {
        await fn();
        onDone();
      } catch (err) {
        setError(describeError(err));
      } finally {
        setBusy(false);
      }
    },
    [onDone],
  );
  return { error, busy, run, setError };
}

function ErrorLine({ error }: { error: string | null }) {
  return error ? (
    <p className="error" role="alert">
      {error}
    </p>
  ) : null;
}

function UsersTab({ api }: { api: AdminApi }) {
  const [search, setSearch] = useState("");
  const [users, setUsers] = useState<AdminUser[] | null>(null);
  const [reload, setReload] = useState(0);
  const again = useCallback(() => setReload((n) => n + 1), []);
  const { error, busy, run, setError } = useAction(again);
  useEffect(() => {
    const t = setTimeout(() => api.users(search).then(setUsers, (e) => setError(describeError(e))), 200);
    return () => clearTimeout(t);
  }, [api, search, reload, setError]);
  return (
    <section aria-label="Users">
      <label className="field inline">
        <span>Search users</span>
        <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="name" />
      </label>
      <ErrorLine error={error} />
      <table className="ws-table" aria-label="Users">
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Role</th>
            <th scope="col">Reviewer level</th>
            <th scope="col">Status</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {(users ?? []).map((u) => (
            <tr key={u.id} data-user={u.username}>
              <td>
                {u.username}
                {u.display_name && u.display_name !== u.username ? ` (${u.display_name})` : ""}
              </td>
              <td>
                <select aria-label={`Role of ${u.username}`} value={u.role} disabled={busy} onChange={(e) => void run(() => api.update(u.id, { role: e.target.value }))}>
                  <option value="user">user</option>
                  <option value="admin">admin</option>
                </select>
              </td>
              <td>
                <select
                  aria-label={`Reviewer level of ${u.username}`}
                  value={u.reviewer_level}
                  disabled={busy}
                  onChange={(e) => void run(() => api.update(u.id, { reviewer_level: Number(e.target.value) }))}
                >
                  {[0, 1, 2, 3, 4].map((n) => (
                    <option key={n} value={n}>
                      {n}
                    </option>
                  ))}
                </select>
              </td>
              <td>{u.disabled ? "disabled" : "active"}</td>
              <td className="row">
                <button disabled={busy} onClick={() => void run(() => api.setDisabled(u.id, !u.disabled))}>
                  {u.disabled ? `Enable ${u.username}` : `Disable ${u.username}`}
                </button>
                <button disabled={busy} onClick={() => void run(() => api.forceLogout(u.id))}>
                  Log out {u.username}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {users !== null && users.length === 0 && <p className="muted">No user matches.</p>}
    </section>
  );
}

function WorkspacesTab({ api }: { api: AdminApi }) {
  const [state, setState] = useState("");
  const [items, setItems] = useState<AdminWorkspace[] | null>(null);
  const [reload, setReload] = useState(0);
  const again = useCallback(() => setReload((n) => n + 1), []);
  const { error, busy, run, setError } = useAction(again);
  useEffect(() => {
    api.workspaces(state).then(setItems, (e) => setError(describeError(e)));
  }, [api, state, reload, setError]);
  return (
    <section aria-label="Workspaces">
      <label className="field inline">
        <span>State</span>
        <select value={state} onChange={(e) => setState(e.target.value)}>
          <option value="">any</option>
          <option value="running">running</option>
          <option value="starting">starting</option>
          <option value="stopping">stopping</option>
          <option value="stopped">stopped</option>
        </select>
      </label>
      <ErrorLine error={error} />
      <table className="ws-table" aria-label="All workspaces">
        <thead>
          <tr>
            <th scope="col">Workspace</th>
            <th scope="col">Owner</th>
            <th scope="col">State</th>
            <th scope="col">Pod</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {(items ?? []).map((w) => (
            <tr key={w.id} data-workspace={w.id}>
              <td>{w.name}</td>
              <td>{w.owner_username}</td>
              <td>{w.state}</td>
              <td>{w.pod && w.pod.state !== "released" ? `${w.pod.replica} (${w.pod.state})` : "—"}</td>
              <td>
                <button disabled={busy || w.state === "stopped"} onClick={() => void run(() => api.stopWorkspace(w.id))}>
                  Stop {w.name}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function JobsTab({ api }: { api: AdminApi }) {
  const [state, setState] = useState<JobState>("queued");
  const [stats, setStats] = useState<JobStats | null>(null);
  const [jobs, setJobs] = useState<AdminJob[]>([]);
  const [reload, setReload] = useState(0);
  const again = useCallback(() => setReload((n) => n + 1), []);
  const { error, busy, run, setError } = useAction(again);
  useEffect(() => {
    api.jobStats().then(setStats, (e) => setError(describeError(e)));
    api.jobs(state).then(setJobs, (e) => setError(describeError(e)));
  }, [api, state, reload, setError]);
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
      <label className="field inline">
        <span>Jobs</span>
        <select value={state} onChange={(e) => setState(e.target.value as JobState)}>
          <option value="queued">queued</option>
          <option value="running">running</option>
          <option value="stuck">stuck</option>
          <option value="done">done</option>
        </select>
      </label>
      <ErrorLine error={error} />
      <table className="ws-table" aria-label="Jobs">
        <thead>
          <tr>
            <th scope="col">Job</th>
            <th scope="col">Kind</th>
            <th scope="col">Attempt</th>
            <th scope="col">Worker</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((j) => (
            <tr key={j.id}>
              <td>{j.id}</td>
              <td>{j.kind}</td>
              <td>{j.attempt}</td>
              <td>{j.worker || "—"}</td>
              <td>
                {j.state === "done" ? (
                  <button disabled={busy} onClick={() => void run(() => api.retryJob(j.id))}>
                    Retry {j.id}
                  </button>
                ) : (
                  <button disabled={busy} onClick={() => void run(() => api.cancelJob(j.id))}>
                    Cancel {j.id}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function ReplicasTab({ api }: { api: AdminApi }) {
  const [items, setItems] = useState<Replica[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.replicas().then(setItems, (e) => setError(describeError(e)));
  }, [api]);
  const now = Date.now();
  return (
    <section aria-label="Replicas">
      <ErrorLine error={error} />
      <table className="ws-table" aria-label="Replicas">
        <thead>
          <tr>
            <th scope="col">Replica</th>
            <th scope="col">Version</th>
            <th scope="col">Last heartbeat</th>
            <th scope="col">Pods held</th>
            <th scope="col">Jobs held</th>
          </tr>
        </thead>
        <tbody>
          {(items ?? []).map((r) => (
            <tr key={r.id} data-state={replicaState(r.heartbeat_at, now)}>
              <td>{r.id}</td>
              <td>{r.version || "—"}</td>
              <td>{r.heartbeat_at ? `${shortTime(r.heartbeat_at, now)} (${replicaState(r.heartbeat_at, now)})` : "never"}</td>
              <td>{r.pods_held}</td>
              <td>{r.jobs_held}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function AuditTab({ api }: { api: AdminApi }) {
  const [form, setForm] = useState<AuditForm>(EMPTY_AUDIT_FORM);
  const [query, setQuery] = useState("");
  const [records, setRecords] = useState<AuditRecord[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(
    (q: string, cursor: string | null) => {
      const page = `limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}${q ? "&" + q : ""}`;
      api.audit(page).then(
        (p) => {
          setRecords((old) => (cursor ? [...old, ...p.items] : p.items));
          setNext(p.next_cursor);
          setError(null);
        },
        (e) => setError(describeError(e)),
      );
    },
    [api],
  );
  useEffect(() => load(query, null), [load, query]);
  const field = (key: keyof AuditForm, label: string, type = "text") => (
    <label className="field inline">
      <span>{label}</span>
      <input type={type} value={form[key]} onChange={(e) => setForm({ ...form, [key]: e.target.value })} />
    </label>
  );
  const download = async (format: "csv" | "json") => {
    try {
      const blob = await api.exportAudit(query, format);
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = `audit.${format}`;
      a.click();
      URL.revokeObjectURL(a.href);
    } catch (e) {
      setError(describeError(e));
    }
  };
  const now = Date.now();
  return (
    <section aria-label="Audit log">
      <form
        className="row admin-filter"
        aria-label="Filter the audit log"
        onSubmit={(e) => {
          e.preventDefault();
          const q = auditQuery(form);
          if ("error" in q) setError(q.error);
          else setQuery(q.query);
        }}
      >
        {field("actor", "Actor (user id)")}
        {field("action", "Action")}
        {field("target", "Target")}
        {field("from", "From", "datetime-local")}
        {field("to", "To", "datetime-local")}
        <button type="submit">Filter</button>
        <button type="button" onClick={() => void download("csv")}>
          Export CSV
        </button>
        <button type="button" onClick={() => void download("json")}>
          Export JSON
        </button>
      </form>
      <ErrorLine error={error} />
      <table className="ws-table" aria-label="Audit records">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Action</th>
            <th scope="col">Actor</th>
            <th scope="col">Target</th>
            <th scope="col">Source</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {records.map((r) => (
            <tr key={r.id} data-action={r.action}>
              <td>{shortTime(r.ts, now)}</td>
              <td>{r.action}</td>
              <td>{r.actor_id ?? "—"}</td>
              <td>{r.target}</td>
              <td>{r.source}</td>
              <td>{detailText(r.detail)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {next && <button onClick={() => load(query, next)}>Older records</button>}
    </section>
  );
}

export function AdminPage() {
  const session = useSession();
  const api = useMemo(() => new AdminApi(session.client), [session.client]);
  const [tab, setTab] = useState<Tab>("users");
  if (session.user?.role !== "admin") {
    return (
      <main className="workspaces">
        <p className="error">There is no page at this address.</p>
      </main>
    );
  }
  return (
    <div className="page">
      <TopBar>
        <span>Admin</span>
      </TopBar>
      <main className="workspaces admin-page">
        <div className="row review-tabs" role="tablist" aria-label="Admin views">
          {TABS.map((t) => (
            <button
              key={t.id}
              id={`admin-tab-${t.id}`}
              role="tab"
              aria-controls={`admin-panel-${t.id}`}
              tabIndex={tab === t.id ? 0 : -1}
              aria-selected={tab === t.id}
              className={tab === t.id ? "active" : ""}
              onClick={() => setTab(t.id)}
              onKeyDown={(e) => {
                const i = TABS.findIndex((x) => x.id === tab);
                const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? TABS.length - 1 : 0;
                if (step === 0) return;
                const next = TABS[(i + step) % TABS.length].id;
                setTab(next);
                document.getElementById(`admin-tab-${next}`)?.focus();
              }}
            >
              {t.label}
            </button>
          ))}
        </div>
        <div role="tabpanel" id={`admin-panel-${tab}`} aria-labelledby={`admin-tab-${tab}`}>
          {tab === "users" && <UsersTab api={api} />}
          {tab === "workspaces" && <WorkspacesTab api={api} />}
          {tab === "jobs" && <JobsTab api={api} />}
          {tab === "replicas" && <ReplicasTab api={api} />}
          {tab === "audit" && <AuditTab api={api} />}
        </div>
      </main>
    </div>
  );
}

export default AdminPage;
