// The line at the bottom of the IDE: the workspace's pod state, the connection to the server
// and to the terminal, whether everything is saved, and whether autosave is on.
import type { ConnectionState } from "../terminal/connection";

interface Props {
  podState: string;
  online: boolean;
  terminal: ConnectionState;
  save: string;
  autosave: boolean;
  language: string | null;
}

const TERMINAL_TEXT: Record<ConnectionState, string> = {
  connecting: "Terminal: connecting…",
  open: "Terminal: connected",
  reconnecting: "Terminal: reconnecting…",
  closed: "Terminal: closed",
};

export function StatusBar({ podState, online, terminal, save, autosave, language }: Props) {
  return (
    <footer className="statusbar" aria-label="Status">
      <span className={`status-item pod-${podState}`} data-testid="status-pod">
        Pod: {podState}
      </span>
      <span className={`status-item ${online ? "ok" : "bad"}`} data-testid="status-connection">
        {online ? "Server: online" : "Server: offline"}
      </span>
      <span className={`status-item term-${terminal}`} data-testid="status-terminal">
        {TERMINAL_TEXT[terminal]}
      </span>
      <span className="spacer" />
      {language && <span className="status-item">{language}</span>}
      <span className={`status-item ${autosave ? "ok" : "muted"}`} data-testid="status-autosave" title="Change it in Settings">
        {autosave ? "Autosave on" : "Autosave off"}
      </span>
      <span className={`status-item save ${save === "All saved" ? "ok" : "warn"}`} data-testid="status-save" aria-live="polite">
        {save}
      </span>
    </footer>
  );
}
