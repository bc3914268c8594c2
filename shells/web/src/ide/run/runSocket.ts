// One run's WebSocket (/api/v1/workspaces/{id}/run; docs/api.md, "Run WebSocket"): the hello
// names the file, the server picks what runs from its language table, and the socket lives as
// long as the run. The framing is the terminal's (a type byte, then the payload): the client
// sends '0' input, '1' resize, '2' ping, '3' stop and '4' acks of output shown (so that at
// most a window of output is on its way: a Stop is not stuck behind it); the server sends '0'
// output and '3' status JSON ({"state":"compiling"|"running","argv","command"}, then
// {"state":"exited","verdict",...}); the first status carries the run's "run_id", which the page
// chose and sent in its hello (a UUID), so it can reconnect before any status came. A run whose
// socket dropped goes on for the server's run.reconnect_grace_s: a new socket whose hello is
// {"token","run_id","seen"} takes it over and gets the messages past the first `seen` (0 after a
// reload: all the server kept), then live output. Input typed before the socket is open waits
// here (at most EARLY_BYTES); the server keeps what comes while the program compiles.
import { decodeServerFrame, encodeInput, encodePing, encodeResize } from "../terminal/protocol";

export interface RunStatus {
  state?: "compiling" | "running" | "exited" | string;
  argv?: string[];
  command?: string;
  [key: string]: unknown;
}

export interface RunSocketEvents {
  onOutput(data: Uint8Array): void;
  onStatus(status: RunStatus): void;
  /** The socket closed: `code` and `reason` as the server sent them. */
  onClose(code: number, reason: string): void;
}

/** ws:// or wss:// URL of a workspace's run socket, relative to the page's origin. */
export function runUrl(location: { protocol: string; host: string }, workspaceId: string): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/api/v1/workspaces/${encodeURIComponent(workspaceId)}/run`;
}

export interface RunHello {
  token: string;
  path?: string; // a new run of this file (run_id: the id the page chose for it)
  run_id?: string; // without a path: a reconnect to this run
  seen?: number;
  cols: number;
  rows: number;
}

const STOP = Uint8Array.of(0x33);
const EARLY_BYTES = 64 * 1024; // typed before the socket opened
const PING_MS = 15_000;

export class RunSocket {
  private readonly socket: WebSocket;
  private closed = false;
  private ping: ReturnType<typeof setInterval> | null = null;
  private early: Uint8Array[] = [];
  private earlyBytes = 0;
  /** Output and status messages received: what a reconnect says it has seen. */
  messages = 0;

  constructor(url: string, hello: RunHello, events: RunSocketEvents) {
    const socket = new WebSocket(url);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    this.messages = hello.seen ?? 0;
    socket.onopen = () => {
      socket.send(JSON.stringify(hello));
      for (const m of this.early) socket.send(m);
      this.early = [];
      this.ping = setInterval(() => socket.readyState === 1 && socket.send(encodePing()), PING_MS);
    };
    socket.onmessage = (event: MessageEvent) => {
      const frame = decodeServerFrame(event.data as ArrayBuffer | string);
      if (frame?.type === "output") {
        this.messages += 1;
        events.onOutput(frame.data);
      } else if (frame?.type === "status") {
        this.messages += 1;
        events.onStatus(frame.status as RunStatus);
      }
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.ping) clearInterval(this.ping);
      if (this.closed) return;
      this.closed = true;
      events.onClose(event.code, event.reason);
    };
  }

  input(data: string | Uint8Array): void {
    const frame = encodeInput(data);
    if (this.socket.readyState === 1) this.socket.send(frame);
    else if (this.socket.readyState === 0 && this.earlyBytes + frame.length <= EARLY_BYTES) {
      this.early.push(frame);
      this.earlyBytes += frame.length;
    }
  }

  resize(cols: number, rows: number): void {
    if (this.socket.readyState === 1) this.socket.send(encodeResize(cols, rows));
  }

  /** `bytes` more output are on screen: the server sends at most a window ahead of them. */
  ack(bytes: number): void {
    if (this.socket.readyState === 1) this.socket.send(`4${bytes}`);
  }

  /** Ends the program now (the server kills its whole process group). */
  stop(): void {
    if (this.socket.readyState === 1) this.socket.send(STOP);
    else this.close();
  }

  /** Drops the socket without waiting for the verdict (the server stops the run). */
  close(): void {
    if (this.socket.readyState <= 1) this.socket.close(1000, "closed by the page");
  }
}
