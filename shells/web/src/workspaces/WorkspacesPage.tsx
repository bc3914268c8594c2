// The list of the person's workspaces with their pod state (refreshed every 5 s while the page
// is visible): create, rename, delete (after a confirmation) and open.
import { useCallback, useEffect, useState } from "react";
import { describeError } from "../api/errors";
import type { Workspace } from "../api/types";
import { useSession } from "../auth/session";
import { navigate } from "../router";
import { ConfirmDialog, PromptDialog } from "../ui/Dialog";
import { TopBar } from "../ui/TopBar";
import { usePolling } from "../ui/usePolling";

function StateBadge({ state }: { state: string }) {
  return <span className={`badge state-${state}`}>{state}</span>;
}

function when(text: string): string {
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? text : d.toLocaleString();
}

function nameProblem(name: string): string | null {
  return name.trim() ? null : "A name is required.";
}

export function WorkspacesPage() {
  const { client } = useSession();
  const [items, setItems] = useState<Workspace[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [creating, setCreating] = useState(false);
  const [renaming, setRenaming] = useState<Workspace | null>(null);
  const [deleting, setDeleting] = useState<Workspace | null>(null);

  const load = useCallback(async () => {
    try {
      setItems(await client.listWorkspaces());
      setError(null);
    } catch (err) {
      setError(describeError(err));
    }
  }, [client]);

  useEffect(() => {
    void load();
  }, [load]);
  usePolling(load, 5000);

  const create = async () => {
    const problem = nameProblem(name);
    if (problem) {
      setError(problem);
      return;
    }
    setCreating(true);
    try {
      const w = await client.createWorkspace(name.trim());
      setName("");
      setItems((list) => [...(list ?? []), w]);
      setError(null);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setCreating(false);
    }
  };

  return (
    <div className="page">
      <TopBar>
        <span>Workspaces</span>
      </TopBar>
      <main className="workspaces">
        <form
          className="create-row"
          aria-label="Create a workspace"
          onSubmit={(e) => {
            e.preventDefault();
            void create();
          }}
        >
          <input
            aria-label="New workspace name"
            placeholder="New workspace name"
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
          <button type="submit" className="primary" disabled={creating}>
            Create workspace
          </button>
        </form>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        {items === null && !error && <p className="muted">Loading…</p>}
        {items !== null && items.length === 0 && (
          <p className="muted ws-empty">No workspaces yet. Create one to start coding.</p>
        )}
        {items !== null && items.length > 0 && (
          <table className="ws-table" aria-label="Workspaces">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">State</th>
                <th scope="col">Updated</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((w) => (
                <tr key={w.id} data-workspace={w.name}>
                  <td>
                    <a
                      href={`/w/${w.id}`}
                      onClick={(e) => {
                        e.preventDefault();
                        navigate(`/w/${w.id}`);
                      }}
                    >
                      {w.name}
                    </a>
                  </td>
                  <td>
                    <StateBadge state={w.state} />
                  </td>
                  <td className="muted">{when(w.updated_at)}</td>
                  <td className="actions">
                    <button className="primary" onClick={() => navigate(`/w/${w.id}`)}>
                      Open
                    </button>
                    <button onClick={() => setRenaming(w)} aria-label={`Rename ${w.name}`}>
                      Rename
                    </button>
                    <button className="danger" onClick={() => setDeleting(w)} aria-label={`Delete ${w.name}`}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </main>
      {renaming && (
        <PromptDialog
          title="Rename workspace"
          label="Name"
          initial={renaming.name}
          confirm="Rename"
          validate={nameProblem}
          onCancel={() => setRenaming(null)}
          onSubmit={async (value) => {
            const w = await client.renameWorkspace(renaming.id, value.trim());
            setItems((list) => (list ?? []).map((x) => (x.id === w.id ? w : x)));
            setRenaming(null);
          }}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete workspace"
          danger
          confirm="Delete"
          message={
            <p>
              Delete <strong>{deleting.name}</strong> and all its files? This cannot be undone.
            </p>
          }
          onCancel={() => setDeleting(null)}
          onConfirm={async () => {
            await client.deleteWorkspace(deleting.id);
            setItems((list) => (list ?? []).filter((x) => x.id !== deleting.id));
            setDeleting(null);
          }}
        />
      )}
    </div>
  );
}
