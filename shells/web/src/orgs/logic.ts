// The organization page's pure logic (unit-tested in logic.test.ts): each quota as a meter
// (usage against limit, "unlimited", the warning from 80 %), numbers as people read them, the
// usage report as one row per day, the date range, and the quota form's values.
import type { Org, OrgRole, OrgUsageNow, QuotaKey, QuotaSet, UsageReport, UsageRow } from "./api";
import { QUOTA_KEYS } from "./api";

/** The share of a limit from which a meter warns. */
export const WARN_AT = 0.8;

export const QUOTA_LABELS: Record<QuotaKey, string> = {
  max_running_workspaces: "Running workspaces",
  max_stored_bytes: "Stored bytes",
  max_jobs_per_day: "Jobs today",
  max_cpu_seconds_per_day: "CPU-seconds today",
  max_open_claims: "Open review claims",
};

export interface Meter {
  key: QuotaKey;
  label: string;
  used: number | null; // null: this page cannot know (CPU of an organization one does not manage)
  limit: number | null; // null: unlimited
  level: "ok" | "warn" | "full" | "unlimited" | "unknown";
  text: string; // "2 of 5", "1.5 MiB of 10 MiB", "3 (unlimited)"
  percent: number; // 0-100 for the bar
}

/** 1536 -> "1.5 KiB"; whole bytes under 1 KiB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 ? Math.round(v) : Number(v.toFixed(1))} ${units[i]}`;
}

/** Seconds as people read them: whole above 100, else up to two decimals. */
export function formatSeconds(n: number): string {
  return n >= 100 ? String(Math.round(n)) : String(Number(n.toFixed(2)));
}

function formatQuota(key: QuotaKey, n: number): string {
  if (key === "max_stored_bytes") return formatBytes(n);
  if (key === "max_cpu_seconds_per_day") return formatSeconds(n);
  return String(n);
}

/** What counts against a quota now, from GET /orgs/{id}'s usage and today's CPU-seconds. */
export function usedFor(key: QuotaKey, usage: OrgUsageNow | undefined, cpuToday: number | null): number | null {
  if (key === "max_cpu_seconds_per_day") return cpuToday;
  if (!usage) return null;
  switch (key) {
    case "max_running_workspaces":
      return usage.running_workspaces;
    case "max_stored_bytes":
      return usage.stored_bytes;
    case "max_jobs_per_day":
      return usage.jobs_today;
    case "max_open_claims":
      return usage.open_claims;
  }
}

export function meterOf(key: QuotaKey, used: number | null, limit: number | null): Meter {
  const label = QUOTA_LABELS[key];
  if (limit === null) {
    const text = used === null ? "unlimited" : `${formatQuota(key, used)} (unlimited)`;
    return { key, label, used, limit, level: "unlimited", text, percent: 0 };
  }
  if (used === null) return { key, label, used, limit, level: "unknown", text: `limit ${formatQuota(key, limit)}`, percent: 0 };
  const share = limit === 0 ? 1 : used / limit;
  const level = share >= 1 ? "full" : share >= WARN_AT ? "warn" : "ok";
  const percent = Math.min(100, Math.round(share * 100));
  return { key, label, used, limit, level, text: `${formatQuota(key, used)} of ${formatQuota(key, limit)}`, percent };
}

/** Every quota of one set as a meter, in the API's order. */
export function metersOf(quotas: QuotaSet, usage: OrgUsageNow | undefined, cpuToday: number | null): Meter[] {
  return QUOTA_KEYS.map((key) => meterOf(key, usedFor(key, usage, cpuToday), quotas[key]));
}

/** The meters with a limit, the fullest first: what the workspace list shows in brief. */
export function limitedMeters(org: Org, cpuToday: number | null): Meter[] {
  const all = [...metersOf(org.quotas.org, org.usage?.org, null), ...metersOf(org.quotas.member, org.usage?.me, cpuToday)];
  return all.filter((m) => m.limit !== null && m.used !== null).sort((a, b) => b.percent - a.percent);
}

export function canManage(role: OrgRole): boolean {
  return role === "owner" || role === "admin";
}

/** The roles `actor` may give, and whether it may touch a member of role `target`. */
export function grantableRoles(actor: OrgRole): OrgRole[] {
  return actor === "owner" ? ["owner", "admin", "member"] : actor === "admin" ? ["admin", "member"] : [];
}
export function mayChange(actor: OrgRole, target: OrgRole): boolean {
  return actor === "owner" || (actor === "admin" && target !== "owner");
}

/** A UTC date "YYYY-MM-DD" `daysBack` days before `now`. */
export function utcDay(now: number, daysBack = 0): string {
  return new Date(now - daysBack * 86_400_000).toISOString().slice(0, 10);
}

/** The range form checked as the route does; errors name the field. */
export function checkRange(from: string, to: string): string | null {
  const ok = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`));
  if (!ok(from)) return '"From" is not a date';
  if (!ok(to)) return '"To" is not a date';
  if (from > to) return '"From" must not be after "To"';
  return null;
}

export type DayRow = Omit<UsageRow, "org_id" | "user_id"> & { day: string };

/** The report's rows (a day per member, and per org for a user's own) as one row per day, newest
 *  first, for `orgId` only when given: sums, the day's largest peak, stored bytes summed. */
export function perDay(report: UsageReport, orgId?: string): DayRow[] {
  const days = new Map<string, DayRow>();
  for (const r of report.days) {
    if (orgId !== undefined && r.org_id !== orgId) continue;
    const day = r.day ?? "";
    const d = days.get(day) ?? { day, cpu_seconds: 0, wall_seconds: 0, peak_memory_bytes: 0, jobs: 0, runs: 0, stored_bytes: 0 };
    d.cpu_seconds += r.cpu_seconds;
    d.wall_seconds += r.wall_seconds;
    d.peak_memory_bytes = Math.max(d.peak_memory_bytes, r.peak_memory_bytes);
    d.jobs += r.jobs;
    d.runs += r.runs;
    d.stored_bytes += r.stored_bytes;
    days.set(day, d);
  }
  return [...days.values()].sort((a, b) => (a.day < b.day ? 1 : a.day > b.day ? -1 : 0));
}

/** The quota form: one text field per quota and set, "" = unlimited. */
export type QuotaForm = Record<"org" | "member", Record<QuotaKey, string>>;

export function quotaForm(org: Org): QuotaForm {
  const side = (q: QuotaSet) => Object.fromEntries(QUOTA_KEYS.map((k) => [k, q[k] === null ? "" : String(q[k])])) as Record<QuotaKey, string>;
  return { org: side(org.quotas.org), member: side(org.quotas.member) };
}

/** The form as PUT /orgs/{id}/quotas's body, or the first field that is not a whole number. */
export function quotasFromForm(form: QuotaForm): { quotas: { org: QuotaSet; member: QuotaSet } } | { error: string } {
  const out = { org: {} as QuotaSet, member: {} as QuotaSet };
  for (const set of ["org", "member"] as const) {
    for (const key of QUOTA_KEYS) {
      const raw = form[set][key].trim();
      if (raw === "") {
        out[set][key] = null;
        continue;
      }
      if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
        return { error: `${set === "org" ? "Organization" : "Per member"} ${QUOTA_LABELS[key].toLowerCase()}: "${raw}" is not a whole number` };
      }
      out[set][key] = Number(raw);
    }
  }
  return { quotas: out };
}
