// The terminal WebSocket's framing (DESIGN.md, "Terminal protocol"; ttyd-like). Every frame is
// binary and its first byte says what it is. Client to server: '0' input bytes, '1' resize JSON
// {"cols","rows"}, '2' ping; the very first message is the JSON hello
// {"token","cols","rows"} (it starts with '{'). Server to client: '0' output bytes, '1' title,
// '2' pong, '3' status JSON (pod state, exit). The type bytes are the ASCII digits, as in ttyd.

// '3' from the client hangs the shell up (SIGHUP): its terminal tab was closed.
export const ClientType = { Input: 0x30, Resize: 0x31, Ping: 0x32, HangUp: 0x33 } as const;
export const ServerType = { Output: 0x30, Title: 0x31, Pong: 0x32, Status: 0x33 } as const;

// {"state":"starting"} after the hello, {"state":"running","readonly","viewers"} once attached,
// {"state":"exited","exit_code"} (or "signal") when the shell ends (docs/api.md).
export interface TerminalStatus {
  state?: "starting" | "running" | "exited" | string;
  exit_code?: number;
  signal?: number;
  readonly?: boolean;
  viewers?: number;
  message?: string;
  [key: string]: unknown;
}

export type ServerFrame =
  | { type: "output"; data: Uint8Array }
  | { type: "title"; title: string }
  | { type: "pong" }
  | { type: "status"; status: TerminalStatus }
  | { type: "unknown"; code: number };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function frame(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 1);
  out[0] = type;
  out.set(payload, 1);
  return out;
}

/**
 * The first message: authenticates and sets the initial size. `terminal` picks one of the
 * workspace's shells (1, the default, is the one every older client uses).
 */
export function encodeHello(token: string, cols: number, rows: number, readonly = false, terminal = 1): string {
  const hello: Record<string, unknown> = { token, cols, rows };
  if (readonly) hello.readonly = true;
  if (terminal !== 1) hello.terminal = terminal;
  return JSON.stringify(hello);
}

export function encodeHangUp(): Uint8Array {
  return Uint8Array.of(ClientType.HangUp);
}

export function encodeInput(data: string | Uint8Array): Uint8Array {
  return frame(ClientType.Input, typeof data === "string" ? encoder.encode(data) : data);
}

export function encodeResize(cols: number, rows: number): Uint8Array {
  return frame(ClientType.Resize, encoder.encode(JSON.stringify({ cols, rows })));
}

export function encodePing(): Uint8Array {
  return Uint8Array.of(ClientType.Ping);
}

/** Decodes one server message (binary, or text as sent by some servers for status). */
export function decodeServerFrame(message: ArrayBuffer | Uint8Array | string): ServerFrame | null {
  const bytes =
    typeof message === "string"
      ? encoder.encode(message)
      : message instanceof Uint8Array
        ? message
        : new Uint8Array(message);
  if (bytes.length === 0) return null;
  const payload = bytes.subarray(1);
  // Also accept raw 0..3 type bytes, so either spelling of the protocol decodes.
  const code = bytes[0] <= 3 ? bytes[0] + ServerType.Output : bytes[0];
  switch (code) {
    case ServerType.Output:
      return { type: "output", data: payload };
    case ServerType.Title:
      return { type: "title", title: decoder.decode(payload) };
    case ServerType.Pong:
      return { type: "pong" };
    case ServerType.Status: {
      try {
        const status = JSON.parse(decoder.decode(payload)) as TerminalStatus;
        return { type: "status", status: status && typeof status === "object" ? status : {} };
      } catch {
        return { type: "status", status: { message: decoder.decode(payload) } };
      }
    }
    default:
      return { type: "unknown", code: bytes[0] };
  }
}
