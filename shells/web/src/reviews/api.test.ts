// The reviews client against a real HTTP server on loopback that answers the review routes as
// docs/api.md gives them and records what it was asked: methods, paths, bodies, and that every
// call carries the session's token; and the normalisation of the answers' shapes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ApiClient } from "../api/client";
import { ApiError } from "../api/errors";
import { MemoryStorage, TokenStore } from "../auth/tokens";
import { ReviewsApi, itemsOf, toComment, toHistoryEntry, toNotification, toReview } from "./api";
import { diffRows } from "./DiffView";
import { notificationText } from "./notify";
import { selectionLines } from "./threads";

interface Seen {
  method: string;
  url: string;
  auth: string | undefined;
  body: unknown;
}
let seen: Seen[] = [];
let server: Server;
let api: ReviewsApi;

const reviewDoc = (over: Record<string, unknown> = {}) => ({
  id: "r 1",
  workspace_id: "w1",
  title: "Fix it",
  description: "",
  priority: "high",
  required_level: 2,
  status: "pending",
  revision: 1,
  author: { id: "ann", username: "ann" },
  reviewer: null,
  created_at: 10,
  updated_at: 10,
  ...over,
});

function reply(res: ServerResponse, status: number, body: unknown, type = "application/json") {
  res.writeHead(status, { "Content-Type": type });
  res.end(typeof body === "string" ? body : JSON.stringify(body));
}

async function handle(req: IncomingMessage, res: ServerResponse) {
  let raw = "";
  for await (const chunk of req) raw += chunk;
  const url = new URL(req.url ?? "/", "http://x");
  seen.push({ method: req.method ?? "", url: url.pathname + url.search, auth: req.headers.authorization, body: raw ? JSON.parse(raw) : undefined });
  const p = url.pathname.replace("/api/v1", "");
  if (p === "/reviews" && req.method === "POST") return reply(res, 201, reviewDoc(JSON.parse(raw)));
  if (p === "/reviews" && req.method === "GET") {
    // two pages: the client follows next_cursor
    if (!url.searchParams.get("cursor")) return reply(res, 200, { items: [reviewDoc({ id: "a" })], next_cursor: "p2" });
    return reply(res, 200, { items: [reviewDoc({ id: "b" })], next_cursor: null });
  }
  if (p === "/reviews/r%201/claim") return reply(res, 409, { error: { code: "conflict", message: "reviews: cannot claim a review that is in_review", request_id: "q" } });
  if (p === "/reviews/r%201/decision") return reply(res, 200, reviewDoc({ status: "changes_requested", decision_message: "more tests", reviewer: "bob" }));
  if (p === "/reviews/r%201/revisions/2/files/src/a%20b.py") return reply(res, 200, "print(1)\n", "application/octet-stream");
  if (p === "/reviews/r%201/revisions/2/tree") return reply(res, 200, { items: [{ path: "src", kind: "dir" }, { path: "src/a b.py", kind: "file", size: 9 }], next_cursor: null });
  if (p === "/reviews/r%201/diff") return reply(res, 200, [{ path: "a.py", change: "changed", hunks: [{ old_start: 2, old_lines: 2, new_start: 2, new_lines: 2, lines: [" x", "-y", "+z"] }] }]);
  if (p === "/reviews/r%201/comments" && req.method === "POST") return reply(res, 201, { id: "c1", ...JSON.parse(raw), author_id: "bob" });
  if (p === "/reviews/r%201/comments/c1") return reply(res, 200, { id: "c1", body: "b", resolved: true, outdated: true });
  if (p === "/notifications/read") return reply(res, 200, { items: [], unread: 0 });
  if (p === "/me") return reply(res, 200, { id: "ann", username: "ann", role: "user", reviewer_level: 3 });
  return reply(res, 404, { error: { code: "not_found", message: "no route", request_id: "q" } });
}

beforeAll(async () => {
  server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tokens = new TokenStore(new MemoryStorage());
  tokens.set({ access_token: "tok", refresh_token: "ref", expires_in: 900, user: { id: "ann", username: "ann", role: "user", reviewer_level: 0 } });
  api = new ReviewsApi(new ApiClient({ tokens, baseUrl: base }));
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  seen = [];
});

describe("the review routes", () => {
  it("creates a review with the issue's fields", async () => {
    const r = await api.create({ workspace_id: "w1", title: "Fix it", description: "why", priority: "urgent", required_level: 3 });
    expect(seen[0]).toMatchObject({ method: "POST", url: "/api/v1/reviews", auth: "Bearer tok" });
    expect(seen[0].body).toEqual({ workspace_id: "w1", title: "Fix it", description: "why", priority: "urgent", required_level: 3 });
    expect(r).toMatchObject({ status: "pending", revision: 1, priority: "urgent", required_level: 3, reviewer: null });
  });
  it("lists a role across pages", async () => {
    expect((await api.list("queue")).map((r) => r.id)).toEqual(["a", "b"]);
    expect(seen.map((s) => s.url)).toEqual(["/api/v1/reviews?role=queue", "/api/v1/reviews?role=queue&cursor=p2"]);
  });
  it("turns a lost claim into a conflict naming the status", async () => {
    const err = await api.transition("r 1", "claim").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(409);
    expect((err as ApiError).message).toMatch(/in_review/);
  });
  it("sends a decision with its message", async () => {
    const r = await api.decide("r 1", "request_changes", "more tests");
    expect(seen[0].body).toEqual({ decision: "request_changes", message: "more tests" });
    expect(r).toMatchObject({ status: "changes_requested", decision_message: "more tests", reviewer: { id: "bob", username: null } });
  });
  it("reads a revision's tree and a file by an encoded path", async () => {
    expect(await api.tree("r 1", 2)).toEqual([
      { path: "src", kind: "dir", size: 0 },
      { path: "src/a b.py", kind: "file", size: 9 },
    ]);
    expect(await api.file("r 1", 2, "src/a b.py")).toBe("print(1)\n");
  });
  it("reads a diff given as a bare array", async () => {
    const d = await api.diff("r 1", 1, 2);
    expect(seen[0].url).toBe("/api/v1/reviews/r%201/diff?from=1&to=2");
    expect(d[0]).toMatchObject({ path: "a.py", change: "changed", binary: false });
    expect(diffRows(d[0]).map((r) => [r.kind, r.old, r.new, r.text])).toEqual([
      ["hunk", null, null, "@@ -2,2 +2,2 @@"],
      ["context", 2, 2, "x"],
      ["removed", 3, null, "y"],
      ["added", null, 3, "z"],
    ]);
  });
  it("comments on a line range and resolves", async () => {
    const c = await api.addComment("r 1", { revision: 1, path: "a.py", start_line: 3, end_line: 3, side: "right", body: "why?" });
    expect(seen[0].body).toEqual({ revision: 1, path: "a.py", start_line: 3, end_line: 3, side: "right", body: "why?" });
    expect(c).toMatchObject({ path: "a.py", start_line: 3, end_line: 3, author: { id: "bob" }, resolved: false });
    const r = await api.setResolved("r 1", "c1", true);
    expect(seen[1]).toMatchObject({ method: "PATCH", body: { resolved: true } });
    expect(r).toMatchObject({ resolved: true, outdated: true });
  });
  it("marks notifications read and sets the reviewer level", async () => {
    await api.markRead({ all: true });
    await api.markRead({ ids: [3, 4] });
    expect(seen.map((s) => s.body)).toEqual([{ all: true }, { ids: [3, 4] }]);
    expect((await api.setReviewerLevel(3)).reviewer_level).toBe(3);
    expect(seen[2]).toMatchObject({ method: "PATCH", url: "/api/v1/me", body: { reviewer_level: 3 } });
  });
});

describe("answer shapes", () => {
  it("takes people as ids, objects, or *_id with *_username", () => {
    expect(toReview({ author: "ann" }).author).toEqual({ id: "ann", username: null });
    expect(toReview({ author_id: "ann", author_username: "Ann" }).author).toEqual({ id: "ann", username: "Ann" });
    expect(toReview({ author: { user_id: "ann", username: "Ann" } }).author).toEqual({ id: "ann", username: "Ann" });
    expect(toReview({ reviewer: null }).reviewer).toBeNull();
  });
  it("takes lists as arrays or under items", () => {
    expect(itemsOf([1])).toEqual([1]);
    expect(itemsOf({ items: [2] })).toEqual([2]);
    expect(itemsOf({ files: [3] })).toEqual([3]);
    expect(itemsOf({})).toEqual([]);
  });
  it("reads a history entry's detail as an object or a JSON string", () => {
    expect(toHistoryEntry({ action: "decided", detail: '{"message":"no"}' }).detail).toEqual({ message: "no" });
    expect(toHistoryEntry({ action: "decided", detail: { message: "no" } }).detail).toEqual({ message: "no" });
  });
  it("fills a comment's end line from its start", () => {
    expect(toComment({ id: "c", start_line: 4 }).end_line).toBe(4);
  });
  it("words a notification from its type and the review's data", () => {
    const n = toNotification({ id: 1, type: "review.decided", actor: { id: "b", username: "bob" }, data: { review_id: "r", title: "Fix", status: "changes_requested" } });
    expect(n.review_id).toBe("r");
    expect(notificationText(n)).toBe("bob decided “Fix”: Changes requested");
    expect(notificationText(toNotification({ type: "review.queued", title: "X" }))).toBe("New in your queue: “X”");
  });
  it("anchors a selection ending at a line's start on the line before", () => {
    expect(selectionLines({ startLineNumber: 3, endLineNumber: 4, endColumn: 1 })).toEqual({ start: 3, end: 3 });
    expect(selectionLines({ startLineNumber: 3, endLineNumber: 5, endColumn: 4 })).toEqual({ start: 3, end: 5 });
    expect(selectionLines({ startLineNumber: 3, endLineNumber: 3, endColumn: 1 })).toEqual({ start: 3, end: 3 });
  });
});
