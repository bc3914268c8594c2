// The page's channel of pushed changes (GET /api/v1/events, docs/api.md "Events"): one
// WebSocket per page, opened with the same hello as the terminal's, kept open with
// reconnects (0.25 s doubling to 5 s) that resume with ?after=<the last event id>, so no
// change is missed or repeated across a server restart or a network drop. While it is not
// connected the IDE falls back to a slow poll of the tree. Two closes change course: 4010
// (the `after` event is no longer kept) resubscribes live and asks the page to reload what it
// shows (onReset); 4001 (token refused) retries once with a refreshed token.
import type { FileInfo, ItemKind } from "../../api/types";
import { KeptSocket } from "../keptSocket";
import { isInside } from "../tree/paths";

/** One event as the server sends it. */
export interface ServerEvent {
  id: number;
  type: string;
  workspace_id: string;
  at: number;
  path?: string;
  kind?: ItemKind;
  size?: number;
  version?: number;
  mtime?: number;
  from?: string;
  to?: string;
  state?: string;
}

export interface EventChannelOptions {
  url: string;
  /** The access token for the hello; `fresh` asks for a refreshed one. Null: cannot connect. */
  getToken(fresh: boolean): Promise<string | null>;
  onEvent(event: ServerEvent): void;
  /** Connected (subscribed, live) or not; while not, the page polls. */
  onConnected(connected: boolean): void;
  /** Events may have been missed (a fresh subscription): reload what the page shows. */
  onReset(): void;
  webSocket?: typeof WebSocket;
}

/** ws:// or wss:// URL of the events channel, relative to the page's origin. */
export function eventsUrl(location: { protocol: string; host: string }): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/api/v1/events`;
}

export class EventChannel extends KeptSocket {
  private readonly opts: EventChannelOptions;
  private after: number | null = null; // the last event id seen (or the ready id)

  constructor(options: EventChannelOptions) {
    super();
    this.opts = options;
  }

  protected async connect(): Promise<void> {
    if (this.stopped) return;
    let token: string | null = null;
    try {
      token = await this.opts.getToken(this.freshToken);
    } catch {
      token = null;
    }
    if (this.stopped) return;
    if (!token) {
      this.retryLater();
      return;
    }
    this.freshToken = false;
    const WS = this.opts.webSocket ?? WebSocket;
    const url = this.after === null ? this.opts.url : `${this.opts.url}?after=${this.after}`;
    const resumed = this.after !== null;
    let socket: WebSocket;
    try {
      socket = new WS(url);
    } catch {
      this.retryLater();
      return;
    }
    this.socket = socket;
    socket.onopen = () => socket.send(JSON.stringify({ token }));
    socket.onmessage = (message: MessageEvent) => {
      if (typeof message.data !== "string") return;
      let doc: ServerEvent;
      try {
        doc = JSON.parse(message.data) as ServerEvent;
      } catch {
        return;
      }
      if (doc.type === "ready") {
        this.attempt = 0;
        if (this.after === null) this.after = doc.id;
        this.opts.onConnected(true);
        // A live subscription starts now: what changed before it is read again.
        if (!resumed) this.opts.onReset();
        return;
      }
      this.after = doc.id;
      this.opts.onEvent(doc);
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.opts.onConnected(false);
      if (event.code === 4010) this.after = null; // not kept: a live subscription and a reload
      if (event.code === 4001) this.freshToken = true;
      this.retryLater();
    };
    socket.onerror = () => {
      // onclose follows
    };
  }
}

/** The tree after one file event of its workspace (other events leave it as it is). */
export function applyFileEvent(items: FileInfo[], event: ServerEvent): FileInfo[] {
  switch (event.type) {
    case "file.created":
    case "file.changed": {
      if (!event.path) return items;
      const info: FileInfo = {
        path: event.path,
        kind: event.kind ?? "file",
        size: event.size ?? 0,
        version: event.version ?? 1,
        mtime: event.mtime ?? event.at,
      };
      const byPath = new Map(items.map((i) => [i.path, i]));
      // Folders made on the way (a write creates missing parents) have no event of their own.
      for (let slash = info.path.indexOf("/"); slash > 0; slash = info.path.indexOf("/", slash + 1)) {
        const dir = info.path.slice(0, slash);
        if (!byPath.has(dir)) byPath.set(dir, { path: dir, kind: "dir", size: 0, version: 1, mtime: info.mtime });
      }
      byPath.set(info.path, info);
      return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    }
    case "file.deleted":
      return event.path ? items.filter((i) => !isInside(i.path, event.path!)) : items;
    case "file.moved": {
      const { from, to } = event;
      if (!from || !to) return items;
      const moved = items.map((i) => (isInside(i.path, from) ? { ...i, path: to + i.path.slice(from.length) } : i));
      const byPath = new Map(moved.map((i) => [i.path, i]));
      for (let slash = to.indexOf("/"); slash > 0; slash = to.indexOf("/", slash + 1)) {
        const dir = to.slice(0, slash);
        if (!byPath.has(dir)) byPath.set(dir, { path: dir, kind: "dir", size: 0, version: 1, mtime: event.at });
      }
      return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    }
    default:
      return items;
  }
}
