// The Preview panel: what a program in the workspace serves on a port (say
// `python3 -m http.server 8000` in the terminal), through the server's relay at
// /api/v1/workspaces/{id}/ports/{port}/. Opening asks the server for a ticket and loads its
// capability path /api/v1/previews/{ticket}/ in the frame or a new tab: no access token in a
// URL, and the page's relative URLs (images, scripts) keep the ticket, since the sandboxed
// page (the server says so too) has an opaque origin and sends no cookies.
import { useState } from "react";
import type { ApiClient } from "../../api/client";
import { describeError } from "../../api/errors";
import "./preview.css";

const SANDBOX = "allow-scripts allow-forms allow-popups allow-modals allow-downloads";

export function validPort(text: string): number | null {
  if (!/^[1-9][0-9]{0,4}$/.test(text)) return null;
  const port = Number(text);
  return port <= 65535 ? port : null;
}

export default function PreviewPanel({ workspaceId, client }: { workspaceId: string; client: ApiClient }) {
  const [portText, setPortText] = useState("8000");
  const [url, setUrl] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const port = validPort(portText);

  async function open(inNewTab: boolean) {
    if (port === null) return;
    setError(null);
    // A tab opened after an await is a popup to the browser: open it first, point it later.
    const tab = inNewTab ? window.open("about:blank", "_blank") : null;
    try {
      const ticket = await client.openPreview(workspaceId, port);
      if (tab) {
        tab.opener = null;
        tab.location.href = ticket.url;
      } else {
        setUrl(ticket.url);
        setReload((n) => n + 1);
      }
    } catch (err) {
      tab?.close();
      setError(`Cannot open the preview of port ${port}: ${describeError(err)}`);
    }
  }

  return (
    <div className="preview-panel">
      <form
        className="preview-bar"
        onSubmit={(e) => {
          e.preventDefault();
          void open(false);
        }}
      >
        <label>
          Port{" "}
          <input
            aria-label="Port"
            inputMode="numeric"
            size={6}
            value={portText}
            onChange={(e) => setPortText(e.target.value.trim())}
            aria-invalid={port === null}
          />
        </label>
        <button type="submit" disabled={port === null}>
          Open preview
        </button>
        <button type="button" disabled={port === null} onClick={() => void open(true)}>
          Open in new tab
        </button>
        {port === null && <span role="alert">A port is a number from 1 to 65535.</span>}
        {error && <span role="alert">{error}</span>}
      </form>
      {url ? (
        <iframe key={reload} className="preview-frame" title={`Preview of port ${port ?? ""}`} src={url} sandbox={SANDBOX} />
      ) : (
        <p className="preview-hint">
          Start a web server in the terminal, for example <code>python3 -m http.server 8000</code>, then open its port here.
        </p>
      )}
    </div>
  );
}
