// The terminal connection's reaction to closes, against a scripted fake WebSocket (the timers
// are Vitest's fake ones, so the backoff delays are stepped, not waited for).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeSocket } from "../testing/fakeSocket";
import { TerminalConnection, type ConnectionState } from "./connection";

function connect(getToken: (fresh: boolean) => Promise<string | null>) {
  const states: [ConnectionState, string][] = [];
  const tokens: boolean[] = [];
  let authLost = 0;
  const conn = new TerminalConnection({
    url: "ws://x/terminal",
    getToken: (fresh) => {
      tokens.push(fresh);
      return getToken(fresh);
    },
    size: () => ({ cols: 80, rows: 24 }),
    onOutput: () => {},
    onStatus: () => {},
    onState: (s, d) => states.push([s, d]),
    onAuthLost: () => (authLost += 1),
    webSocket: FakeSocket as unknown as typeof WebSocket,
  });
  return { conn, states, tokens, authLost: () => authLost };
}

beforeEach(() => {
  FakeSocket.all = [];
  vi.useFakeTimers();
});
afterEach(() => vi.useRealTimers());

describe("a revoked session (close 4001)", () => {
  it("gets one refreshed token, then ends the session instead of reconnecting forever", async () => {
    const c = connect(async (fresh) => (fresh ? "fresh" : "old"));
    c.conn.start();
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.all[0].open();
    FakeSocket.all[0].status("running");
    FakeSocket.all[0].closeWith(4001, "session revoked");
    await vi.advanceTimersByTimeAsync(10_000);
    expect(FakeSocket.all).toHaveLength(2);
    expect(c.tokens).toEqual([false, true]);
    FakeSocket.all[1].open();
    FakeSocket.all[1].closeWith(4001, "session revoked"); // refused again before any answer
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all).toHaveLength(2);
    expect(c.authLost()).toBe(1);
    expect(c.states.at(-1)).toEqual(["closed", "your session has ended"]);
  });

  it("keeps going when the refreshed token is accepted (an expired token, not a revocation)", async () => {
    const c = connect(async () => "t");
    c.conn.start();
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.all[0].open();
    FakeSocket.all[0].closeWith(4001);
    await vi.advanceTimersByTimeAsync(10_000);
    FakeSocket.all[1].open();
    FakeSocket.all[1].status("running"); // accepted
    FakeSocket.all[1].closeWith(4001); // much later, expired again
    await vi.advanceTimersByTimeAsync(10_000);
    expect(FakeSocket.all).toHaveLength(3);
    expect(c.authLost()).toBe(0);
    c.conn.stop();
  });

  it("stops for good when no token can be had (the refresh was refused)", async () => {
    const c = connect(async () => null);
    c.conn.start();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all).toHaveLength(0);
    expect(c.states.at(-1)).toEqual(["closed", "your session has ended"]);
  });

  it("retries while the server cannot be reached for a token", async () => {
    let reachable = false;
    const c = connect(async () => {
      if (!reachable) throw new Error("offline");
      return "t";
    });
    c.conn.start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(c.states.at(-1)?.[0]).toBe("reconnecting");
    reachable = true;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(FakeSocket.all).toHaveLength(1);
    c.conn.stop();
  });
});

describe("a stopped workspace", () => {
  it("closes for good after a 'stopped' status and reconnects when asked", async () => {
    const c = connect(async () => "t");
    c.conn.start();
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.all[0].open();
    FakeSocket.all[0].status("stopped");
    FakeSocket.all[0].closeWith(1001, "the workspace stopped");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all).toHaveLength(1);
    expect(c.states.at(-1)).toEqual(["closed", "the workspace stopped"]);
    c.conn.reconnectNow(); // the pod runs again (TerminalPanel follows the pod state)
    await vi.advanceTimersByTimeAsync(0);
    expect(FakeSocket.all).toHaveLength(2);
    c.conn.stop();
  });
});
