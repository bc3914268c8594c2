// A scripted fake WebSocket for the tests of the IDE's kept-open channels (the terminal
// connection and the events channel): every socket made is kept in FakeSocket.all (empty it
// before each test), and the test plays the server: open(), a message, a close.
export class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  binaryType = "";
  sent: unknown[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: unknown) {
    this.sent.push(data);
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  /** A text message holding `doc` as JSON (the events channel's). */
  message(doc: object) {
    this.onmessage?.({ data: JSON.stringify(doc) });
  }
  /** A terminal status frame: "3" and {"state": state}, binary. */
  status(state: string) {
    this.onmessage?.({ data: new TextEncoder().encode("3" + JSON.stringify({ state })).buffer });
  }
  closeWith(code: number, reason = "") {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}
