import { describe, expect, it } from "vitest";
import type { Org, QuotaSet, UsageReport } from "./api";
import { checkRange, formatBytes, grantableRoles, limitedMeters, mayChange, meterOf, metersOf, perDay, quotaForm, quotasFromForm, utcDay } from "./logic";

const NONE: QuotaSet = { max_running_workspaces: null, max_stored_bytes: null, max_jobs_per_day: null, max_cpu_seconds_per_day: null, max_open_claims: null };
const USAGE = { running_workspaces: 2, stored_bytes: 900, jobs_today: 4, open_claims: 0 };

function org(quotas: Partial<QuotaSet>, member: Partial<QuotaSet> = {}): Org {
  return {
    id: "o1",
    name: "CS 101",
    slug: "cs101",
    personal: false,
    created_at: 0,
    updated_at: 0,
    version: 3,
    role: "admin",
    quotas: { org: { ...NONE, ...quotas }, member: { ...NONE, ...member } },
    usage: { org: USAGE, me: { ...USAGE, running_workspaces: 1 } },
  };
}

describe("meterOf", () => {
  it("says usage of limit, and warns from 80 % and at the limit", () => {
    expect(meterOf("max_running_workspaces", 2, 5)).toMatchObject({ level: "ok", text: "2 of 5", percent: 40, label: "Running workspaces" });
    expect(meterOf("max_running_workspaces", 3, 5).level).toBe("ok");
    expect(meterOf("max_running_workspaces", 4, 5).level).toBe("warn");
    expect(meterOf("max_running_workspaces", 5, 5)).toMatchObject({ level: "full", percent: 100 });
    expect(meterOf("max_running_workspaces", 7, 5)).toMatchObject({ level: "full", percent: 100, text: "7 of 5" });
    expect(meterOf("max_jobs_per_day", 0, 0).level).toBe("full");
  });
  it("says unlimited where there is no limit, and what it cannot know", () => {
    expect(meterOf("max_jobs_per_day", 4, null)).toMatchObject({ level: "unlimited", text: "4 (unlimited)" });
    expect(meterOf("max_cpu_seconds_per_day", null, null)).toMatchObject({ level: "unlimited", text: "unlimited" });
    expect(meterOf("max_cpu_seconds_per_day", null, 60)).toMatchObject({ level: "unknown", text: "limit 60" });
  });
  it("writes bytes and seconds as people read them", () => {
    expect(meterOf("max_stored_bytes", 1536, 10 * 1024 * 1024).text).toBe("1.5 KiB of 10 MiB");
    expect(meterOf("max_cpu_seconds_per_day", 1.23456, 60).text).toBe("1.23 of 60");
    expect(formatBytes(12)).toBe("12 B");
    expect(formatBytes(300 * 1024 * 1024)).toBe("300 MiB");
  });
});

describe("metersOf and limitedMeters", () => {
  it("maps every quota to what counts against it, CPU from the usage report", () => {
    const meters = metersOf({ ...NONE, max_running_workspaces: 5, max_cpu_seconds_per_day: 10 }, USAGE, 9);
    expect(meters.map((m) => m.key)).toEqual(["max_running_workspaces", "max_stored_bytes", "max_jobs_per_day", "max_cpu_seconds_per_day", "max_open_claims"]);
    expect(meters[0].text).toBe("2 of 5");
    expect(meters[3]).toMatchObject({ level: "warn", text: "9 of 10" });
    expect(meters[2].text).toBe("4 (unlimited)");
  });
  it("keeps the limited quotas, the fullest first, mine against the member limits", () => {
    const list = limitedMeters(org({ max_running_workspaces: 10 }, { max_running_workspaces: 1, max_cpu_seconds_per_day: 5 }), null);
    expect(list.map((m) => [m.key, m.text])).toEqual([
      ["max_running_workspaces", "1 of 1"],
      ["max_running_workspaces", "2 of 10"],
    ]);
    expect(limitedMeters(org({}), null)).toEqual([]);
  });
});

describe("roles", () => {
  it("lets owners do all, admins all but owners, members nothing", () => {
    expect(grantableRoles("owner")).toEqual(["owner", "admin", "member"]);
    expect(grantableRoles("admin")).toEqual(["admin", "member"]);
    expect(grantableRoles("member")).toEqual([]);
    expect(mayChange("admin", "owner")).toBe(false);
    expect(mayChange("admin", "member")).toBe(true);
    expect(mayChange("owner", "owner")).toBe(true);
    expect(mayChange("member", "member")).toBe(false);
  });
});

describe("dates", () => {
  it("counts UTC days back and checks a range as the route does", () => {
    const now = Date.parse("2026-03-01T23:30:00Z");
    expect(utcDay(now)).toBe("2026-03-01");
    expect(utcDay(now, 1)).toBe("2026-02-28");
    expect(checkRange("2026-02-01", "2026-03-01")).toBeNull();
    expect(checkRange("2026-03-02", "2026-03-01")).toBe('"From" must not be after "To"');
    expect(checkRange("", "2026-03-01")).toBe('"From" is not a date');
    expect(checkRange("2026-03-01", "03/01/2026")).toBe('"To" is not a date');
  });
});

describe("perDay", () => {
  const row = (day: string, org_id: string, user_id: string, cpu: number, peak: number) => ({
    day,
    org_id,
    user_id,
    cpu_seconds: cpu,
    wall_seconds: cpu * 2,
    peak_memory_bytes: peak,
    jobs: 1,
    runs: 2,
    stored_bytes: 100,
  });
  const report: UsageReport = {
    from: "2026-03-01",
    to: "2026-03-02",
    days: [row("2026-03-01", "o1", "a", 1, 10), row("2026-03-01", "o1", "b", 2, 30), row("2026-03-02", "o1", "a", 0.5, 5), row("2026-03-02", "o2", "a", 9, 99)],
    totals: row("", "", "", 0, 0),
  };
  it("sums members per day, keeps the largest peak, newest day first, one organization", () => {
    expect(perDay(report, "o1")).toEqual([
      { day: "2026-03-02", cpu_seconds: 0.5, wall_seconds: 1, peak_memory_bytes: 5, jobs: 1, runs: 2, stored_bytes: 100 },
      { day: "2026-03-01", cpu_seconds: 3, wall_seconds: 6, peak_memory_bytes: 30, jobs: 2, runs: 4, stored_bytes: 200 },
    ]);
    expect(perDay(report).find((d) => d.day === "2026-03-02")?.cpu_seconds).toBe(9.5);
  });
});

describe("the quota form", () => {
  it("shows limits as text, empty for unlimited, and reads them back", () => {
    const form = quotaForm(org({ max_running_workspaces: 5 }, { max_jobs_per_day: 0 }));
    expect(form.org.max_running_workspaces).toBe("5");
    expect(form.org.max_stored_bytes).toBe("");
    expect(form.member.max_jobs_per_day).toBe("0");
    const back = quotasFromForm({ ...form, org: { ...form.org, max_stored_bytes: " 1048576 " } });
    expect(back).toEqual({ quotas: { org: { ...NONE, max_running_workspaces: 5, max_stored_bytes: 1048576 }, member: { ...NONE, max_jobs_per_day: 0 } } });
  });
  it("names the field that is not a whole number", () => {
    const form = quotaForm(org({}));
    expect(quotasFromForm({ ...form, member: { ...form.member, max_open_claims: "-1" } })).toEqual({ error: 'Per member open review claims: "-1" is not a whole number' });
    expect(quotasFromForm({ ...form, org: { ...form.org, max_stored_bytes: "1.5" } })).toEqual({ error: 'Organization stored bytes: "1.5" is not a whole number' });
  });
});
