// The confirmation before a workspace is deleted with all its files. It names the workspace
// beyond doubt (name, creation time, the first characters of its id, what it holds), and when
// it holds files the person types its name to confirm. It acts on the id of the workspace the
// person clicked, captured when the dialog opened: a list refresh meanwhile changes nothing.
import { useEffect, useState } from "react";
import type { ApiClient } from "../api/client";
import { describeError } from "../api/errors";
import type { Workspace } from "../api/types";
import { Modal } from "../ui/Dialog";
import { shortId, timeOf } from "./order";

const COUNT_LIMIT = 200;

type Contents = { state: "counting" } | { state: "known"; count: number; more: boolean } | { state: "unknown" };

export function describeContents(c: Contents): string {
  if (c.state === "counting") return "Counting its files…";
  if (c.state === "unknown") return "Its files could not be counted; it may hold some.";
  if (c.count === 0) return "It is empty.";
  if (c.more) return `It holds more than ${c.count} files and folders.`;
  return c.count === 1 ? "It holds 1 file or folder." : `It holds ${c.count} files and folders.`;
}

/** Whether the name must be typed: unless the workspace is known to be empty. */
export function mustTypeName(c: Contents): boolean {
  return !(c.state === "known" && c.count === 0);
}

interface Props {
  workspace: Workspace;
  client: ApiClient;
  onCancel(): void;
  onDeleted(id: string): void;
}

export function DeleteWorkspaceDialog({ workspace, client, onCancel, onDeleted }: Props) {
  const [target] = useState(workspace); // what the person saw when they clicked
  const [contents, setContents] = useState<Contents>({ state: "counting" });
  const [typed, setTyped] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let cancelled = false;
    client
      .treeHead(target.id, COUNT_LIMIT)
      .then(({ items, more }) => !cancelled && setContents({ state: "known", count: items.length, more }))
      .catch(() => !cancelled && setContents({ state: "unknown" }));
    return () => {
      cancelled = true;
    };
  }, [client, target.id]);

  const needName = mustTypeName(contents);
  const ready = contents.state !== "counting" && (!needName || typed === target.name) && !busy;
  const created = new Date(timeOf(target.created_at)).toLocaleString();

  const confirm = async () => {
    if (!ready) return;
    setBusy(true);
    try {
      await client.deleteWorkspace(target.id);
      onDeleted(target.id);
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };

  return (
    <Modal title="Delete workspace" onCancel={onCancel}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void confirm();
        }}
      >
        <div className="modal-body">
          <p>
            Delete <strong data-testid="delete-name">{target.name}</strong> and all its files? This cannot be undone.
          </p>
          <dl className="facts" data-testid="delete-facts">
            <dt>Created</dt>
            <dd>{created}</dd>
            <dt>Id</dt>
            <dd>
              <code title={target.id}>{shortId(target.id)}</code>
            </dd>
            <dt>Files</dt>
            <dd data-testid="delete-contents">{describeContents(contents)}</dd>
          </dl>
          {needName && contents.state !== "counting" && (
            <label className="field">
              <span>Type the workspace's name, {target.name}, to confirm</span>
              <input
                value={typed}
                autoFocus
                spellCheck={false}
                autoComplete="off"
                onChange={(e) => setTyped(e.target.value)}
              />
            </label>
          )}
        </div>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="row end">
          <button type="button" onClick={onCancel} data-autofocus>
            Cancel
          </button>
          <button type="submit" className="danger" disabled={!ready}>
            Delete
          </button>
        </div>
      </form>
    </Modal>
  );
}
