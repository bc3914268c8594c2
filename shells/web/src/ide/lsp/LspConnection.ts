// One language server of a workspace, over the server's WebSocket: the hello with the access
// token, initialize/initialized, then documents opened, changed and closed, diagnostics pushed
// by the server and completion asked by the editor. No reconnect loop of its own: when the
// socket closes the editor keeps working without diagnostics until LanguageServices opens a
// new connection (the next time a document of that language is shown).
import { initializeParams, lspUrl } from "./protocol";

type Pending = { resolve(value: unknown): void; reject(err: Error): void };

export interface LspConnectionOptions {
  workspaceId: string;
  language: string;
  token(): Promise<string | null>;
  onNotification(method: string, params: unknown): void;
  onClose(code: number, reason: string): void;
  location?: { protocol: string; host: string };
}

export class LspConnection {
  private socket: WebSocket | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly ready: Promise<void>;
  private closed = false;

  constructor(private readonly opts: LspConnectionOptions) {
    this.ready = this.open();
  }

  private async open(): Promise<void> {
    const token = await this.opts.token();
    if (this.closed) throw new Error("closed");
    const socket = new WebSocket(lspUrl(this.opts.location ?? window.location, this.opts.workspaceId, this.opts.language));
    this.socket = socket;
    socket.onmessage = (e) => this.receive(String(e.data));
    socket.onclose = (e) => {
      this.closed = true;
      for (const p of this.pending.values()) p.reject(new Error(`language server closed: ${e.reason || e.code}`));
      this.pending.clear();
      this.opts.onClose(e.code, e.reason);
    };
    await new Promise<void>((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onerror = () => reject(new Error("the language server socket failed"));
    });
    socket.send(JSON.stringify({ token }));
    await this.requestNow("initialize", initializeParams());
    this.notifyNow("initialized", {});
  }

  /** Resolves once initialized; rejects if that failed. */
  whenReady(): Promise<void> {
    return this.ready;
  }

  async request<T>(method: string, params: unknown): Promise<T> {
    await this.ready;
    return (await this.requestNow(method, params)) as T;
  }

  async notify(method: string, params: unknown): Promise<void> {
    await this.ready;
    this.notifyNow(method, params);
  }

  close(): void {
    this.closed = true;
    if (this.socket && this.socket.readyState <= 1) this.socket.close(1000, "closed by the page");
  }

  private requestNow(method: string, params: unknown): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ jsonrpc: "2.0", id, method, params });
    });
  }

  private notifyNow(method: string, params: unknown): void {
    this.send({ jsonrpc: "2.0", method, params });
  }

  private send(message: object): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private receive(text: string): void {
    let message: { id?: number | string; method?: string; params?: unknown; result?: unknown; error?: { message: string } };
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message.method !== undefined && message.id !== undefined) {
      // A request from the server (workspace/configuration, window/workDoneProgress/create):
      // answered with nothing, which servers take as "no settings".
      this.send({ jsonrpc: "2.0", id: message.id, result: null });
      return;
    }
    if (message.method !== undefined) {
      this.opts.onNotification(message.method, message.params);
      return;
    }
    if (typeof message.id === "number") {
      const p = this.pending.get(message.id);
      if (!p) return;
      this.pending.delete(message.id);
      if (message.error) p.reject(new Error(message.error.message));
      else p.resolve(message.result);
    }
  }
}
