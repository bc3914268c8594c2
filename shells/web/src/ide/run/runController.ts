// The IDE's Run, outside React: one RunSocket at a time and the Output panel's terminal. A new
// run replaces the one under way (the server stops it too). Output goes straight to xterm.js;
// the state the panel shows (phase, command, verdict, places in the output) is published to
// subscribers (useSyncExternalStore).
import type { Terminal } from "@xterm/xterm";
import { allLocations, type Location } from "./links";
import { type RunStatus, RunSocket } from "./runSocket";
import type { RunVerdict } from "./runtime";

export type RunPhase = "idle" | "starting" | "compiling" | "running" | "ended";

export interface RunView {
  phase: RunPhase;
  path: string | null;
  command: string | null; // the argv that runs, quoted as for sh
  verdict: RunVerdict | null;
  error: string | null; // the run could not start, or its socket broke
  locations: Location[]; // places in the output, for the list under the panel
}

const IDLE: RunView = { phase: "idle", path: null, command: null, verdict: null, error: null, locations: [] };
const KEPT_TEXT = 256 * 1024; // output text kept for the places list

export interface StartOptions {
  url: string;
  token: string;
  path: string;
  onEnded?(): void;
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

  /** The panel's terminal, or null when it goes away. */
  attach(term: Terminal | null): void {
    this.term = term;
  }

  start(opts: StartOptions): void {
    this.socket?.close();
    this.text = "";
    this.stopping = false;
    this.decoder = new TextDecoder();
    this.term?.reset();
    this.publish({ ...IDLE, phase: "starting", path: opts.path });
    const size = { cols: this.term?.cols ?? 80, rows: this.term?.rows ?? 24 };
    const generation = ++this.generation;
    const mine = () => this.generation === generation;
    const socket = new RunSocket(opts.url, { token: opts.token, path: opts.path, ...size }, {
      onOutput: (data) => {
        if (!mine() || this.stopping) return;
        if (this.term) this.term.write(data, () => mine() && socket.ack(data.length));
        else socket.ack(data.length);
        if (this.text.length < KEPT_TEXT) this.text += this.decoder.decode(data, { stream: true });
      },
      onStatus: (status: RunStatus) => {
        if (!mine()) return;
        if (status.state === "compiling" || status.state === "running") {
          this.publish({ ...this.view, phase: status.state, command: status.command ?? status.argv?.join(" ") ?? null });
        } else if (status.state === "exited") {
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
        this.afterOutput(() => {
          if (mine() && this.view.phase !== "ended") {
            const error = reason || `the run's connection closed (code ${code})`;
            this.publish({ ...this.view, phase: "ended", error, locations: allLocations(this.text) });
          }
          opts.onEnded?.();
        });
      },
    });
    this.socket = socket;
  }

  input(data: string | Uint8Array): void {
    if (this.view.phase === "running") this.socket?.input(data);
  }

  resize(cols: number, rows: number): void {
    this.socket?.resize(cols, rows);
  }

  stop(): void {
    if (!this.socket) return;
    this.stopping = true;
    this.socket.stop();
  }

  /** The page goes away: the run is dropped (the server stops it). */
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
