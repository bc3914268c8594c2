// The REST client. Every call carries the in-memory access token; a 401 triggers exactly one
// refresh (shared by every request that failed with the same token, and serialised across tabs
// with a Web Lock), then one retry. A second 401, or a refresh the server refuses, ends the
// session: tokens are forgotten and onAuthLost sends the person to log in. A network failure
// never logs anyone out (the server may be restarting); it surfaces as ApiError status 0. A 429
// is never retried here: its Retry-After (seconds) travels in the ApiError for the person to see.
// List routes are paginated (`?limit=N&cursor=C` -> {"items","next_cursor"}); `listAll` follows
// the cursors, and also takes a server that answers every item at once without a cursor.
import { ApiError, errorFromResponse } from "./errors";
import type { AuthResponse, ExecRequest, ExecResult, FileContent, FileInfo, LanguageInfo, ListPage, PreviewTicket, User, Workspace } from "./types";
import type { SearchResult } from "./types";
import type { TokenStore } from "../auth/tokens";

/** The largest page the list routes give (docs/api.md): the fewest requests for a long list. */
export const LIST_PAGE_LIMIT = 200;

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

  /** Ends the session from outside a request (the terminal's socket was refused twice). */
  endSession(): void {
    this.authLost();
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

  /**
   * Every item of a paginated list route: pages of `limit` items, following `next_cursor`
   * until it is null or absent (a server without pagination answers all items in one page).
   */
  async listAll<T>(path: string, limit = LIST_PAGE_LIMIT): Promise<T[]> {
    const items: T[] = [];
    const seen = new Set<string>();
    let cursor: string | null = null;
    for (;;) {
      const query: string = `?limit=${limit}` + (cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`);
      const page = await this.json<ListPage<T>>("GET", path + query);
      items.push(...page.items);
      const next = page.next_cursor ?? null;
      if (next === null || next === "") return items;
      // A cursor seen before would loop forever: a server bug, reported rather than followed.
      if (seen.has(next)) throw new ApiError(502, "bad_cursor", `the server repeated a page cursor for ${path}`);
      seen.add(next);
      cursor = next;
    }
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

  /** All of the person's workspaces (every page). */
  listWorkspaces(): Promise<Workspace[]> {
    return this.listAll<Workspace>("/workspaces");
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
  shareTerminal(id: string, shared: boolean): Promise<Workspace> {
    return this.json<Workspace>("PUT", `/workspaces/${encodeURIComponent(id)}/terminal/share`, { json: { shared } });
  }
  async deleteWorkspace(id: string): Promise<void> {
    await this.call("DELETE", `/workspaces/${encodeURIComponent(id)}`);
  }
  startWorkspace(id: string): Promise<Workspace> {
    return this.json<Workspace>("POST", `/workspaces/${encodeURIComponent(id)}/start`);
  }
  /** Syncs the pod's files into storage, then ends the pod (412 when files could not be stored). */
  stopWorkspace(id: string): Promise<Workspace> {
    return this.json<Workspace>("POST", `/workspaces/${encodeURIComponent(id)}/stop`);
  }

  // ---- files -----------------------------------------------------------------------------

  /** Every file and folder of a workspace (every page). */
  tree(id: string): Promise<FileInfo[]> {
    return this.listAll<FileInfo>(`/workspaces/${encodeURIComponent(id)}/tree`);
  }

  /** The first page of a workspace's tree (at most `limit` items) and whether more follow. */
  async treeHead(id: string, limit: number): Promise<{ items: FileInfo[]; more: boolean }> {
    const page = await this.json<ListPage<FileInfo>>("GET", `/workspaces/${encodeURIComponent(id)}/tree?limit=${limit}`);
    return { items: page.items, more: !!page.next_cursor };
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

  // ---- run17: the language table (GET /api/v1/languages, public) ----
  async languages(): Promise<LanguageInfo[]> {
    return (await this.json<{ languages: LanguageInfo[] }>("GET", "/languages", { auth: false })).languages;
  }

  // ---- preview (relay17) ---------------------------------------------------------------

  /**
   * A ticket for a tab or frame to reach what the workspace serves on `port`: `url` is the
   * capability path /api/v1/previews/{ticket}/ (never the access token), whose relative URLs
   * keep the ticket for the page's images and scripts.
   */
  openPreview(id: string, port: number): Promise<PreviewTicket> {
    return this.json<PreviewTicket>("POST", `/workspaces/${encodeURIComponent(id)}/previews`, { json: { port } });
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

  // ---- search (term17) ---------------------------------------------------------------------

  /** Lines holding `q` in the workspace's stored files, grouped by file (docs/api.md, "Search"). */
  searchFiles(id: string, q: string, options: { caseSensitive?: boolean; regex?: boolean } = {}): Promise<SearchResult> {
    const params = new URLSearchParams({ q });
    if (options.caseSensitive) params.set("case", "true");
    if (options.regex) params.set("regex", "true");
    return this.json<SearchResult>("GET", `/workspaces/${encodeURIComponent(id)}/search?${params}`);
  }
}
