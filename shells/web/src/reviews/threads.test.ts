import { describe, expect, it } from "vitest";
import { toComment, type ReviewComment } from "./api";
import { anchorLabel, buildThreads, reviewThreads, threadsForFile, unresolvedByFile } from "./threads";

let clock = 0;
const c = (id: string, over: Record<string, unknown> = {}): ReviewComment =>
  toComment({ id, author_id: "u", body: id, revision: 1, created_at: ++clock, ...over });

describe("comment threads", () => {
  it("groups replies (and replies to replies) under their root, oldest first", () => {
    const comments = [
      c("root", { path: "a.py", start_line: 3 }),
      c("r1", { in_reply_to: "root" }),
      c("other", { path: "a.py", start_line: 1 }),
      c("r2", { in_reply_to: "r1" }),
    ];
    const threads = buildThreads([...comments].reverse());
    expect(threads.map((t) => [t.root.id, t.replies.map((r) => r.id)])).toEqual([
      ["root", ["r1", "r2"]],
      ["other", []],
    ]);
  });
  it("keeps a reply whose parent is missing as a thread of its own", () => {
    const threads = buildThreads([c("lost", { in_reply_to: "gone", path: "b.py" })]);
    expect(threads).toHaveLength(1);
    expect(threads[0].root.id).toBe("lost");
  });
  it("does not loop on a cycle", () => {
    const threads = buildThreads([c("x", { in_reply_to: "y" }), c("y", { in_reply_to: "x" })]);
    expect(threads.flatMap((t) => [t.root, ...t.replies]).map((k) => k.id).sort()).toEqual(["x", "y"]);
  });
  it("splits threads by file (by line) and the whole review, and counts the unresolved", () => {
    const threads = buildThreads([
      c("l5", { path: "a.py", start_line: 5 }),
      c("file", { path: "a.py" }),
      c("l2", { path: "a.py", start_line: 2, resolved: true }),
      c("b", { path: "b.py", start_line: 1 }),
      c("general"),
    ]);
    expect(threadsForFile(threads, "a.py").map((t) => t.root.id)).toEqual(["file", "l2", "l5"]);
    expect(reviewThreads(threads).map((t) => t.root.id)).toEqual(["general"]);
    expect(Object.fromEntries(unresolvedByFile(threads))).toEqual({ "a.py": 2, "b.py": 1 });
  });
  it("names the anchor", () => {
    expect(anchorLabel(c("a", { path: "a.py", start_line: 3 }))).toBe("line 3");
    expect(anchorLabel(c("a", { path: "a.py", start_line: 3, end_line: 5 }))).toBe("lines 3–5");
    expect(anchorLabel(c("a", { path: "a.py", start_line: 3, side: "left" }))).toBe("line 3 (old)");
    expect(anchorLabel(c("a", { path: "a.py" }))).toBe("file");
    expect(anchorLabel(c("a"))).toBe("review");
  });
});

describe("events about a review", () => {
  it("are its review.* and notification events only", async () => {
    const { isAboutReview } = await import("./live");
    const e = (type: string, review_id?: string) => ({ id: 1, type, workspace_id: "w", at: 0, review_id });
    expect(isAboutReview(e("review.claimed", "r1"), "r1")).toBe(true);
    expect(isAboutReview(e("notification", "r1"), "r1")).toBe(true);
    expect(isAboutReview(e("review.claimed", "r2"), "r1")).toBe(false);
    expect(isAboutReview(e("file.changed"), "r1")).toBe(false);
  });
});
