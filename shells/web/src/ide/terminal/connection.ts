// One terminal's WebSocket, kept open: it sends the hello with a fresh access token, pings
// every 15 s, and when the socket drops (server restart, network, idle timeout) it reconnects
// with a growing delay (0.25 s doubling to 5 s) until stop(). The server keeps the shell and
// replays its scrollback, so a reconnect continues the same session. A close that says the
// token was refused or the session revoked (4001) gets one attempt with a refreshed token; a
// second 4001 before the server answered, or no token at all, means the login is over: the
// connection stops for good and onAuthLost sends the person to log in (never a reconnect
// loop against a revoked session). Three closes are final
// (no retry until reconnectNow): 1000, the shell exited (a reconnect would start a new one),
// 4004, no such workspace, and 1001 after a "stopped" status, the workspace stopped (a
// reconnect would start its pod again) (docs/api.md, "Close codes").
import { KeptSocket } from "../keptSocket";
import {
  decodeServerFrame,
  encodeHangUp,
  encodeHello,
  encodeInput,
  encodePing,
  encodeResize,
  type TerminalStatus,
} from "./protocol";

export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed";

export interface ConnectionEvents {
  onOutput(data: Uint8Array): void;
  onStatus(status: TerminalStatus): void;
  onTitle?(title: string): void;
  onState(state: ConnectionState, detail: string): void;
  /** The session was revoked (a second 4001): the person must log in again. */
  onAuthLost?(): void;
}

export interface ConnectionOptions extends ConnectionEvents {
  url: string;
  /** The access token for the hello; `fresh` asks for a refreshed one. Null: cannot connect. */
  getToken(fresh: boolean): Promise<string | null>;
  size(): { cols: number; rows: number };
  /** Ask for a read-only viewer (a reviewer watching a shared terminal always is one). */
  readonly?: boolean;
  /** Which of the workspace's shells (the terminal tabs): 1 unless given. */
  terminal?: number;
  webSocket?: typeof WebSocket;
}

const PING_MS = 15_000;
const SILENCE_MS = 40_000;
const AUTH_CLOSE_CODES = new Set([4001]);

/**
 * Why a close is final, or null when reconnecting may help. `lastState` is the state of the
 * last status frame: a 1001 after {"state":"stopped"} means the workspace stopped (idle stop,
 * /stop), and reconnecting would start it again behind the person's back.
 */
export function finalClose(code: number, reason: string, lastState?: string): string | null {
  if (code === 1000) return reason || "the shell exited";
  if (code === 4004) return reason || "no such workspace";
  // A watcher of a shared terminal: sharing ended, or the author's shell is not running.
  if (code === 4003) return reason || "this terminal is not shared with you";
  if (code === 1001 && lastState === "stopped") return reason || "the workspace stopped";
  return null;
}

/** ws:// or wss:// URL of a workspace's terminal, relative to the page's origin. */
export function terminalUrl(location: { protocol: string; host: string }, workspaceId: string): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/api/v1/workspaces/${encodeURIComponent(workspaceId)}/terminal`;
}

export class TerminalConnection extends KeptSocket {
  private readonly opts: ConnectionOptions;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private lastHeard = 0;
  private openAnnounced = false; // the server has answered on this socket
  private lastState: string | undefined; // of the last status frame on this socket
  private authRetried = false; // a 4001 was answered with a refreshed token, not yet accepted

  constructor(options: ConnectionOptions) {
    super();
    this.opts = options;
  }

  override stop(): void {
    this.clearPing();
    super.stop();
    this.opts.onState("closed", "");
  }

  /** Reconnects now: after a long outage, or to start a new shell after one exited. */
  reconnectNow(): void {
    if (this.stopped || this.socket) return;
    this.cancelRetry();
    this.attempt = 0;
    void this.connect();
  }

  get isOpen(): boolean {
    return this.socket?.readyState === 1;
  }

  sendInput(data: string | Uint8Array): void {
    if (this.isOpen) this.socket!.send(encodeInput(data));
  }

  /** Ends the shell (its tab closed); true when the socket was open to say so. */
  hangUp(): boolean {
    if (!this.isOpen) return false;
    this.socket!.send(encodeHangUp());
    return true;
  }

  resize(cols: number, rows: number): void {
    if (this.isOpen) this.socket!.send(encodeResize(cols, rows));
  }

  protected async connect(): Promise<void> {
    if (this.stopped) return;
    this.opts.onState(this.attempt === 0 ? "connecting" : "reconnecting", "");
    let token: string | null = null;
    let tokenFailed = false;
    try {
      token = await this.opts.getToken(this.freshToken);
    } catch {
      tokenFailed = true; // the server is unreachable: retry later
    }
    if (this.stopped) return;
    if (token === null && !tokenFailed) {
      this.endForAuth(); // the client has already sent the person to log in
      return;
    }
    if (!token) {
      this.scheduleRetry("cannot reach the server for a token");
      return;
    }
    this.freshToken = false;
    const WS = this.opts.webSocket ?? WebSocket;
    let socket: WebSocket;
    try {
      socket = new WS(this.opts.url);
    } catch (err) {
      this.scheduleRetry(err instanceof Error ? err.message : String(err));
      return;
    }
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    socket.onopen = () => {
      const { cols, rows } = this.opts.size();
      socket.send(encodeHello(token!, cols, rows, this.opts.readonly ?? false, this.opts.terminal ?? 1));
      this.lastHeard = Date.now();
      this.startPing(socket);
    };
    socket.onmessage = (event: MessageEvent) => {
      this.lastHeard = Date.now();
      const frame = decodeServerFrame(event.data as ArrayBuffer | string);
      if (!frame) return;
      if (frame.type === "output") {
        this.announceOpen();
        this.opts.onOutput(frame.data);
      } else if (frame.type === "status") {
        this.announceOpen();
        this.lastState = typeof frame.status.state === "string" ? frame.status.state : this.lastState;
        this.opts.onStatus(frame.status);
      } else if (frame.type === "title") {
        this.opts.onTitle?.(frame.title);
      } else if (frame.type === "pong") {
        this.announceOpen();
      }
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.socket !== socket) return;
      this.socket = null;
      const wasOpen = this.openAnnounced;
      this.openAnnounced = false;
      this.clearPing();
      if (AUTH_CLOSE_CODES.has(event.code)) {
        if (this.authRetried && !wasOpen) {
          this.endForAuth();
          this.opts.onAuthLost?.();
          return;
        }
        this.authRetried = true;
        this.freshToken = true;
      }
      const final = finalClose(event.code, event.reason, this.lastState);
      this.lastState = undefined;
      if (final !== null && !this.stopped) {
        this.attempt = 0;
        this.opts.onState("closed", final);
        return;
      }
      const why = event.reason ? `${event.code} ${event.reason}` : `code ${event.code}`;
      this.scheduleRetry(`disconnected (${why})`);
    };
    socket.onerror = () => {
      // onclose follows with the details
    };
  }

  private endForAuth(): void {
    this.stopped = true;
    this.lastState = undefined;
    this.opts.onState("closed", "your session has ended");
  }

  private announceOpen(): void {
    if (this.openAnnounced) return;
    this.openAnnounced = true;
    this.authRetried = false;
    this.attempt = 0;
    this.opts.onState("open", "");
  }

  private scheduleRetry(detail: string): void {
    if (this.retryLater()) this.opts.onState("reconnecting", detail);
  }

  private startPing(socket: WebSocket): void {
    this.clearPing();
    socket.send(encodePing());
    this.pingTimer = setInterval(() => {
      if (socket.readyState !== 1) return;
      if (Date.now() - this.lastHeard > SILENCE_MS) {
        socket.close(4000, "no answer to pings");
        return;
      }
      socket.send(encodePing());
    }, PING_MS);
  }

  private clearPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }
}
