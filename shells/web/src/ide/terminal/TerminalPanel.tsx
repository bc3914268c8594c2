// The workspace's shell in xterm.js. The fit addon sizes the terminal to its panel whenever the
// panel changes size (a ResizeObserver), and the new size goes to the server as a resize frame.
// While the socket is down a banner says so and the connection retries by itself; while the
// pod starts, the panel says that too. The terminal follows the pod: once the workspace
// stopped it does not reconnect by itself (that would start the pod again), but when the pod
// runs again (F5, a start in another tab, anything that starts it) it reconnects.
// Ctrl+V and Ctrl+Shift+V paste (xterm.js alone would send ^V): the key is left to the
// browser, whose paste event xterm.js turns into input (bracketed when the shell asks).
// `terminal` picks which of the workspace's shells (TerminalTabs); `hangUp` is set to a function
// that ends this one (its tab closes).
import "@xterm/xterm/css/xterm.css";
import { FitAddon } from "@xterm/addon-fit";
import { Terminal } from "@xterm/xterm";
import { useEffect, useRef, useState } from "react";
import { followSettings } from "../../settings/apply";
import type { ApiClient } from "../../api/client";
import { TerminalConnection, terminalUrl, type ConnectionState } from "./connection";
import type { TerminalStatus } from "./protocol";

interface Props {
  workspaceId: string;
  terminal?: number;
  /** Shown (its tab selected): refits when it becomes visible. */
  active?: boolean;
  hangUp?: { current: (() => boolean) | null };
  client: ApiClient;
  podState: string;
  onConnection(state: ConnectionState): void;
  onStatus(status: TerminalStatus): void;
}

/** Keys xterm.js must leave to the browser: Ctrl+V and Ctrl+Shift+V, so that they paste. */
export function isPasteKey(e: { type: string; key: string; ctrlKey: boolean; altKey: boolean; metaKey: boolean }): boolean {
  return e.ctrlKey && !e.altKey && !e.metaKey && e.key.toLowerCase() === "v";
}

export default function TerminalPanel({ workspaceId, terminal = 1, active = true, hangUp, client, podState, onConnection, onStatus }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const connRef = useRef<TerminalConnection | null>(null);
  const fitRef = useRef<(() => void) | null>(null);
  const [state, setState] = useState<ConnectionState>("connecting");
  const [detail, setDetail] = useState("");
  const [exited, setExited] = useState<string | null>(null);
  const [podStopped, setPodStopped] = useState(false); // closed because the workspace stopped
  const callbacks = useRef({ onConnection, onStatus });
  callbacks.current = { onConnection, onStatus };

  useEffect(() => {
    const term = new Terminal({
      cursorBlink: true,
      fontFamily: '"DejaVu Sans Mono", "Menlo", "Consolas", monospace',
      fontSize: 13,
      scrollback: 5000,
      theme: { background: "#1e1e1e", foreground: "#d4d4d4" },
      screenReaderMode: false,
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(host.current!);
    // false: xterm.js neither handles the key nor cancels it, so the browser pastes.
    term.attachCustomKeyEventHandler((e) => !isPasteKey(e));
    const safeFit = () => {
      try {
        if (host.current && host.current.clientWidth > 0 && host.current.clientHeight > 0) fit.fit();
      } catch {
        // not laid out yet
      }
    };
    safeFit();
    const unfollowSettings = followSettings(term, safeFit); // ide17: theme and font size

    const connection = new TerminalConnection({
      url: terminalUrl(window.location, workspaceId),
      terminal,
      getToken: (fresh) => client.accessToken(fresh),
      size: () => ({ cols: term.cols, rows: term.rows }),
      onOutput: (data) => term.write(data),
      onTitle: (title) => term.element?.setAttribute("aria-label", `Terminal: ${title}`),
      onStatus: (status) => {
        if (status.state === "exited") {
          const how = typeof status.signal === "number" ? `signal ${status.signal}` : `code ${status.exit_code ?? "?"}`;
          setExited(`The shell exited (${how}).`);
        } else if (status.state === "stopped") {
          setExited("The workspace stopped (it was idle, or stopped elsewhere).");
          setPodStopped(true);
        } else if (status.state === "running") {
          setExited(null);
          setPodStopped(false);
        }
        callbacks.current.onStatus(status);
      },
      onState: (s, d) => {
        setState(s);
        setDetail(d);
        if (s !== "closed") setPodStopped(false);
        callbacks.current.onConnection(s);
      },
      onAuthLost: () => client.endSession(),
    });
    connRef.current = connection;
    fitRef.current = safeFit;
    if (hangUp) hangUp.current = () => connection.hangUp();
    const input = term.onData((data) => connection.sendInput(data));
    const binary = term.onBinary((data) => connection.sendInput(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)));
    const resize = term.onResize(({ cols, rows }) => connection.resize(cols, rows));
    const observer = new ResizeObserver(() => safeFit());
    observer.observe(host.current!);
    connection.start();
    return () => {
      observer.disconnect();
      input.dispose();
      binary.dispose();
      resize.dispose();
      connection.stop();
      connRef.current = null;
      unfollowSettings();
      fitRef.current = null;
      if (hangUp) hangUp.current = null;
      term.dispose();
    };
  }, [workspaceId, client, terminal, hangUp]);

  // A hidden panel has no size: fit once it is shown again.
  useEffect(() => {
    if (active) fitRef.current?.();
  }, [active]);

  // The pod runs again after the terminal closed because it stopped: follow it.
  const followPod = state === "closed" && podStopped && podState === "running";
  useEffect(() => {
    if (followPod) connRef.current?.reconnectNow();
  }, [followPod]);

  return (
    <div className="terminal-panel">
      {podState === "starting" && (
        <div className="banner info" role="status">
          Starting the workspace…
        </div>
      )}
      {(state === "connecting" || state === "reconnecting") && (
        <div className="banner warn" role="status" data-testid="terminal-banner">
          {state === "connecting" ? "Connecting to the terminal…" : "Terminal disconnected — reconnecting…"}
          {detail && <span className="muted"> ({detail})</span>}
          {state === "reconnecting" && (
            <button className="link" onClick={() => connRef.current?.reconnectNow()}>
              Reconnect now
            </button>
          )}
        </div>
      )}
      {state === "closed" && detail && (
        <div className="banner info" role="status" data-testid="terminal-closed">
          {exited ?? `The terminal closed: ${detail}.`}
          <button className="link" onClick={() => connRef.current?.reconnectNow()}>
            {exited?.startsWith("The workspace stopped") ? "Start it again" : exited ? "Start a new shell" : "Try again"}
          </button>
        </div>
      )}
      <div ref={host} className="xterm-host" data-testid={active ? "terminal" : "terminal-hidden"} />
    </div>
  );
}
