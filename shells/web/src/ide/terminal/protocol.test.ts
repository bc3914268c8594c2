import { describe, expect, it } from "vitest";
import { reconnectDelay } from "../keptSocket";
import { decodeServerFrame, encodeHangUp, encodeHello, encodeInput, encodePing, encodeResize } from "./protocol";
import { finalClose, terminalUrl } from "./connection";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("client frames", () => {
  it("starts with the JSON hello", () => {
    const hello = encodeHello("tok", 120, 40);
    expect(hello.startsWith("{")).toBe(true);
    expect(JSON.parse(hello)).toEqual({ token: "tok", cols: 120, rows: 40 });
    expect(JSON.parse(encodeHello("tok", 80, 24, true))).toEqual({ token: "tok", cols: 80, rows: 24, readonly: true });
    expect(JSON.parse(encodeHello("tok", 80, 24, false, 3))).toEqual({ token: "tok", cols: 80, rows: 24, terminal: 3 });
    expect(Array.from(encodeHangUp())).toEqual([0x33]);
  });
  it("prefixes input with '0' and keeps UTF-8 and raw bytes", () => {
    const frame = encodeInput("ls é\r");
    expect(frame[0]).toBe(0x30);
    expect(text(frame.subarray(1))).toBe("ls é\r");
    const raw = encodeInput(Uint8Array.of(0x1b, 0x5b, 0x41));
    expect(Array.from(raw)).toEqual([0x30, 0x1b, 0x5b, 0x41]);
  });
  it("sends resize as '1' + JSON and ping as '2'", () => {
    const frame = encodeResize(80, 24);
    expect(frame[0]).toBe(0x31);
    expect(JSON.parse(text(frame.subarray(1)))).toEqual({ cols: 80, rows: 24 });
    expect(Array.from(encodePing())).toEqual([0x32]);
  });
});

describe("server frames", () => {
  const enc = (type: string, payload: string) => new TextEncoder().encode(type + payload).buffer;
  it("decodes output, title, pong and status", () => {
    const out = decodeServerFrame(enc("0", "hello\r\n"));
    expect(out?.type).toBe("output");
    expect(out && out.type === "output" && text(out.data)).toBe("hello\r\n");
    expect(decodeServerFrame(enc("1", "bash: ~"))).toEqual({ type: "title", title: "bash: ~" });
    expect(decodeServerFrame(enc("2", ""))).toEqual({ type: "pong" });
    expect(decodeServerFrame(enc("3", '{"state":"running"}'))).toEqual({ type: "status", status: { state: "running" } });
  });
  it("decodes raw type bytes 0..3 the same way", () => {
    const frame = Uint8Array.of(0, 0x68, 0x69);
    const out = decodeServerFrame(frame);
    expect(out?.type).toBe("output");
    expect(decodeServerFrame(Uint8Array.of(2))).toEqual({ type: "pong" });
  });
  it("survives bad input", () => {
    expect(decodeServerFrame(new Uint8Array(0))).toBeNull();
    expect(decodeServerFrame(enc("3", "not json"))).toEqual({ type: "status", status: { message: "not json" } });
    expect(decodeServerFrame(enc("9", "?"))).toEqual({ type: "unknown", code: 0x39 });
    expect(decodeServerFrame('3{"state":"starting"}')).toEqual({ type: "status", status: { state: "starting" } });
  });
});

describe("connection helpers", () => {
  it("backs off from 250 ms to at most 5 s", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 50].map(reconnectDelay)).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });
  it("stops retrying only when the shell exited or the workspace is not there", () => {
    expect(finalClose(1000, "the shell exited")).toBe("the shell exited");
    expect(finalClose(4004, "")).toBe("no such workspace");
    // A watcher of a shared terminal: sharing ended, or it was never shared with them.
    expect(finalClose(4003, "")).toBe("this terminal is not shared with you");
    expect(finalClose(4003, "the author's terminal is not running")).toBe("the author's terminal is not running");
    for (const code of [1001, 1006, 1011, 1013, 4001, 4029]) expect(finalClose(code, "x")).toBeNull();
    expect(finalClose(1001, "the workspace stopped", "stopped")).toBe("the workspace stopped");
    expect(finalClose(1001, "shutting down", "running")).toBeNull();
  });
  it("builds the terminal URL from the page's origin", () => {
    expect(terminalUrl({ protocol: "http:", host: "127.0.0.1:8080" }, "w 1")).toBe(
      "ws://127.0.0.1:8080/api/v1/workspaces/w%201/terminal",
    );
    expect(terminalUrl({ protocol: "https:", host: "yard.example" }, "id")).toBe("wss://yard.example/api/v1/workspaces/id/terminal");
  });
});
