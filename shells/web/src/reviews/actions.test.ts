import { describe, expect, it } from "vitest";
import { toReview, type Review } from "./api";
import { allowedActions, eligible, formatDuration, queueOrder, type Viewer } from "./actions";

const review = (over: Partial<Record<string, unknown>> = {}): Review =>
  toReview({ id: "r1", title: "t", author: { id: "ann", username: "ann" }, reviewer: null, status: "pending", required_level: 2, revision: 1, ...over });
const ann: Viewer = { id: "ann", role: "user", reviewer_level: 4 };
const bob: Viewer = { id: "bob", role: "user", reviewer_level: 2 };
const low: Viewer = { id: "cat", role: "user", reviewer_level: 1 };
const admin: Viewer = { id: "root", role: "admin", reviewer_level: 0 };

describe("who may do what in which status", () => {
  it("lets an eligible reviewer claim a pending review, never its author", () => {
    expect(allowedActions(bob, review())).toEqual(["claim"]);
    expect(allowedActions(low, review())).toEqual([]);
    expect(allowedActions(ann, review())).toEqual(["withdraw", "comment"]);
    expect(eligible(ann, review())).toBe(false);
  });
  it("needs level 1 at least, even for a review of level 0", () => {
    expect(eligible({ id: "x", role: "user", reviewer_level: 0 }, review({ required_level: 0 }))).toBe(false);
    expect(eligible({ id: "x", role: "user", reviewer_level: 1 }, review({ required_level: 0 }))).toBe(true);
  });
  it("gives the assigned reviewer the decision and unclaim while in review", () => {
    const r = review({ status: "in_review", reviewer: "bob" });
    expect(allowedActions(bob, r)).toEqual(["decide", "unclaim", "comment"]);
    expect(allowedActions(ann, r)).toEqual(["withdraw", "comment"]);
    expect(allowedActions(low, r)).toEqual([]);
    expect(allowedActions(admin, r)).toEqual(["unclaim", "comment"]);
  });
  it("lets the author resubmit or withdraw after changes are requested", () => {
    const r = review({ status: "changes_requested", reviewer: "bob" });
    expect(allowedActions(ann, r)).toEqual(["resubmit", "withdraw", "comment"]);
    expect(allowedActions(bob, r)).toEqual(["unclaim", "comment"]);
  });
  it("offers no transition on a final status", () => {
    for (const status of ["approved", "rejected", "withdrawn"]) {
      const r = review({ status, reviewer: "bob" });
      expect(allowedActions(ann, r)).toEqual(["comment"]);
      expect(allowedActions(bob, r)).toEqual(["comment"]);
    }
  });
});

describe("the queue's order", () => {
  it("is priority (urgent first), then oldest first", () => {
    const rs = [
      review({ id: "a", priority: "low", created_at: 1 }),
      review({ id: "b", priority: "urgent", created_at: 5 }),
      review({ id: "c", priority: "normal", created_at: 3 }),
      review({ id: "d", priority: "urgent", created_at: 2 }),
      review({ id: "e", priority: "high", created_at: 9 }),
    ];
    expect([...rs].sort(queueOrder).map((r) => r.id)).toEqual(["d", "b", "e", "c", "a"]);
  });
});

describe("durations", () => {
  it("reads as seconds, minutes, hours or days", () => {
    expect(formatDuration(null)).toBe("—");
    expect(formatDuration(4_000)).toBe("4 s");
    expect(formatDuration(180_000)).toBe("3 min");
    expect(formatDuration(2 * 3600_000 + 5 * 60_000)).toBe("2 h 5 min");
    expect(formatDuration(5 * 24 * 3600_000)).toBe("5 d");
  });
});
