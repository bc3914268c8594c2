import { describe, expect, it } from "vitest";
import { EMPTY_AUDIT_FORM, auditQuery, detailText, inputMillis, replicaState, shortTime } from "./logic";

describe("auditQuery", () => {
  it("sends only the fields given, trimmed, and dates as milliseconds", () => {
    expect(auditQuery(EMPTY_AUDIT_FORM)).toEqual({ query: "" });
    const from = "2026-12-07T10:30";
    const r = auditQuery({ ...EMPTY_AUDIT_FORM, action: " user.disable ", from });
    expect(r).toEqual({ query: `action=user.disable&from=${new Date(from).getTime()}` });
  });
  it("names the field that is not a date, and refuses an empty range", () => {
    expect(auditQuery({ ...EMPTY_AUDIT_FORM, to: "soon" })).toEqual({ error: '"to" is not a date and time' });
    expect(auditQuery({ ...EMPTY_AUDIT_FORM, from: "2026-12-07T10:30", to: "2026-12-07T10:30" })).toEqual({
      error: '"from" must be before "to"',
    });
  });
  it("encodes what a URL cannot carry as is", () => {
    expect(auditQuery({ ...EMPTY_AUDIT_FORM, target: "a&b=c" })).toEqual({ query: "target=a%26b%3Dc" });
  });
});

describe("inputMillis", () => {
  it("is null for empty or nonsense input", () => {
    expect(inputMillis("")).toBeNull();
    expect(inputMillis("yesterday-ish")).toBeNull();
    expect(inputMillis("2026-01-02T03:04")).toBe(new Date("2026-01-02T03:04").getTime());
  });
});

describe("replicaState", () => {
  it("is live within three heartbeats, stale after, unknown without one", () => {
    expect(replicaState(0, 1_000_000)).toBe("unknown");
    expect(replicaState(1_000_000 - 15_000, 1_000_000)).toBe("live");
    expect(replicaState(1_000_000 - 15_001, 1_000_000)).toBe("stale");
  });
});

describe("shortTime and detailText", () => {
  it("shows the time of day for today and the date otherwise", () => {
    const now = new Date(2026, 11, 7, 12, 0, 0).getTime();
    expect(shortTime(new Date(2026, 11, 7, 9, 5, 7).getTime(), now)).toBe("09:05:07");
    expect(shortTime(new Date(2026, 10, 30, 23, 59, 0).getTime(), now)).toBe("2026-11-30 23:59");
  });
  it("puts a detail on one line and hides an empty one", () => {
    expect(detailText({})).toBe("");
    expect(detailText({ role: "admin" })).toBe('{"role":"admin"}');
    expect(detailText("raw")).toBe("raw");
  });
});
