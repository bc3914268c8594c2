// The admin console's pure logic (unit-tested in logic.test.ts): the audit filter as a query,
// dates typed in the form as milliseconds, a replica's freshness, and short times.

export interface AuditForm {
  actor: string;
  action: string;
  target: string;
  from: string; // a date-time input's value ("2026-12-07T10:30"), local time; "" = none
  to: string;
}

export const EMPTY_AUDIT_FORM: AuditForm = { actor: "", action: "", target: "", from: "", to: "" };

/** Milliseconds since the epoch of a date-time input's value; null when empty or not a date. */
export function inputMillis(value: string): number | null {
  if (value.trim() === "") return null;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : null;
}

/** The filter as the audit routes' query (without limit and cursor); errors name the field. */
export function auditQuery(form: AuditForm): { query: string } | { error: string } {
  const params = new URLSearchParams();
  for (const key of ["actor", "action", "target"] as const) {
    const value = form[key].trim();
    if (value) params.set(key, value);
  }
  for (const key of ["from", "to"] as const) {
    if (form[key].trim() === "") continue;
    const ms = inputMillis(form[key]);
    if (ms === null) return { error: `"${key}" is not a date and time` };
    params.set(key, String(ms));
  }
  const from = params.get("from");
  const to = params.get("to");
  if (from !== null && to !== null && Number(from) >= Number(to)) return { error: '"from" must be before "to"' };
  return { query: params.toString() };
}

/** A replica is stale when it has not written a heartbeat for three intervals (5 s each). */
export const STALE_AFTER_MS = 15_000;

export function replicaState(heartbeatAt: number, now: number): "live" | "stale" | "unknown" {
  if (heartbeatAt <= 0) return "unknown";
  return now - heartbeatAt > STALE_AFTER_MS ? "stale" : "live";
}

/** "12:03:04" today, else "2026-12-07 12:03" (local time). */
export function shortTime(ms: number, now: number): string {
  const d = new Date(ms);
  const n = new Date(now);
  const pad = (v: number) => String(v).padStart(2, "0");
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (d.toDateString() === n.toDateString()) return `${time}:${pad(d.getSeconds())}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

/** What an audit record's detail says, on one line. */
export function detailText(detail: unknown): string {
  if (detail === null || detail === undefined) return "";
  if (typeof detail === "string") return detail;
  if (typeof detail === "object" && Object.keys(detail as object).length === 0) return "";
  return JSON.stringify(detail);
}
