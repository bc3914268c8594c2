// The REST client. Every call carries the in-memory access token; a 401 triggers exactly one
// refresh (shared by every request that failed with the same token, and serialised across tabs
// with a Web Lock), then one retry. A second 401, or a refresh the server refuses, ends the
// session: tokens are forgotten and onAuthLost sends the person to log in. A network failure
// never logs anyone out (the server may be restarting); it surfaces as ApiError status 0.
import { ApiError, errorFromResponse } from "./errors";
import type { AuthResponse, ExecRequest, ExecResult, FileContent, FileInfo, User, Workspace } from "./types";
import type { TokenStore } from "../auth/tokens";

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;
export type Lock = <T>(fn: () => Promise<T>) => Promise<T>;

export interface ClientOptions {
  tokens: TokenStore;
  baseUrl?: string; // default "" (same origin)
  fetch?: Fetch;
  onAuthLost?: () => void;
  lock?: Lock; // serialises refreshes across tabs
}

interface CallOptions {
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
  auth?: boolean; // default true
}

/** A Web Lock when the browser has one (secure contexts: https, localhost), else none. */
export function browserLock(): Lock {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) return (fn) => fn();
  return <T,>(fn: () => Promise<T>) => locks.request("codeyard-refresh", fn) as unknown as Promise<T>;
}

/** "a b/c.py" -> "a%20b/c.py": each segment encoded, the slashes kept. */
export function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

/** The version in an ETag such as "\"3\"" (or W/"3"); NaN when absent. */
export function versionFromEtag(etag: string | null): number {
  if (!etag) return NaN;
  return Number(etag.replace(/^W\//, "").replace(/"/g, ""));
}

function looksBinary(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 8000);
  for (let i = 0; i < n; i++) if (bytes[i] === 0) return true;
  return false;
}

export class ApiClient {
  readonly tokens: TokenStore;
  private readonly base: string;
  private readonly fetchFn: Fetch;
  private readonly lock: Lock;
  private onAuthLost: () => void;
  private refreshing: Promise<boolean> | null = null;

  constructor(options: ClientOptions) {
    this.tokens = options.tokens;
    this.base = (options.baseUrl ?? "") + "/api/v1";
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.lock = options.lock ?? ((fn) => fn());
    this.onAuthLost = options.onAuthLost ?? (() => {});
  }

  setOnAuthLost(fn: () => void): void {
    this.onAuthLost = fn;
  }

  // ---- transport -----------------------------------------------------------------------

  private async send(method: string, path: string, opts: CallOptions, token: string | null): Promise<Response> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    let body = opts.body;
    if (opts.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.json);
    }
    if (token) headers["Authorization"] = `Bearer ${token}`;
    try {
      return await this.fetchFn(this.base + path, { method, headers, body });
    } catch (err) {
      throw new ApiError(0, "network", err instanceof Error ? err.message : String(err));
    }
  }

  /**
   * Gets a new access token with the stored refresh token. Concurrent callers share one
   * attempt. Resolves false when the server refuses the refresh token (the login is over);
   * rejects with ApiError status 0 on a network failure (the login may still be good).
   */
  refresh(): Promise<boolean> {
    if (!this.refreshing) {
      this.refreshing = this.lock(async () => {
        const token = this.tokens.refreshToken; // read inside the lock: another tab may have rotated it
        if (!token) return false;
        const res = await this.send("POST", "/auth/refresh", { json: { refresh_token: token }, auth: false }, null);
        if (res.ok) {
          this.tokens.set((await res.json()) as AuthResponse);
          return true;
        }
        if (res.status === 400 || res.status === 401 || res.status === 404) return false;
        throw await errorFromResponse(res);
      }).finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  /**
   * An access token for a WebSocket hello: the current one, or a refreshed one when `fresh` or
   * when there is none. Null when the login is over (onAuthLost has run); rejects with
   * ApiError status 0 when the server cannot be reached.
   */
  async accessToken(fresh: boolean): Promise<string | null> {
    if (fresh || !this.tokens.accessToken) {
      if (!(await this.refresh())) {
        this.authLost();
        return null;
      }
    }
    return this.tokens.accessToken;
  }

  private authLost(): ApiError {
    this.tokens.clear();
    this.onAuthLost();
    return new ApiError(401, "unauthenticated", "your session has ended; please log in again");
  }

  /** Sends a request; resolves with a 2xx Response, rejects with ApiError otherwise. */
  async call(method: string, path: string, opts: CallOptions = {}): Promise<Response> {
    const auth = opts.auth !== false;
    let token = auth ? this.tokens.accessToken : null;
    if (auth && !token) {
      if (!(await this.refresh())) throw this.authLost();
      token = this.tokens.accessToken;
    }
    let res = await this.send(method, path, opts, token);
    if (auth && res.status === 401) {
      // Another request may already have replaced the token this one used.
      if (this.tokens.accessToken === token || !this.tokens.accessToken) {
        if (!(await this.refresh())) throw this.authLost();
      }
      res = await this.send(method, path, opts, this.tokens.accessToken);
      if (res.status === 401) throw this.authLost();
    }
    if (!res.ok && res.status !== 304) throw await errorFromResponse(res);
    return res;
  }

  private async json<T>(method: string, path: string, opts: CallOptions = {}): Promise<T> {
    const res = await this.call(method, path, opts);
    return (await res.json()) as T;
  }

  // ---- auth ------------------------------------------------------------------------------

  async register(username: string, password: string): Promise<User> {
    const auth = await this.json<AuthResponse>("POST", "/auth/register", { json: { username, password }, auth: false });
    this.tokens.set(auth);
    return auth.user;
  }

  async login(username: string, password: string): Promise<User> {
    const auth = await this.json<AuthResponse>("POST", "/auth/login", { json: { username, password }, auth: false });
    this.tokens.set(auth);
    return auth.user;
  }

  /** Revokes the refresh token on the server (best effort) and forgets the tokens. */
  async logout(): Promise<void> {
    const token = this.tokens.refreshToken;
    this.tokens.clear();
    if (!token) return;
    try {
      await this.send("POST", "/auth/logout", { json: { refresh_token: token }, auth: false }, null);
    } catch {
      // offline: the token expires by itself
    }
  }

  me(): Promise<User> {
    return this.json<User>("GET", "/me");
  }

  // ---- workspaces ------------------------------------------------------------------------

  // Every page of a paginated list route ({items, next_cursor}), 200 items at a time.
  private async allPages<T>(path: string): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const page: { items: T[]; next_cursor: string | null } = await this.json("GET", path + query);
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    return items;
  }

  async listWorkspaces(): Promise<Workspace[]> {
    return this.allPages<Workspace>("/workspaces");
  }
  createWorkspace(name: string): Promise<Workspace> {
    return this.json<Workspace>("POST", "/workspaces", { json: { name } });
  }
  getWorkspace(id: string): Promise<Workspace> {
    return this.json<Workspace>("GET", `/workspaces/${encodeURIComponent(id)}`);
  }
  renameWorkspace(id: string, name: string): Promise<Workspace> {
    return this.json<Workspace>("PATCH", `/workspaces/${encodeURIComponent(id)}`, { json: { name } });
  }
  async deleteWorkspace(id: string): Promise<void> {
    await this.call("DELETE", `/workspaces/${encodeURIComponent(id)}`);
  }
  startWorkspace(id: string): Promise<Workspace> {
    return this.json<Workspace>("POST", `/workspaces/${encodeURIComponent(id)}/start`);
  }

  // ---- files -----------------------------------------------------------------------------

  async tree(id: string): Promise<FileInfo[]> {
    return this.allPages<FileInfo>(`/workspaces/${encodeURIComponent(id)}/tree`);
  }

  async readFile(id: string, path: string): Promise<FileContent> {
    const res = await this.call("GET", `/workspaces/${encodeURIComponent(id)}/files/${encodePath(path)}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    const binary = looksBinary(bytes);
    return {
      text: binary ? "" : new TextDecoder().decode(bytes),
      version: versionFromEtag(res.headers.get("etag")),
      binary,
    };
  }

  /**
   * Writes a text file. `expected`: the version the edit started from (412 when stale), "new"
   * to create only (409 when it exists), or undefined to overwrite whatever is there.
   */
  writeFile(id: string, path: string, text: string, expected?: number | "new"): Promise<FileInfo> {
    const headers: Record<string, string> = { "Content-Type": "application/octet-stream" };
    if (expected === "new") headers["If-None-Match"] = "*";
    else if (expected !== undefined) headers["If-Match"] = `"${expected}"`;
    return this.json<FileInfo>("PUT", `/workspaces/${encodeURIComponent(id)}/files/${encodePath(path)}`, {
      body: text,
      headers,
    });
  }

  async deleteFile(id: string, path: string): Promise<void> {
    await this.call("DELETE", `/workspaces/${encodeURIComponent(id)}/files/${encodePath(path)}`);
  }

  makeDir(id: string, path: string): Promise<FileInfo> {
    return this.json<FileInfo>("POST", `/workspaces/${encodeURIComponent(id)}/dirs/${encodePath(path)}`);
  }

  move(id: string, from: string, to: string): Promise<FileInfo> {
    return this.json<FileInfo>("POST", `/workspaces/${encodeURIComponent(id)}/files:move`, { json: { from, to } });
  }

  exec(id: string, request: ExecRequest): Promise<ExecResult> {
    return this.json<ExecResult>("POST", `/workspaces/${encodeURIComponent(id)}/exec`, { json: request });
  }

  // ---- health ----------------------------------------------------------------------------

  /** True when the server answers /health. Never throws. */
  async healthy(): Promise<boolean> {
    try {
      const res = await this.send("GET", "/health", { auth: false }, null);
      return res.ok;
    } catch {
      return false;
    }
  }
}
