// The workspace's shell in xterm.js. The fit addon sizes the terminal to its panel whenever the
// panel changes size (a ResizeObserver), and the new size goes to the server as a resize frame.
// While the socket is down a banner says so and the connection retries by itself; while the
// pod starts, the panel says that too. The terminal follows the pod: once the workspace
// stopped it does not reconnect by itself (that would start the pod again), but when the pod
// runs again (F5, a start in another tab, anything that starts it) it reconnects.
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
  client: ApiClient;
  podState: string;
  onConnection(state: ConnectionState): void;
  onStatus(status: TerminalStatus): void;
}

export default function TerminalPanel({ workspaceId, client, podState, onConnection, onStatus }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const connRef = useRef<TerminalConnection | null>(null);
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
      term.dispose();
    };
  }, [workspaceId, client]);

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
      <div ref={host} className="xterm-host" data-testid="terminal" />
    </div>
  );
}
