// "Stop workspace", the same button in the workspace list and the IDE: POST /workspaces/{id}/stop
// (the server syncs the pod's files into storage first, then ends the pod). While it runs the
// state reads "stopping"; the answer (or the workspace.state events every page listens to)
// brings the final state. A stop the server refuses (412: files it could not store) leaves the
// pod running and says why.
import { useState } from "react";
import type { ApiClient } from "../api/client";
import { describeError } from "../api/errors";
import type { Workspace } from "../api/types";

/** Whether a workspace in `state` has a pod that a stop would end. */
export function canStop(state: string): boolean {
  return state === "running" || state === "starting";
}

interface Props {
  client: ApiClient;
  workspace: Pick<Workspace, "id" | "name" | "state">;
  beforeStop?(): Promise<void>; // the IDE saves what autosave would
  onState(state: string): void; // "stopping" at once, then the state the server answered
  onStopped?(workspace: Workspace): void;
  onError(message: string): void;
}

export function StopWorkspaceButton({ client, workspace, beforeStop, onState, onStopped, onError }: Props) {
  const [busy, setBusy] = useState(false);
  const stop = async () => {
    setBusy(true);
    const before = workspace.state;
    try {
      await beforeStop?.();
      onState("stopping");
      const w = await client.stopWorkspace(workspace.id);
      onState(w.state);
      onStopped?.(w);
    } catch (err) {
      onState(before);
      onError(`Cannot stop ${workspace.name}: ${describeError(err)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <button
      type="button"
      onClick={() => void stop()}
      disabled={busy || !canStop(workspace.state)}
      title={`Stop ${workspace.name}: its files are saved to storage and its pod ends`}
    >
      Stop workspace
    </button>
  );
}
