// The state of the files open in the editor, as pure functions (the IDE keeps it in a React
// reducer). A document remembers the version its edits started from; saving sends it as
// If-Match, so a change made elsewhere meanwhile comes back as 412 and becomes a conflict that
// the person resolves — nothing is ever overwritten silently. Changes noticed by polling the
// tree replace a document only when it has no unsaved edits; otherwise it is marked as
// changed on the server and the next save shows the conflict.

export interface Conflict {
  theirsText: string;
  theirsVersion: number;
}

export interface OpenDoc {
  path: string;
  text: string; // what the editor holds
  savedText: string; // the server's content at savedVersion
  savedVersion: number; // the version the edits started from (0: not on the server)
  binary: boolean;
  saving: boolean;
  conflict: Conflict | null; // after a 412, until resolved
  remoteChanged: boolean; // the server has a newer version than savedVersion (edits pending)
  deleted: boolean; // gone from the server
  error: string | null; // the last save's error
  // Bumped whenever the text is set from outside the editor (server reload, conflict choice),
  // so the editor knows to copy it in; its own edits never bump it.
  external: number;
}

export interface DocsState {
  docs: Record<string, OpenDoc>;
  order: string[]; // tab order
  active: string | null;
}

export const emptyDocs: DocsState = { docs: {}, order: [], active: null };

export function isDirty(doc: OpenDoc): boolean {
  return doc.text !== doc.savedText || doc.deleted;
}

export type DocsAction =
  | { type: "open"; path: string; text: string; version: number; binary: boolean }
  | { type: "activate"; path: string }
  | { type: "close"; path: string }
  | { type: "edit"; path: string; text: string; external?: boolean }
  | { type: "saveStarted"; path: string }
  | { type: "saved"; path: string; text: string; version: number }
  | { type: "saveFailed"; path: string; error: string }
  | { type: "conflict"; path: string; theirsText: string; theirsVersion: number }
  | { type: "keepMine"; path: string }
  | { type: "takeTheirs"; path: string }
  | { type: "remote"; path: string; text: string; version: number }
  | { type: "remoteNewer"; path: string; version: number }
  | { type: "remoteDeleted"; path: string }
  | { type: "moved"; from: string; to: string }
  | { type: "restore"; path: string; text: string; base: number; remoteChanged: boolean };

function update(state: DocsState, path: string, fn: (doc: OpenDoc) => OpenDoc): DocsState {
  const doc = state.docs[path];
  if (!doc) return state;
  const next = fn(doc);
  return next === doc ? state : { ...state, docs: { ...state.docs, [path]: next } };
}

/** Maps a path under `from` (the item itself or inside a moved folder) to its new place. */
export function movedPath(path: string, from: string, to: string): string | null {
  if (path === from) return to;
  if (path.startsWith(from + "/")) return to + path.slice(from.length);
  return null;
}

export function docsReducer(state: DocsState, action: DocsAction): DocsState {
  switch (action.type) {
    case "open": {
      if (state.docs[action.path]) return { ...state, active: action.path };
      const doc: OpenDoc = {
        path: action.path,
        text: action.text,
        savedText: action.text,
        savedVersion: action.version,
        binary: action.binary,
        saving: false,
        conflict: null,
        remoteChanged: false,
        deleted: false,
        error: null,
        external: 0,
      };
      return { docs: { ...state.docs, [action.path]: doc }, order: [...state.order, action.path], active: action.path };
    }
    case "activate":
      return state.docs[action.path] ? { ...state, active: action.path } : state;
    case "close": {
      if (!state.docs[action.path]) return state;
      const docs = { ...state.docs };
      delete docs[action.path];
      const index = state.order.indexOf(action.path);
      const order = state.order.filter((p) => p !== action.path);
      const active =
        state.active === action.path ? (order[Math.min(index, order.length - 1)] ?? null) : state.active;
      return { docs, order, active };
    }
    case "edit":
      return update(state, action.path, (d) =>
        d.text === action.text ? d : { ...d, text: action.text, external: d.external + (action.external ? 1 : 0) },
      );
    case "saveStarted":
      return update(state, action.path, (d) => ({ ...d, saving: true, error: null }));
    case "saved":
      // `text` is what was sent; edits typed while saving stay unsaved.
      return update(state, action.path, (d) => ({
        ...d,
        savedText: action.text,
        savedVersion: action.version,
        saving: false,
        conflict: null,
        remoteChanged: false,
        deleted: false,
        error: null,
      }));
    case "saveFailed":
      return update(state, action.path, (d) => ({ ...d, saving: false, error: action.error }));
    case "conflict":
      return update(state, action.path, (d) => ({
        ...d,
        saving: false,
        conflict: { theirsText: action.theirsText, theirsVersion: action.theirsVersion },
      }));
    case "keepMine":
      // The edits now start from the server's version: the next save replaces it on purpose.
      return update(state, action.path, (d) =>
        d.conflict
          ? {
              ...d,
              savedText: d.conflict.theirsText,
              savedVersion: d.conflict.theirsVersion,
              conflict: null,
              remoteChanged: false,
            }
          : d,
      );
    case "takeTheirs":
      return update(state, action.path, (d) =>
        d.conflict
          ? {
              ...d,
              text: d.conflict.theirsText,
              savedText: d.conflict.theirsText,
              savedVersion: d.conflict.theirsVersion,
              conflict: null,
              remoteChanged: false,
              external: d.external + 1,
            }
          : d,
      );
    case "remote":
      return update(state, action.path, (d) => {
        if (action.version === d.savedVersion || d.saving) return d;
        if (!isDirty(d)) {
          const external = d.external + (d.text === action.text ? 0 : 1);
          return { ...d, text: action.text, savedText: action.text, savedVersion: action.version, deleted: false, external };
        }
        return d.remoteChanged ? d : { ...d, remoteChanged: true };
      });
    case "remoteNewer":
      // Seen in the tree while there are unsaved edits: flag it, keep the edits.
      return update(state, action.path, (d) =>
        action.version === d.savedVersion || d.remoteChanged || !isDirty(d) ? d : { ...d, remoteChanged: true },
      );
    case "remoteDeleted":
      return update(state, action.path, (d) => (d.deleted ? d : { ...d, deleted: true, savedVersion: 0 }));
    case "restore":
      // Unsaved edits kept in the browser (sync/drafts.ts) over the version they started from;
      // a base older than the server's makes the next save a conflict, never an overwrite.
      return update(state, action.path, (d) => ({
        ...d,
        text: action.text,
        savedVersion: action.base,
        remoteChanged: action.remoteChanged,
        external: d.external + 1,
      }));
    case "moved": {
      let changed = false;
      const docs: Record<string, OpenDoc> = {};
      for (const [path, doc] of Object.entries(state.docs)) {
        const to = movedPath(path, action.from, action.to);
        if (to) changed = true;
        docs[to ?? path] = to ? { ...doc, path: to } : doc;
      }
      if (!changed) return state;
      const order = state.order.map((p) => movedPath(p, action.from, action.to) ?? p);
      const active = state.active ? (movedPath(state.active, action.from, action.to) ?? state.active) : null;
      return { docs, order, active };
    }
  }
}

/** What the status bar says about saving. */
export function saveSummary(state: DocsState): string {
  const docs = Object.values(state.docs);
  if (docs.some((d) => d.conflict)) return "Conflict";
  if (docs.some((d) => d.saving)) return "Saving…";
  if (docs.some((d) => d.error)) return "Save failed";
  const dirty = docs.filter(isDirty).length;
  if (dirty > 0) return dirty === 1 ? "1 unsaved file" : `${dirty} unsaved files`;
  return "All saved";
}

/** The version a save of `doc` must name: its base version, or "new" to recreate a deleted file. */
export function expectedVersion(doc: OpenDoc): number | "new" {
  return doc.deleted || doc.savedVersion === 0 ? "new" : doc.savedVersion;
}

/**
 * The documents with each one's text replaced by what its editor holds now (`live`, undefined
 * for a document without an editor). React state lags the editor: the last keystrokes before a
 * Ctrl+S or F5 may not have reached it yet, so a save must take its text from here.
 */
export function withEditorText(state: DocsState, live: (path: string) => string | undefined): DocsState {
  let docs: Record<string, OpenDoc> | null = null;
  for (const [path, doc] of Object.entries(state.docs)) {
    const text = doc.binary ? undefined : live(path);
    if (text === undefined || text === doc.text) continue;
    docs ??= { ...state.docs };
    docs[path] = { ...doc, text };
  }
  return docs ? { ...state, docs } : state;
}

/**
 * True when a run must save `doc` first: its text differs from the server's. A file deleted
 * elsewhere whose tab holds no edits is not written back (the deletion was someone's choice);
 * one with edits is, as Ctrl+S would.
 */
export function needsSaveBeforeRun(doc: OpenDoc): boolean {
  return !doc.binary && doc.text !== doc.savedText;
}
