// The IDE top bar's workspace controls: Stop workspace (or Start workspace once it is stopped)
// and Settings. The pod state they show and change is the status bar's.
import { useState } from "react";
import type { ApiClient } from "../../api/client";
import { describeError } from "../../api/errors";
import type { Workspace } from "../../api/types";
import { SettingsDialog } from "../../settings/SettingsDialog";
import { StopWorkspaceButton, canStop } from "../../workspaces/StopWorkspaceButton";

interface Props {
  client: ApiClient;
  workspace: Workspace | null;
  podState: string;
  setPod(state: string): void;
  beforeStop(): Promise<void>;
  report(message: string): void;
}

export function WorkspaceActions({ client, workspace, podState, setPod, beforeStop, report }: Props) {
  const [settings, setSettings] = useState(false);
  const [starting, setStarting] = useState(false);
  return (
    <>
      {workspace && (canStop(podState) || podState === "stopping") && (
        <StopWorkspaceButton
          client={client}
          workspace={{ ...workspace, state: podState }}
          beforeStop={beforeStop}
          onState={setPod}
          onError={report}
        />
      )}
      {workspace && podState === "stopped" && (
        <button
          type="button"
          disabled={starting}
          onClick={async () => {
            setStarting(true);
            setPod("starting");
            try {
              setPod((await client.startWorkspace(workspace.id)).state);
            } catch (err) {
              setPod("stopped");
              report(`The workspace could not start: ${describeError(err)}`);
            } finally {
              setStarting(false);
            }
          }}
        >
          Start workspace
        </button>
      )}
      <button type="button" onClick={() => setSettings(true)} aria-haspopup="dialog">
        Settings
      </button>
      {settings && <SettingsDialog client={client} onClose={() => setSettings(false)} />}
    </>
  );
}
