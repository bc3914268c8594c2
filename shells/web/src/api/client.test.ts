// The API client's token handling against a real HTTP server on loopback that speaks the auth
// part of the Codeyard API and counts calls: refresh tokens rotate, and a rotated-out token
// presented again ends the login (as codeyard-server does), so a second refresh would fail.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MemoryStorage, TokenStore } from "../auth/tokens";
import { ApiClient } from "./client";
import { ApiError } from "./errors";

interface AuthWorld {
  access: string | null; // the access token the server accepts
  refresh: string | null; // the refresh token the server accepts
  generation: number;
  refreshCalls: number;
  listCalls: number;
  rejectAll: boolean; // every bearer token is refused
}

const world: AuthWorld = { access: null, refresh: null, generation: 0, refreshCalls: 0, listCalls: 0, rejectAll: false };
let server: Server;
let base = "";

function reply(res: ServerResponse, status: number, body?: unknown) {
  res.writeHead(status, { "Content-Type": "application/json", "X-Request-Id": "rid-" + status });
  res.end(body === undefined ? "" : JSON.stringify(body));
}

function fail(res: ServerResponse, status: number, code: string, message: string) {
  reply(res, status, { error: { code, message, request_id: "rid-" + status } });
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
  if (req.method === "GET" && req.url?.split("?")[0] === "/api/v1/workspaces") {
    world.listCalls += 1;
    if (world.rejectAll || req.headers.authorization !== `Bearer ${world.access}`) {
      return fail(res, 401, "unauthenticated", "access token expired");
    }
    return reply(res, 200, { items: [], next_cursor: null });
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
  Object.assign(world, { access: null, refresh: null, generation: 0, refreshCalls: 0, listCalls: 0, rejectAll: false });
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
