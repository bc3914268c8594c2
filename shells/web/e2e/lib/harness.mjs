// The end-to-end harness: the real codeyard-server on a free loopback port with a temporary
// data directory, serving the built UI, and Debian's Chromium driven by playwright-core. Every
// wait polls a condition with a deadline; nothing sleeps for a fixed time.
//
// Environment (set by ctest, see tests/web/CMakeLists.txt):
//   CODEYARD_SERVER_BIN  the codeyard-server binary
//   CODEYARD_WEB_DIR     the built UI (build/web)
//   CODEYARD_ARTIFACTS   where screenshots go (build/test-artifacts)
//   CODEYARD_CHROMIUM    the browser (default /usr/bin/chromium)
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const SERVER_BIN = process.env.CODEYARD_SERVER_BIN ?? "";
export const WEB_DIR = process.env.CODEYARD_WEB_DIR ?? "";
export const ARTIFACTS = process.env.CODEYARD_ARTIFACTS ?? join(process.cwd(), "test-artifacts");
export const CHROMIUM = process.env.CODEYARD_CHROMIUM ?? "/usr/bin/chromium";

// The flags DEVELOPERS.md documents: headless, no sandbox (we may run as root), no GPU, and no
// traffic of Chromium's own (no QUIC, updates, sync or background requests).
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

if (!SERVER_BIN || !WEB_DIR) {
  throw new Error("CODEYARD_SERVER_BIN and CODEYARD_WEB_DIR must be set (run through ctest)");
}

/** Polls `check` until it returns a truthy value (returned) or the deadline passes (throws). */
export async function waitFor(check, { timeout = 30_000, interval = 50, what = "condition" } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? `: ${last.message}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** One codeyard-server process; `restart` keeps the port and the data. */
export class CodeyardServer {
  /** `settings`: extra configuration keys, as `key=value` for `--set` (e.g. a tiny rate limit). */
  static async start(name, { settings = [] } = {}) {
    const dir = mkdtempSync(join(tmpdir(), `codeyard-e2e-${name}-`));
    const server = new CodeyardServer(dir, await freePort());
    server.settings = settings;
    await server.launch();
    return server;
  }

  constructor(dir, port) {
    this.dir = dir;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.secret = randomBytes(32).toString("hex");
    this.proc = null;
    this.launches = 0;
    this.settings = [];
  }

  get dataDir() {
    return join(this.dir, "data");
  }

  async launch() {
    this.launches += 1;
    const log = openSync(join(this.dir, `server-${this.launches}.log`), "w");
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("CODEYARD_")));
    env.CODEYARD_SECRET = this.secret;
    // Pods outlive a stopped server (hand-off): end those nobody takes over soon after the test.
    env.CODEYARD_WORKSPACE_POD_ORPHAN_TIMEOUT_S = "30";
    // The least argon2id cost the keys allow, as tests/server/test_server.py's clean_env.
    env.CODEYARD_AUTH_PASSWORD_OPS = "1";
    env.CODEYARD_AUTH_PASSWORD_MEMORY_KIB = "8";
    this.proc = spawn(
      SERVER_BIN,
      [
        "--listen",
        `127.0.0.1:${this.port}`,
        "--data-dir",
        this.dataDir,
        "--set",
        `server.web_dir=${WEB_DIR}`,
        ...this.settings.flatMap((kv) => ["--set", kv]),
      ],
      { env, stdio: ["ignore", "ignore", log] },
    );
    const proc = this.proc;
    let exited = null;
    proc.once("exit", (code, signal) => (exited = { code, signal }));
    await waitFor(
      async () => {
        if (exited) throw new Error(`server exited (${JSON.stringify(exited)}): ${this.log()}`);
        const res = await fetch(`${this.url}/api/v1/health`);
        return res.ok;
      },
      { timeout: 20_000, what: "the server's /health" },
    );
  }

  log() {
    try {
      return readFileSync(join(this.dir, `server-${this.launches}.log`), "utf8").slice(-4000);
    } catch {
      return "";
    }
  }

  async stop() {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const done = new Promise((resolve) => proc.once("exit", resolve));
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
    await done;
    clearTimeout(timer);
  }

  async restart() {
    await this.stop();
    await this.launch();
  }

  async dispose() {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
}

/** A page at the given viewport whose console errors and failed requests are collected. */
export async function newPage(browser, { width = 1280, height = 800 } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  page.problems = [];
  page.on("pageerror", (err) => page.problems.push(`page error: ${err.stack ?? err.message}`));
  // Network errors are expected while a server restarts; CSP violations never are.
  page.on("console", (msg) => {
    if (msg.type() === "error" && /Content.Security.Policy|Refused to/i.test(msg.text())) {
      page.problems.push(`console: ${msg.text()}`);
    }
  });
  return page;
}

/** Saves a screenshot as build/test-artifacts/<name>.png. */
export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** A small client for changing things behind the UI's back. */
export class Api {
  constructor(base) {
    this.base = `${base}/api/v1`;
    this.token = null;
  }
  async call(method, path, { json, body, headers = {} } = {}) {
    const h = { ...headers };
    if (this.token) h.Authorization = `Bearer ${this.token}`;
    if (json !== undefined) h["Content-Type"] = "application/json";
    const res = await fetch(this.base + path, { method, headers: h, body: json !== undefined ? JSON.stringify(json) : body });
    return res;
  }
  async login(username, password) {
    const res = await this.call("POST", "/auth/login", { json: { username, password } });
    if (!res.ok) throw new Error(`login: ${res.status} ${await res.text()}`);
    this.token = (await res.json()).access_token;
  }
  async file(ws, path) {
    const res = await this.call("GET", `/workspaces/${ws}/files/${path}`);
    return { status: res.status, text: await res.text(), version: Number((res.headers.get("etag") ?? "").replace(/"/g, "")) };
  }
  async put(ws, path, text, version) {
    const headers = version === undefined ? {} : { "If-Match": `"${version}"` };
    const res = await this.call("PUT", `/workspaces/${ws}/files/${path}`, { body: text, headers });
    if (!res.ok) throw new Error(`put ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  }
}
