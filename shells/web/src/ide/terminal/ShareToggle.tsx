// "Share terminal": the owner lets the assigned reviewer of an in_review review of this
// workspace watch the terminal read-only (docs/api.md, "Shared terminals"). The button shows
// the stored state (aria-pressed) and flips it; the server decides who may watch.
import { useState } from "react";
import type { ApiClient } from "../../api/client";
import { describeError } from "../../api/errors";
import type { Workspace } from "../../api/types";

interface Props {
  workspace: Workspace;
  client: ApiClient;
  onChange(workspace: Workspace): void;
}

export default function ShareToggle({ workspace, client, onChange }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const shared = workspace.terminal_shared === true;
  const toggle = async () => {
    setBusy(true);
    setError(null);
    try {
      onChange(await client.shareTerminal(workspace.id, !shared));
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="share-toggle">
      <button
        className={shared ? "active" : ""}
        aria-pressed={shared}
        disabled={busy}
        data-testid="share-terminal"
        title="While a review of this workspace is in review, its reviewer may watch this terminal read-only"
        onClick={() => void toggle()}
      >
        Share terminal: {shared ? "on" : "off"}
      </button>
      {error && (
        <span className="error" role="alert">
          {" "}
          {error}
        </span>
      )}
    </span>
  );
}
