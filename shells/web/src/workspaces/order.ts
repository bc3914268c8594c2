// The workspace list's order and search, as pure functions. The order is explicit and stable:
// oldest first by creation time, then by id, whatever order the server answers in, so a refresh
// never moves a row under the person's cursor (issue 13, item 20: a row that moved got the
// click meant for another, and the wrong workspace was deleted).
import { ApiError } from "../api/errors";
import type { Workspace } from "../api/types";

/** Milliseconds since the epoch of a time the API gives as a number or an ISO string. */
export function timeOf(value: number | string): number {
  if (typeof value === "number") return value;
  const n = Number(value);
  if (value.trim() !== "" && Number.isFinite(n)) return n;
  const t = Date.parse(value);
  return Number.isNaN(t) ? 0 : t;
}

export function compareWorkspaces(a: Workspace, b: Workspace): number {
  const ta = timeOf(a.created_at);
  const tb = timeOf(b.created_at);
  if (ta !== tb) return ta - tb;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The list in display order (a new array). */
export function sortWorkspaces(list: readonly Workspace[]): Workspace[] {
  return [...list].sort(compareWorkspaces);
}

/** Adds or replaces `w` (by id), keeping the display order. */
export function upsertWorkspace(list: readonly Workspace[], w: Workspace): Workspace[] {
  return sortWorkspaces([...list.filter((x) => x.id !== w.id), w]);
}

/** The workspaces whose name contains `query` (case-insensitive; all for an empty query). */
export function filterWorkspaces(list: readonly Workspace[], query: string): Workspace[] {
  const q = query.trim().toLocaleLowerCase();
  return q ? list.filter((w) => w.name.toLocaleLowerCase().includes(q)) : [...list];
}

/** The first characters of an id, enough to tell two workspaces of one name apart. */
export function shortId(id: string): string {
  return id.replace(/-/g, "").slice(0, 8);
}

/** Why `name` cannot be used for a new (or renamed, `except` its own id) workspace, or null. */
export function workspaceNameProblem(name: string, list: readonly Workspace[], except?: string): string | null {
  const n = name.trim();
  if (!n) return "A name is required.";
  if (list.some((w) => w.id !== except && w.name === n)) return takenMessage(n);
  return null;
}

function takenMessage(name: string): string {
  return `You already have a workspace named “${name}”. Choose another name.`;
}

/** The sentence for a refused create or rename: a taken name (409) says so plainly. */
export function workspaceErrorMessage(err: unknown, name: string, fallback: (err: unknown) => string): string {
  if (err instanceof ApiError && err.status === 409) return takenMessage(name.trim());
  return fallback(err);
}
