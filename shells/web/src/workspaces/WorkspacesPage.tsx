// The list of the person's workspaces with their pod state (workspace.state events change a
// row at once; the list is also refreshed every 5 s while the page is visible): create, rename,
// stop, delete (after a confirmation that names it beyond doubt) and open. Every page of the list is fetched, shown in a fixed order (oldest first, then by id) so
// a refresh never moves a row, and a search box finds one among hundreds.
import { useCallback, useEffect, useMemo, useState } from "react";
import { ApiError, describeError } from "../api/errors";
import type { Workspace } from "../api/types";
import { useSession } from "../auth/session";
import { useLiveEvents } from "../reviews/live";
import { navigate } from "../router";
import { PromptDialog } from "../ui/Dialog";
import { TopBar } from "../ui/TopBar";
import { usePolling } from "../ui/usePolling";
import { OrgQuotaSummary } from "../orgs/OrgsPage"; // web20
import { DeleteWorkspaceDialog } from "./DeleteWorkspaceDialog";
import { StopWorkspaceButton } from "./StopWorkspaceButton";
import {
  filterWorkspaces,
  shortId,
  sortWorkspaces,
  timeOf,
  upsertWorkspace,
  workspaceErrorMessage,
  workspaceNameProblem,
} from "./order";

function StateBadge({ state }: { state: string }) {
  return <span className={`badge state-${state}`}>{state}</span>;
}

function when(value: number | string): string {
  const d = new Date(timeOf(value));
  return Number.isNaN(d.getTime()) ? String(value) : d.toLocaleString();
}

export function WorkspacesPage() {
  const { client } = useSession();
  const [items, setItems] = useState<Workspace[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [creating, setCreating] = useState(false);
  const [renaming, setRenaming] = useState<Workspace | null>(null);
  const [deleting, setDeleting] = useState<Workspace | null>(null);
  const [query, setQuery] = useState("");
  const [loads, setLoads] = useState(0); // lists applied so far (data-loads, for the tests)

  const load = useCallback(async () => {
    try {
      setItems(sortWorkspaces(await client.listWorkspaces()));
      setLoads((n) => n + 1);
      setError(null);
    } catch (err) {
      setError(describeError(err));
      if (err instanceof ApiError && err.status === 429) throw err; // pauses the refresh
    }
  }, [client]);

  useEffect(() => {
    void load().catch(() => {});
  }, [load]);
  usePolling(load, 5000);

  const setState = useCallback((id: string, state: string) => {
    setItems((list) => list && list.map((w) => (w.id === id && w.state !== state ? { ...w, state } : w)));
  }, []);
  // The same events the IDE's status bar follows, so both say the same at the same time.
  useLiveEvents((event) => {
    if (event === null) void load().catch(() => {});
    else if (event.type === "workspace.state" && event.state) setState(event.workspace_id, event.state);
    else if (event.type === "workspace.deleted") setItems((list) => list && list.filter((w) => w.id !== event.workspace_id));
  });

  const create = async () => {
    const problem = workspaceNameProblem(name, items ?? []);
    if (problem) {
      setError(problem);
      return;
    }
    setCreating(true);
    try {
      const w = await client.createWorkspace(name.trim());
      setName("");
      setItems((list) => upsertWorkspace(list ?? [], w));
      setError(null);
    } catch (err) {
      setError(workspaceErrorMessage(err, name, describeError));
    } finally {
      setCreating(false);
    }
  };

  const shown = useMemo(() => filterWorkspaces(items ?? [], query), [items, query]);

  return (
    <div className="page">
      <TopBar>
        <span>Workspaces</span>
      </TopBar>
      <main className="workspaces" data-loads={loads}>
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
        <OrgQuotaSummary />
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        {items === null && !error && <p className="muted">Loading…</p>}
        {items !== null && items.length === 0 && (
          <p className="muted ws-empty">No workspaces yet. Create one to start coding.</p>
        )}
        {items !== null && items.length > 10 && (
          <input
            className="ws-find"
            type="search"
            aria-label="Find a workspace"
            placeholder={`Find among ${items.length} workspaces`}
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
        )}
        {items !== null && items.length > 0 && shown.length === 0 && <p className="muted">No workspace matches.</p>}
        {items !== null && shown.length > 0 && (
          <table className="ws-table" aria-label="Workspaces">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">State</th>
                <th scope="col">Created</th>
                <th scope="col">Updated</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {shown.map((w) => (
                <tr key={w.id} data-workspace={w.name} data-id={w.id}>
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
                  <td className="muted" title={`id ${shortId(w.id)}`}>
                    {when(w.created_at)}
                  </td>
                  <td className="muted">{when(w.updated_at)}</td>
                  <td className="actions">
                    <button className="primary" onClick={() => navigate(`/w/${w.id}`)}>
                      Open
                    </button>
                    <StopWorkspaceButton
                      client={client}
                      workspace={w}
                      onState={(state) => setState(w.id, state)}
                      onError={setError}
                    />
                    <button onClick={() => setRenaming(w)} aria-label={`Rename ${w.name}`}>
                      Rename
                    </button>
                    <button
                      className="danger"
                      onClick={() => setDeleting(w)}
                      aria-label={`Delete ${w.name} (created ${when(w.created_at)})`}
                    >
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
          validate={(value) => workspaceNameProblem(value, items ?? [], renaming.id)}
          onCancel={() => setRenaming(null)}
          onSubmit={async (value) => {
            try {
              const w = await client.renameWorkspace(renaming.id, value.trim());
              setItems((list) => upsertWorkspace(list ?? [], w));
              setRenaming(null);
            } catch (err) {
              throw new Error(workspaceErrorMessage(err, value, describeError));
            }
          }}
        />
      )}
      {deleting && (
        <DeleteWorkspaceDialog
          workspace={deleting}
          client={client}
          onCancel={() => setDeleting(null)}
          onDeleted={(id) => {
            setItems((list) => (list ?? []).filter((x) => x.id !== id));
            setDeleting(null);
          }}
        />
      )}
    </div>
  );
}
