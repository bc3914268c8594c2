// The IDE's file state: the tree (polled every 2 s while the page is visible), the open
// documents, and the operations on both. Polling is how changes made by terminal commands or
// runs show up: a new version of an open file replaces it in the editor when it has no unsaved
// edits, and only flags it otherwise (the next save then shows the conflict). A poll that was
// already under way when this page wrote something is not used for the documents, so it
// cannot bring back the text from before the write.
import { useCallback, useReducer, useRef, useState } from "react";
import type { ApiClient } from "../../api/client";
import { ApiError, describeError } from "../../api/errors";
import type { FileInfo } from "../../api/types";
import { docsReducer, emptyDocs, expectedVersion, isDirty, type DocsState } from "../editor/documents";
import { isInside } from "../tree/paths";

export const TREE_POLL_MS = 2000;

export interface SaveOutcome {
  ok: boolean;
  conflict: boolean;
}

export function useWorkspaceFiles(client: ApiClient, workspaceId: string, report: (message: string) => void) {
  const [items, setItems] = useState<FileInfo[] | null>(null);
  const [online, setOnline] = useState(true);
  const [docs, dispatch] = useReducer(docsReducer, emptyDocs);
  const docsRef = useRef<DocsState>(docs);
  docsRef.current = docs;
  const writeEpoch = useRef(0);

  const noteFailure = useCallback((err: unknown) => {
    if (err instanceof ApiError && err.isNetwork) setOnline(false);
  }, []);

  const syncDocs = useCallback(
    async (list: FileInfo[]) => {
      const byPath = new Map(list.map((i) => [i.path, i]));
      for (const doc of Object.values(docsRef.current.docs)) {
        if (doc.saving) continue;
        const item = byPath.get(doc.path);
        if (!item || item.kind !== "file") {
          if (!doc.deleted) dispatch({ type: "remoteDeleted", path: doc.path });
          continue;
        }
        if (item.version === doc.savedVersion && !doc.deleted) continue;
        if (isDirty(doc)) {
          dispatch({ type: "remoteNewer", path: doc.path, version: item.version });
          continue;
        }
        const epoch = writeEpoch.current;
        const content = await client.readFile(workspaceId, doc.path);
        if (epoch !== writeEpoch.current) return;
        dispatch({ type: "remote", path: doc.path, text: content.text, version: content.version });
      }
    },
    [client, workspaceId],
  );

  /** Re-reads the tree (and brings open documents up to date). */
  const refresh = useCallback(async () => {
    const epoch = writeEpoch.current;
    try {
      const list = await client.tree(workspaceId);
      setOnline(true);
      setItems(list);
      if (epoch === writeEpoch.current) await syncDocs(list);
    } catch (err) {
      noteFailure(err);
      if (!(err instanceof ApiError && err.isNetwork)) throw err;
    }
  }, [client, workspaceId, syncDocs, noteFailure]);

  /** Marks a write by this page (so polls already under way are not used for documents). */
  const wrote = useCallback(() => {
    writeEpoch.current += 1;
  }, []);

  const open = useCallback(
    async (path: string) => {
      if (docsRef.current.docs[path]) {
        dispatch({ type: "activate", path });
        return;
      }
      try {
        const content = await client.readFile(workspaceId, path);
        dispatch({ type: "open", path, text: content.text, version: content.version, binary: content.binary });
      } catch (err) {
        noteFailure(err);
        report(`Cannot open ${path}: ${describeError(err)}`);
      }
    },
    [client, workspaceId, report, noteFailure],
  );

  const writeText = useCallback(
    async (path: string, text: string, expected: number | "new"): Promise<SaveOutcome> => {
      dispatch({ type: "saveStarted", path });
      wrote();
      try {
        const info = await client.writeFile(workspaceId, path, text, expected);
        wrote();
        dispatch({ type: "saved", path, text, version: info.version });
        setOnline(true);
        void refresh().catch(() => {});
        return { ok: true, conflict: false };
      } catch (err) {
        const stale = err instanceof ApiError && (err.status === 412 || (err.status === 409 && expected === "new"));
        if (stale) {
          try {
            const theirs = await client.readFile(workspaceId, path);
            dispatch({ type: "conflict", path, theirsText: theirs.text, theirsVersion: theirs.version });
            return { ok: false, conflict: true };
          } catch (readErr) {
            err = readErr;
          }
        }
        noteFailure(err);
        const message = describeError(err);
        dispatch({ type: "saveFailed", path, error: message });
        report(`Cannot save ${path}: ${message}`);
        return { ok: false, conflict: false };
      }
    },
    [client, workspaceId, refresh, report, wrote, noteFailure],
  );

  /** Saves a document if it has unsaved edits; a stale version becomes a conflict. */
  const save = useCallback(
    async (path: string): Promise<SaveOutcome> => {
      const doc = docsRef.current.docs[path];
      if (!doc || doc.binary) return { ok: true, conflict: false };
      if (doc.conflict) return { ok: false, conflict: true };
      if (doc.saving || !isDirty(doc)) return { ok: !doc.saving, conflict: false };
      return writeText(path, doc.text, expectedVersion(doc));
    },
    [writeText],
  );

  /** Conflict resolved in favour of `text` (the person's version, maybe merged). */
  const keepMine = useCallback(
    async (path: string, text: string) => {
      const doc = docsRef.current.docs[path];
      if (!doc?.conflict) return;
      const base = doc.conflict.theirsVersion;
      dispatch({ type: "edit", path, text, external: true });
      dispatch({ type: "keepMine", path });
      await writeText(path, text, base);
    },
    [writeText],
  );

  /** Shows the server's version of a file with unsaved edits next to them (as a conflict). */
  const compare = useCallback(
    async (path: string): Promise<boolean> => {
      try {
        const theirs = await client.readFile(workspaceId, path);
        dispatch({ type: "conflict", path, theirsText: theirs.text, theirsVersion: theirs.version });
        return true;
      } catch (err) {
        noteFailure(err);
        report(`Cannot read ${path}: ${describeError(err)}`);
        return false;
      }
    },
    [client, workspaceId, report, noteFailure],
  );

  const takeTheirs = useCallback((path: string) => dispatch({ type: "takeTheirs", path }), []);

  /** Applies a move/rename made through the API to the open documents. */
  const moved = useCallback((from: string, to: string) => dispatch({ type: "moved", from, to }), []);

  /** Closes the documents at or under a deleted path. */
  const removed = useCallback((path: string) => {
    for (const p of docsRef.current.order) if (isInside(p, path)) dispatch({ type: "close", path: p });
  }, []);

  return {
    items,
    online,
    setOnline,
    docs,
    docsRef,
    dispatch,
    refresh,
    wrote,
    open,
    save,
    keepMine,
    compare,
    takeTheirs,
    moved,
    removed,
  };
}
