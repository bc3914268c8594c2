// "Watch terminal": the assigned reviewer watches the author's live terminal, read-only, when
// the author shares it (docs/api.md, "Shared terminals"). The server admits the watcher and
// ignores anything it would type; this view sends nothing but the hello and pings. A refusal
// (4004: not shared, or the review is not in review) or the end of sharing (4003) is final and
// shows "not shared", with a button to try again.
import "@xterm/xterm/css/xterm.css";
import { FitAddon } from "@xterm/addon-fit";
import { Terminal } from "@xterm/xterm";
import { useEffect, useRef, useState } from "react";
import type { ApiClient } from "../api/client";
import { TerminalConnection, terminalUrl, type ConnectionState } from "../ide/terminal/connection";

export default function WatchTerminal({ workspaceId, client }: { workspaceId: string; client: ApiClient }) {
  const host = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<ConnectionState>("connecting");
  const [detail, setDetail] = useState("");
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const term = new Terminal({
      disableStdin: true,
      fontFamily: '"DejaVu Sans Mono", "Menlo", "Consolas", monospace',
      fontSize: 13,
      scrollback: 5000,
      theme: { background: "#1e1e1e", foreground: "#d4d4d4" },
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(host.current!);
    try {
      fit.fit();
    } catch {
      // not laid out yet
    }
    const connection = new TerminalConnection({
      url: terminalUrl(window.location, workspaceId),
      getToken: (fresh) => client.accessToken(fresh),
      size: () => ({ cols: term.cols, rows: term.rows }),
      readonly: true,
      onOutput: (data) => term.write(data),
      onTitle: () => term.element?.setAttribute("aria-label", "The author's terminal (read-only)"),
      onStatus: () => {},
      onState: (s, d) => {
        setState(s);
        setDetail(d);
      },
      onAuthLost: () => client.endSession(),
    });
    connection.start();
    return () => {
      connection.stop();
      term.dispose();
    };
  }, [workspaceId, client, attempt]);

  return (
    <div className="terminal-panel watch-terminal">
      {state === "open" && (
        <div className="banner info" role="status" data-testid="watch-state">
          Watching the author's terminal (read-only).
        </div>
      )}
      {(state === "connecting" || state === "reconnecting") && (
        <div className="banner warn" role="status" data-testid="watch-state">
          Connecting to the author's terminal…
        </div>
      )}
      {state === "closed" && (
        <div className="banner info" role="status" data-testid="watch-state">
          Not shared: the author does not share their terminal with you now{detail ? ` (${detail})` : ""}.{" "}
          <button className="link" onClick={() => setAttempt((n) => n + 1)}>
            Try again
          </button>
        </div>
      )}
      <div ref={host} className="xterm-host" data-testid="watch-terminal" />
    </div>
  );
}
