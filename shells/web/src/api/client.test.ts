// The API client's token handling against a real HTTP server on loopback that speaks the auth
// part of the Codeyard API and counts calls: refresh tokens rotate, and a rotated-out token
// presented again ends the login (as codeyard-server does), so a second refresh would fail.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MemoryStorage, TokenStore } from "../auth/tokens";
import { ApiClient } from "./client";
import { ApiError, describeError, parseRetryAfter } from "./errors";

interface AuthWorld {
  access: string | null; // the access token the server accepts
  refresh: string | null; // the refresh token the server accepts
  generation: number;
  refreshCalls: number;
  listCalls: number;
  rejectAll: boolean; // every bearer token is refused
  workspaces: number; // how many the list route has
  paging: "cursor" | "none" | "loop"; // cursors; one page without a cursor (older servers); a buggy repeat
  listQueries: string[];
  retryAfter: number | null; // answer the list with 429 and this Retry-After
}

const fresh = (): AuthWorld => ({
  access: null,
  refresh: null,
  generation: 0,
  refreshCalls: 0,
  listCalls: 0,
  rejectAll: false,
  workspaces: 0,
  paging: "cursor",
  listQueries: [],
  retryAfter: null,
});
const world: AuthWorld = fresh();
let server: Server;
let base = "";

function reply(res: ServerResponse, status: number, body?: unknown) {
  res.writeHead(status, { "Content-Type": "application/json", "X-Request-Id": "rid-" + status });
  res.end(body === undefined ? "" : JSON.stringify(body));
}

function fail(res: ServerResponse, status: number, code: string, message: string) {
  reply(res, status, { error: { code, message, request_id: "rid-" + status } });
}

/** The paginated list as codeyard-server answers it, or all at once like an older server. */
function listPage(res: ServerResponse, url: URL) {
  const all = Array.from({ length: world.workspaces }, (_, i) => ({ id: `w${String(i).padStart(4, "0")}`, name: `ws ${i}` }));
  if (world.paging === "none") return reply(res, 200, { items: all });
  const limit = Math.min(200, Number(url.searchParams.get("limit") ?? 50));
  const start = world.paging === "loop" ? 0 : Number(url.searchParams.get("cursor") ?? 0);
  const items = all.slice(start, start + limit);
  const next = start + limit < all.length ? String(start + limit) : null;
  return reply(res, 200, { items, next_cursor: next });
}

function issue() {
  world.generation += 1;
  world.access = `access-${world.generation}`;
  world.refresh = `refresh-${world.generation}`;
  return {
    access_token: world.access,
    refresh_token: world.refresh,
    expires_in: 900,
    user: { id: "u1", username: "ada", role: "user", reviewer_level: 0 },
  };
}

async function handle(req: IncomingMessage, res: ServerResponse) {
  let body = "";
  for await (const chunk of req) body += chunk;
  if (req.method === "POST" && req.url === "/api/v1/auth/refresh") {
    world.refreshCalls += 1;
    const token = (JSON.parse(body) as { refresh_token: string }).refresh_token;
    if (!world.refresh || token !== world.refresh) {
      world.refresh = null; // reuse of a rotated token ends the login
      world.access = null;
      return fail(res, 401, "unauthenticated", "the refresh token is not valid");
    }
    return reply(res, 200, issue());
  }
  if (req.method === "POST" && req.url === "/api/v1/auth/login") return reply(res, 200, issue());
  const url = new URL(req.url ?? "/", "http://x");
  if (req.method === "GET" && url.pathname === "/api/v1/workspaces") {
    world.listCalls += 1;
    world.listQueries.push(url.search);
    if (world.rejectAll || req.headers.authorization !== `Bearer ${world.access}`) {
      return fail(res, 401, "unauthenticated", "access token expired");
    }
    if (world.retryAfter !== null) {
      res.setHeader("Retry-After", String(world.retryAfter));
      return fail(res, 429, "resource_exhausted", "too many requests for this account.");
    }
    return listPage(res, url);
  }
  return fail(res, 404, "not_found", "no such endpoint: " + req.url);
}

beforeAll(async () => {
  server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  Object.assign(world, fresh());
});

function makeClient() {
  const storage = new MemoryStorage();
  const tokens = new TokenStore(storage);
  let lost = 0;
  let locked = 0;
  const client = new ApiClient({
    tokens,
    baseUrl: base,
    onAuthLost: () => (lost += 1),
    lock: (fn) => {
      locked += 1;
      return fn();
    },
  });
  return { client, tokens, storage, lost: () => lost, locked: () => locked };
}

/** Logs in, then makes the server forget the access token (as if it expired). */
async function loggedInWithExpiredAccess() {
  const c = makeClient();
  await c.client.login("ada", "secret-password");
  world.access = "access-after-expiry";
  return c;
}

describe("ApiClient tokens", () => {
  it("sends the access token and does not refresh while it is accepted", async () => {
    const c = makeClient();
    await c.client.login("ada", "secret-password");
    await expect(c.client.listWorkspaces()).resolves.toEqual([]);
    expect(world.refreshCalls).toBe(0);
    expect(c.tokens.refreshToken).toBe("refresh-1");
  });

  it("refreshes once on a 401 and retries the request", async () => {
    const c = await loggedInWithExpiredAccess();
    await expect(c.client.listWorkspaces()).resolves.toEqual([]);
    expect(world.refreshCalls).toBe(1);
    expect(world.listCalls).toBe(2);
    expect(c.tokens.accessToken).toBe("access-2");
    expect(c.tokens.refreshToken).toBe("refresh-2"); // rotated, and stored
    expect(c.locked()).toBe(1);
    expect(c.lost()).toBe(0);
  });

  it("shares one refresh between concurrent requests that got 401", async () => {
    const c = await loggedInWithExpiredAccess();
    const all = await Promise.all(Array.from({ length: 6 }, () => c.client.listWorkspaces()));
    expect(all).toHaveLength(6);
    expect(world.refreshCalls).toBe(1);
    expect(c.lost()).toBe(0);
    expect(world.refresh).toBe("refresh-2"); // a second refresh would have ended the login
  });

  it("ends the session when the refresh token is refused", async () => {
    const c = await loggedInWithExpiredAccess();
    world.refresh = "someone-else";
    const err = await c.client.listWorkspaces().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(401);
    expect(c.lost()).toBe(1);
    expect(c.tokens.refreshToken).toBeNull();
    expect(c.tokens.accessToken).toBeNull();
  });

  it("does not refresh twice when the retried request is refused again", async () => {
    const c = await loggedInWithExpiredAccess();
    world.rejectAll = true;
    const err = await c.client.listWorkspaces().catch((e: unknown) => e);
    expect((err as ApiError).status).toBe(401);
    expect(world.refreshCalls).toBe(1);
    expect(world.listCalls).toBe(2);
    expect(c.lost()).toBe(1);
  });

  it("gets an access token first after a reload (refresh token only)", async () => {
    const first = makeClient();
    await first.client.login("ada", "secret-password");
    // A new page: same storage, nothing in memory.
    const tokens = new TokenStore(first.storage);
    const reloaded = new ApiClient({ tokens, baseUrl: base });
    expect(tokens.accessToken).toBeNull();
    await expect(reloaded.listWorkspaces()).resolves.toEqual([]);
    expect(world.refreshCalls).toBe(1);
    expect(world.listCalls).toBe(1);
  });

  it("reads the refresh token afresh, so a rotation by another tab is used", async () => {
    const tabA = await loggedInWithExpiredAccess();
    const tabB = new ApiClient({ tokens: new TokenStore(tabA.storage), baseUrl: base });
    await tabB.refresh(); // tab B rotates the shared refresh token
    world.access = "expired-again";
    await expect(tabA.client.listWorkspaces()).resolves.toEqual([]);
    expect(tabA.lost()).toBe(0);
    expect(world.refreshCalls).toBe(2);
  });

  it("keeps the login when the server cannot be reached", async () => {
    const c = await loggedInWithExpiredAccess();
    const offline = new ApiClient({ tokens: c.tokens, baseUrl: "http://127.0.0.1:1", onAuthLost: () => {} });
    const err = await offline.listWorkspaces().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).isNetwork).toBe(true);
    expect(c.tokens.refreshToken).toBe("refresh-1");
  });

  it("turns the error envelope into an ApiError", async () => {
    const c = makeClient();
    await c.client.login("ada", "secret-password");
    const err = (await c.client.getWorkspace("nope").catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(404);
    expect(err.code).toBe("not_found");
    expect(err.message).toContain("no such endpoint");
    expect(err.requestId).toBe("rid-404");
  });

  it("forgets the tokens on logout", async () => {
    const c = makeClient();
    await c.client.login("ada", "secret-password");
    await c.client.logout();
    expect(c.tokens.refreshToken).toBeNull();
    expect(c.tokens.accessToken).toBeNull();
    expect(c.tokens.user).toBeNull();
  });
});

describe("ApiClient lists and limits", () => {
  it("follows next_cursor until the last page, 200 items a page", async () => {
    const c = makeClient();
    await c.client.login("ada", "secret-password");
    world.workspaces = 450;
    const all = await c.client.listWorkspaces();
    expect(all).toHaveLength(450);
    expect(new Set(all.map((w) => w.id)).size).toBe(450);
    expect(world.listQueries).toEqual(["?limit=200", "?limit=200&cursor=200", "?limit=200&cursor=400"]);
  });

  it("takes a server that answers every item in one page without a cursor", async () => {
    const c = makeClient();
    await c.client.login("ada", "secret-password");
    world.workspaces = 300;
    world.paging = "none";
    expect(await c.client.listWorkspaces()).toHaveLength(300);
    expect(world.listCalls).toBe(1);
  });

  it("stops at a repeated cursor instead of looping", async () => {
    const c = makeClient();
    await c.client.login("ada", "secret-password");
    world.workspaces = 450;
    world.paging = "loop";
    const err = (await c.client.listWorkspaces().catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe("bad_cursor");
    expect(world.listCalls).toBe(2);
  });

  it("does not retry a 429 and says when to try again", async () => {
    const c = makeClient();
    await c.client.login("ada", "secret-password");
    world.retryAfter = 7;
    const err = (await c.client.listWorkspaces().catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(429);
    expect(err.retryAfterS).toBe(7);
    expect(world.listCalls).toBe(1);
    expect(describeError(err)).toBe("Limit reached: Too many requests for this account. Try again in 7 s.");
  });

  it("reads Retry-After as seconds or as a date", () => {
    expect(parseRetryAfter("12")).toBe(12);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter("soon")).toBeNull();
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now)).toBe(30);
  });

  it("a revoked session: one refresh, refused, then the login page and no further requests", async () => {
    const c = makeClient();
    await c.client.login("ada", "secret-password");
    world.access = null; // logout elsewhere, a password change, or a disabled account
    world.refresh = null;
    const err = (await c.client.listWorkspaces().catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(401);
    expect(world.refreshCalls).toBe(1);
    expect(world.listCalls).toBe(1);
    expect(c.lost()).toBe(1);
    await c.client.listWorkspaces().catch(() => {});
    expect(world.listCalls).toBe(1); // no token left: nothing is sent
  });
});
