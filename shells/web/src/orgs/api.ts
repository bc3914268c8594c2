// The organization routes over ApiClient (docs/api.md#organizations-orgs, #usage). The server
// decides every rule (who sees an organization: anyone else gets 404; who may change members
// and quotas: 403; the last owner: 412); these calls only carry JSON.
import type { ApiClient } from "../api/client";

export const QUOTA_KEYS = ["max_running_workspaces", "max_stored_bytes", "max_jobs_per_day", "max_cpu_seconds_per_day", "max_open_claims"] as const;
export type QuotaKey = (typeof QUOTA_KEYS)[number];
/** A quota set: each limit a whole number, or null for unlimited. */
export type QuotaSet = Record<QuotaKey, number | null>;

/** What counts against the limits now (GET /orgs/{id}'s usage.org and usage.me). */
export interface OrgUsageNow {
  running_workspaces: number;
  stored_bytes: number;
  jobs_today: number;
  open_claims: number;
}

export type OrgRole = "owner" | "admin" | "member";

export interface Org {
  id: string;
  name: string;
  slug: string;
  personal: boolean;
  created_at: number;
  updated_at: number;
  version: number;
  role: OrgRole;
  quotas: { org: QuotaSet; member: QuotaSet };
  usage?: { org: OrgUsageNow; me: OrgUsageNow };
}

export interface OrgMember {
  user_id: string;
  username: string;
  display_name: string;
  role: OrgRole;
  created_at: number;
}

/** One row of a usage report: a day (with `day`) of one member, or a sum. */
export interface UsageRow {
  day?: string;
  org_id: string;
  user_id: string;
  cpu_seconds: number;
  wall_seconds: number;
  peak_memory_bytes: number;
  jobs: number;
  runs: number;
  stored_bytes: number;
}

export interface UsageReport {
  from: string;
  to: string;
  org_id?: string;
  user_id?: string;
  days: UsageRow[];
  members?: UsageRow[];
  orgs?: UsageRow[];
  totals: UsageRow;
}

const seg = encodeURIComponent;

export class OrgsApi {
  constructor(private readonly client: ApiClient) {}

  private async json<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    const res = await this.client.call(method, path, { ...(body === undefined ? {} : { json: body }), ...(headers ? { headers } : {}) });
    return res.status === 204 ? (undefined as T) : ((await res.json()) as T);
  }

  async mine(): Promise<Org[]> {
    return (await this.json<{ orgs: Org[] }>("GET", "/orgs")).orgs;
  }
  create(name: string, slug: string): Promise<Org> {
    return this.json("POST", "/orgs", { name, slug });
  }
  get(id: string): Promise<Org> {
    return this.json("GET", `/orgs/${seg(id)}`);
  }
  async members(id: string): Promise<OrgMember[]> {
    return (await this.json<{ members: OrgMember[] }>("GET", `/orgs/${seg(id)}/members`)).members;
  }
  addMember(id: string, user: string, role: OrgRole): Promise<OrgMember> {
    return this.json("POST", `/orgs/${seg(id)}/members`, { user, role });
  }
  setRole(id: string, user: string, role: OrgRole): Promise<OrgMember> {
    return this.json("PATCH", `/orgs/${seg(id)}/members/${seg(user)}`, { role });
  }
  removeMember(id: string, user: string): Promise<void> {
    return this.json("DELETE", `/orgs/${seg(id)}/members/${seg(user)}`);
  }
  /** Replaces both quota sets, refused (412) when the organization changed since `version`. */
  setQuotas(id: string, quotas: { org: QuotaSet; member: QuotaSet }, version: number): Promise<Org> {
    return this.json("PUT", `/orgs/${seg(id)}/quotas`, quotas, { "If-Match": `"${version}"` });
  }
  /** The organization's usage (its owners and admins; 404 for anyone else). */
  orgUsage(id: string, from: string, to: string): Promise<UsageReport> {
    return this.json("GET", `/orgs/${seg(id)}/usage?${range(from, to)}`);
  }
  /** The caller's own usage across organizations. */
  myUsage(from: string, to: string): Promise<UsageReport> {
    return this.json("GET", `/users/me/usage?${range(from, to)}`);
  }
  /** A usage export's bytes: the route wants the bearer header, so it goes through fetch. */
  async exportUsage(path: string, format: "csv" | "json"): Promise<Blob> {
    const res = await this.client.call("GET", `${path}&format=${format}`);
    return res.blob();
  }
}

function range(from: string, to: string): string {
  return new URLSearchParams({ from, to }).toString();
}

/** An organization with the CPU-seconds used today (UTC), which GET /orgs/{id} does not count:
 *  the whole organization's only for those who may read its usage (null for others). */
export interface OrgNow {
  org: Org;
  cpuOrg: number | null;
  cpuMe: number;
}

/** Today's CPU-seconds of `orgId` in a usage report covering today. */
function cpuIn(report: UsageReport, orgId: string, today: string): number {
  return report.days.filter((d) => d.day === today && d.org_id === orgId).reduce((sum, d) => sum + d.cpu_seconds, 0);
}

export async function loadOrgNow(api: OrgsApi, id: string, now = Date.now()): Promise<OrgNow> {
  const org = await api.get(id);
  const today = new Date(now).toISOString().slice(0, 10);
  const manage = org.role === "owner" || org.role === "admin";
  const [whole, mine] = await Promise.all([manage ? api.orgUsage(org.id, today, today) : null, api.myUsage(today, today)]);
  return { org, cpuOrg: whole ? cpuIn(whole, org.id, today) : null, cpuMe: cpuIn(mine, org.id, today) };
}
