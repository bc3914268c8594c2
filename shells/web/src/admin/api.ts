// The admin routes over ApiClient (docs/api.md#administration). The server decides every rule
// (who is an admin: anyone else gets 404; self-lockout; what a retry or cancel may do).
import type { ApiClient } from "../api/client";

export interface AdminUser {
  id: string;
  username: string;
  display_name: string;
  role: string;
  reviewer_level: number;
  disabled: boolean;
  created_at: number;
}

export interface AdminPod {
  pod_id: string;
  replica: string;
  state: string;
  executor: string;
  lease_until: number;
}

export interface AdminWorkspace {
  id: string;
  name: string;
  state: string;
  owner_id: string;
  owner_username: string;
  last_active_at: number;
  pod: AdminPod | null;
}

export interface JobStats {
  depth: number;
  running: number;
  stuck: number;
  throughput_per_minute: number;
  wait_p50_ms: number;
  wait_p95_ms: number;
  window_s: number;
}

export interface AdminJob {
  id: string;
  owner_id: string;
  kind: string;
  state: string;
  attempt: number;
  worker: string;
  created_at: number;
}

export interface Replica {
  id: string;
  version: string;
  started_at: number;
  heartbeat_at: number;
  pods_held: number;
  jobs_held: number;
}

export interface AuditRecord {
  id: number;
  ts: number;
  actor_id: string | null;
  action: string;
  target: string;
  source: string;
  request_id: string;
  detail: unknown;
}

export interface AuditPage {
  items: AuditRecord[];
  next_cursor: string | null;
}

export type JobState = "queued" | "running" | "stuck" | "done";

export class AdminApi {
  constructor(private readonly client: ApiClient) {}

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.client.call(method, path, body === undefined ? {} : { json: body });
    return res.status === 204 ? (undefined as T) : ((await res.json()) as T);
  }

  /** Every item of a paged admin list with these query parameters, following next_cursor. */
  private async all<T>(path: string, params: Record<string, string>): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;
    for (;;) {
      const query = new URLSearchParams({ ...params, limit: "200" });
      if (cursor !== null) query.set("cursor", cursor);
      const page: { items: T[]; next_cursor?: string | null } = await this.json("GET", `${path}?${query}`);
      items.push(...page.items);
      const next = page.next_cursor ?? null;
      if (next === null || next === cursor) return items;
      cursor = next;
    }
  }

  users(search: string): Promise<AdminUser[]> {
    return this.all("/admin/users", search ? { search } : {});
  }
  setDisabled(id: string, disabled: boolean): Promise<AdminUser> {
    return this.json("POST", `/admin/users/${encodeURIComponent(id)}/${disabled ? "disable" : "enable"}`);
  }
  update(id: string, change: { role?: string; reviewer_level?: number }): Promise<AdminUser> {
    return this.json("PATCH", `/admin/users/${encodeURIComponent(id)}`, change);
  }
  forceLogout(id: string): Promise<{ revoked: number }> {
    return this.json("POST", `/admin/users/${encodeURIComponent(id)}/logout`);
  }
  workspaces(state: string): Promise<AdminWorkspace[]> {
    return this.all("/admin/workspaces", state ? { state } : {});
  }
  stopWorkspace(id: string): Promise<void> {
    return this.json("POST", `/admin/workspaces/${encodeURIComponent(id)}/stop`);
  }
  jobStats(): Promise<JobStats> {
    return this.json("GET", "/admin/jobs/stats");
  }
  async jobs(state: JobState): Promise<AdminJob[]> {
    const page = await this.json<{ items: AdminJob[] }>("GET", `/admin/jobs?state=${state}&limit=50`);
    return page.items;
  }
  retryJob(id: string): Promise<AdminJob> {
    return this.json("POST", `/admin/jobs/${encodeURIComponent(id)}/retry`);
  }
  cancelJob(id: string): Promise<AdminJob> {
    return this.json("POST", `/admin/jobs/${encodeURIComponent(id)}/cancel`);
  }
  async replicas(): Promise<Replica[]> {
    return (await this.json<{ items: Replica[] }>("GET", "/admin/replicas")).items;
  }
  audit(query: string): Promise<AuditPage> {
    return this.json("GET", `/admin/audit?${query}`);
  }
  /** The export's bytes (CSV or JSON) for a download. */
  async exportAudit(query: string, format: "csv" | "json"): Promise<Blob> {
    const res = await this.client.call("GET", `/admin/audit/export?format=${format}${query ? "&" + query : ""}`);
    return res.blob();
  }
}
