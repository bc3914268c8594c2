// The IDE's Run, outside React: one RunSocket at a time and the Output panel's terminal. A new
// run replaces the one under way (the server stops it too). A socket that drops (code 1006) is
// opened again on the same run, saying how many messages it had; the run's id, chosen here
// before the socket opens, is kept in sessionStorage until the run ends, so a reloaded page
// picks the run up again (resume), even one whose first status never arrived. Output goes straight to xterm.js;
// the state the panel shows (phase, command, verdict, places in the output) is published to
// subscribers (useSyncExternalStore).
import type { Terminal } from "@xterm/xterm";
import { allLocations, type Location } from "./links";
import { type RunHello, type RunStatus, RunSocket } from "./runSocket";
import type { RunVerdict } from "./runtime";

export type RunPhase = "idle" | "starting" | "compiling" | "running" | "ended";

export interface RunView {
  phase: RunPhase;
  path: string | null;
  command: string | null; // the argv that runs, quoted as for sh
  verdict: RunVerdict | null;
  error: string | null; // the run could not start, or its socket broke
  reconnecting: boolean; // the socket dropped: opening it again on the same run
  locations: Location[]; // places in the output, for the list under the panel
}

const IDLE: RunView = {
  phase: "idle",
  path: null,
  command: null,
  verdict: null,
  error: null,
  reconnecting: false,
  locations: [],
};
const RECONNECT_TRIES = 20; // about 45 s of tries, past the server's default 30 s grace
const RECONNECT_MAX_DELAY_MS = 3000;
const KEPT_TEXT = 256 * 1024; // output text kept for the places list

export interface StartOptions {
  url: string;
  token: string;
  path: string;
  /** Where the run's id is kept while it runs (sessionStorage), so that a reload resumes it. */
  storageKey?: string;
  /** A token for a reconnect (the first may have expired meanwhile). */
  freshToken?(): Promise<string | null>;
  onEnded?(): void;
}

export type ResumeOptions = Omit<StartOptions, "path"> & { runId: string };

function remember(key: string | undefined, runId: string | null): void {
  if (!key) return;
  try {
    if (runId) sessionStorage.setItem(key, runId);
    else sessionStorage.removeItem(key);
  } catch {
    // storage refused: a reload then does not resume
  }
}

export function rememberedRun(key: string): string | null {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

/** A random UUID (crypto.randomUUID exists only in secure contexts: plain http on a LAN has none). */
export function newRunId(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export class RunController {
  private view: RunView = IDLE;
  private listeners = new Set<() => void>();
  private socket: RunSocket | null = null;
  private term: Terminal | null = null;
  private text = "";
  private decoder = new TextDecoder();
  private generation = 0; // of the current run: callbacks of a replaced one do nothing
  private stopping = false; // Stop was asked: output still arriving is not shown

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  snapshot = (): RunView => this.view;

  get active(): boolean {
    return this.view.phase === "starting" || this.view.phase === "compiling" || this.view.phase === "running";
  }

  /** The panel's terminal, or null when it goes away; `cleared` is told when a new run clears it. */
  attach(term: Terminal | null, cleared?: () => void): void {
    this.term = term;
    this.cleared = term ? cleared : undefined;
  }

  private cleared: (() => void) | undefined;

  start(opts: StartOptions): void {
    this.reset(opts.path);
    // The page names the run, and keeps the name before the socket opens: a drop or a reload at
    // any moment after the hello leads back to it, even before the first status came.
    const runId = newRunId();
    this.runId = runId;
    remember(opts.storageKey, runId);
    this.open(opts, { token: opts.token, path: opts.path, run_id: runId, ...this.size() }, ++this.generation, 0);
  }

  /** Picks up a run this tab started before a reload: all the server kept of it, then live. */
  resume(opts: ResumeOptions): void {
    this.reset(null);
    this.runId = opts.runId;
    const hello = { token: opts.token, run_id: opts.runId, seen: 0, ...this.size() };
    this.open(opts, hello, ++this.generation, 0);
  }

  private runId: string | null = null;

  private reset(path: string | null): void {
    this.socket?.close();
    this.text = "";
    this.stopping = false;
    this.runId = null;
    this.decoder = new TextDecoder();
    this.term?.reset();
    this.cleared?.();
    this.publish({ ...IDLE, phase: "starting", path });
  }

  private size(): { cols: number; rows: number } {
    return { cols: this.term?.cols ?? 80, rows: this.term?.rows ?? 24 };
  }

  private open(opts: Omit<StartOptions, "path">, hello: RunHello, generation: number, tries: number): void {
    const mine = () => this.generation === generation;
    const socket = new RunSocket(opts.url, hello, {
      onOutput: (data) => {
        tries = 0;
        if (!mine()) return;
        if (this.stopping) {
          socket.ack(data.length); // not shown, but acknowledged: nothing waits on it
          return;
        }
        if (this.term) this.term.write(data, () => mine() && socket.ack(data.length));
        else socket.ack(data.length);
        if (this.text.length < KEPT_TEXT) this.text += this.decoder.decode(data, { stream: true });
      },
      onStatus: (status: RunStatus) => {
        if (!mine()) return;
        tries = 0;
        if (typeof status.run_id === "string") {
          this.runId = status.run_id;
          remember(opts.storageKey, status.run_id);
        }
        if (status.state === "compiling" || status.state === "running") {
          this.publish({
            ...this.view,
            phase: status.state,
            reconnecting: false,
            path: typeof status.path === "string" ? status.path : this.view.path,
            command: status.command ?? status.argv?.join(" ") ?? null,
          });
        } else if (status.state === "exited") {
          remember(opts.storageKey, null);
          const ended = () =>
            mine() &&
            this.publish({
              ...this.view,
              phase: "ended",
              verdict: status as unknown as RunVerdict,
              locations: allLocations(this.text),
            });
          // After the output before it is on screen (xterm.js parses writes later and draws
          // them on the next animation frame, which comes before this one); a stopped run's
          // at once, since a flood may keep xterm.js busy for a while.
          if (this.stopping) ended();
          else this.afterOutput(ended);
        }
      },
      onClose: (code, reason) => {
        if (!mine()) return;
        this.socket = null;
        // Dropped, not closed by the server: the run goes on there for a while; open it again.
        if (code === 1006 && this.runId && this.view.phase !== "ended" && tries < RECONNECT_TRIES) {
          const runId = this.runId;
          this.publish({ ...this.view, reconnecting: true });
          const delay = Math.min(250 * 2 ** tries, RECONNECT_MAX_DELAY_MS);
          setTimeout(async () => {
            if (!mine()) return;
            const token = (await opts.freshToken?.()) ?? opts.token;
            if (!mine()) return;
            const again = { token, run_id: runId, seen: socket.messages, ...this.size() };
            this.open(opts, again, generation, tries + 1);
          }, delay);
          return;
        }
        remember(opts.storageKey, null);
        this.afterOutput(() => {
          if (mine() && this.view.phase !== "ended") {
            const resumed = code === 4004 && hello.path === undefined;
            const error = !resumed
              ? reason || `the run's connection closed (code ${code})`
              : socket.messages === 0
                ? "The run did not start: its connection dropped before the server had it. Run it again."
                : "The run was stopped while the page was away.";
            this.publish({ ...this.view, phase: "ended", reconnecting: false, error, locations: allLocations(this.text) });
          }
          opts.onEnded?.();
        });
      },
    });
    this.socket = socket;
  }

  /** Typed while it starts or compiles too: the server keeps it for the program. */
  input(data: string | Uint8Array): void {
    if (this.active) this.socket?.input(data);
  }

  resize(cols: number, rows: number): void {
    this.socket?.resize(cols, rows);
  }

  stop(): void {
    if (!this.socket) return;
    this.stopping = true;
    this.socket.stop();
  }

  /** The page goes away: the socket is dropped (the server keeps the run for its grace). */
  dispose(): void {
    this.generation += 1;
    const s = this.socket;
    this.socket = null;
    s?.close();
  }

  private afterOutput(then: () => void): void {
    if (!this.term) {
      then();
      return;
    }
    this.term.write("", () => requestAnimationFrame(() => then()));
  }

  private publish(view: RunView): void {
    this.view = view;
    for (const l of this.listeners) l();
  }
}
