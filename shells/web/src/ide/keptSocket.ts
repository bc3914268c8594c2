// What the IDE's kept-open WebSockets (the terminal connection, the events channel) share:
// start and stop, and reconnects with a growing delay (0.25 s doubling to 5 s) until stop().
// Each subclass opens its socket in connect(), resets `attempt` once the server has answered
// and decides which closes are retried and when a refreshed token is asked for.

/** The delay before reconnect attempt `attempt` (0-based): 250 ms doubling, at most 5 s. */
export function reconnectDelay(attempt: number): number {
  return Math.min(5000, 250 * 2 ** Math.min(attempt, 10));
}

export abstract class KeptSocket {
  protected socket: WebSocket | null = null;
  protected attempt = 0; // reconnects since the server last answered
  protected stopped = false;
  protected freshToken = false; // the next hello asks for a refreshed token
  private retryTimer: ReturnType<typeof setTimeout> | null = null;

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.cancelRetry();
    const s = this.socket;
    this.socket = null;
    if (s && s.readyState <= 1) s.close(1000, "closed by the page");
  }

  /** Gets a token and opens the socket; on failure calls retryLater. */
  protected abstract connect(): Promise<void>;

  /** Connects again after the next delay. False (nothing scheduled) once stopped. */
  protected retryLater(): boolean {
    if (this.stopped) return false;
    const delay = reconnectDelay(this.attempt);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, delay);
    return true;
  }

  protected cancelRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}
