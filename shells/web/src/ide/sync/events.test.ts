// The events channel against a scripted fake WebSocket (fake timers step the backoff), and
// the tree after each kind of file event.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { FileInfo } from "../../api/types";
import { FakeSocket } from "../testing/fakeSocket";
import { applyFileEvent, EventChannel, type ServerEvent } from "./events";

function channel() {
  const seen: ServerEvent[] = [];
  const connected: boolean[] = [];
  const tokens: boolean[] = [];
  let resets = 0;
  const ch = new EventChannel({
    url: "ws://x/api/v1/events",
    getToken: async (fresh) => {
      tokens.push(fresh);
      return "tok";
    },
    onEvent: (e) => seen.push(e),
    onConnected: (c) => connected.push(c),
    onReset: () => (resets += 1),
    webSocket: FakeSocket as unknown as typeof WebSocket,
  });
  return { ch, seen, connected, tokens, resets: () => resets };
}

const flush = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  FakeSocket.all = [];
  vi.useFakeTimers();
});
afterEach(() => vi.useRealTimers());

describe("the events channel", () => {
  it("says hello, reloads once when live, and resumes after the last event", async () => {
    const c = channel();
    c.ch.start();
    await flush();
    const first = FakeSocket.all[0];
    expect(first.url).toBe("ws://x/api/v1/events");
    first.open();
    expect(first.sent).toEqual([JSON.stringify({ token: "tok" })]);
    first.message({ type: "ready", id: 7 });
    expect(c.connected).toEqual([true]);
    expect(c.resets()).toBe(1);
    first.message({ id: 9, type: "file.created", workspace_id: "w", at: 1, path: "a" });
    first.message({ id: 8, type: "file.created", workspace_id: "w", at: 1, path: "b" });
    expect(c.seen.map((e) => e.path)).toEqual(["a", "b"]);

    first.closeWith(1006);
    expect(c.connected).toEqual([true, false]);
    await vi.advanceTimersByTimeAsync(250);
    const second = FakeSocket.all[1];
    // The last event received, not the largest id: delivery order is commit order.
    expect(second.url).toBe("ws://x/api/v1/events?after=8");
    second.open();
    second.message({ type: "ready", id: 8 });
    expect(c.resets()).toBe(1); // resumed: nothing to reload
    c.ch.stop();
  });

  it("resumes from the ready id when no event came", async () => {
    const c = channel();
    c.ch.start();
    await flush();
    FakeSocket.all[0].open();
    FakeSocket.all[0].message({ type: "ready", id: 42 });
    FakeSocket.all[0].closeWith(1001);
    await vi.advanceTimersByTimeAsync(250);
    expect(FakeSocket.all[1].url).toBe("ws://x/api/v1/events?after=42");
    c.ch.stop();
  });

  it("subscribes live and reloads when the after event is no longer kept (4010)", async () => {
    const c = channel();
    c.ch.start();
    await flush();
    FakeSocket.all[0].open();
    FakeSocket.all[0].message({ type: "ready", id: 5 });
    FakeSocket.all[0].closeWith(4010, "events: event 5 is not kept");
    await vi.advanceTimersByTimeAsync(250);
    expect(FakeSocket.all[1].url).toBe("ws://x/api/v1/events");
    FakeSocket.all[1].open();
    FakeSocket.all[1].message({ type: "ready", id: 90 });
    expect(c.resets()).toBe(2);
    c.ch.stop();
  });

  it("asks for a fresh token after a 4001", async () => {
    const c = channel();
    c.ch.start();
    await flush();
    FakeSocket.all[0].open();
    FakeSocket.all[0].closeWith(4001, "session revoked or expired");
    await vi.advanceTimersByTimeAsync(250);
    expect(c.tokens).toEqual([false, true]);
    c.ch.stop();
  });
});

const file = (path: string, version = 1): FileInfo => ({ path, kind: "file", size: 1, version, mtime: 1 });
const dir = (path: string): FileInfo => ({ path, kind: "dir", size: 0, version: 1, mtime: 1 });
const ev = (type: string, fields: Partial<ServerEvent>): ServerEvent => ({ id: 1, type, workspace_id: "w", at: 5, ...fields });

describe("the tree after a file event", () => {
  it("adds a created file with the folders on its way", () => {
    const tree = applyFileEvent([file("z.txt")], ev("file.created", { path: "a/b/c.py", kind: "file", size: 3, version: 1, mtime: 4 }));
    expect(tree.map((i) => [i.path, i.kind])).toEqual([
      ["a", "dir"],
      ["a/b", "dir"],
      ["a/b/c.py", "file"],
      ["z.txt", "file"],
    ]);
  });

  it("replaces a changed file's version and size", () => {
    const tree = applyFileEvent([file("a.txt")], ev("file.changed", { path: "a.txt", kind: "file", size: 9, version: 2, mtime: 4 }));
    expect(tree).toEqual([{ path: "a.txt", kind: "file", size: 9, version: 2, mtime: 4 }]);
  });

  it("removes a deleted folder with what it holds, and nothing else", () => {
    const tree = applyFileEvent([dir("src"), file("src/a"), file("srcx")], ev("file.deleted", { path: "src" }));
    expect(tree.map((i) => i.path)).toEqual(["srcx"]);
  });

  it("moves a folder with what it holds", () => {
    const tree = applyFileEvent([dir("src"), file("src/a"), file("b")], ev("file.moved", { from: "src", to: "lib/src" }));
    expect(tree.map((i) => i.path)).toEqual(["b", "lib", "lib/src", "lib/src/a"]);
  });

  it("leaves the tree alone for other events", () => {
    const items = [file("a")];
    expect(applyFileEvent(items, ev("workspace.state", { state: "running" }))).toBe(items);
  });
});
