// The IDE's file state: the tree, the open documents, and the operations on both. Changes
// made elsewhere (terminal commands, runs, another tab or person) arrive as pushed events
// (applyEvent, from the events channel) and update the tree without fetching it; the tree is
// polled only while that channel is down (TREE_FALLBACK_POLL_MS). Either way a new version of
// an open file replaces it in the editor when it has no unsaved edits, and only flags it
// otherwise (the next save then shows the conflict). A read that was already under way when
// this page wrote something is not used for the documents, so it cannot bring back the text
// from before the write. Saves take each document's text from its
// editor (`buffers`), never from React state, which may lag the last keystrokes.
import { useCallback, useRef, useState } from "react";
import type { ApiClient } from "../../api/client";
import { ApiError, describeError } from "../../api/errors";
import type { FileInfo } from "../../api/types";
import { docsReducer, emptyDocs, expectedVersion, isDirty, withEditorText, type DocsAction, type DocsState } from "../editor/documents";
import { isInside } from "../tree/paths";
import { applyFileEvent, type ServerEvent } from "./events";
import { saveAll as saveAllDocs, type SaveAllOutcome, type SaveOutcome } from "./saveAll";

export type { SaveOutcome } from "./saveAll";

/** The tree poll while the events channel is disconnected (connected: no poll at all). */
export const TREE_FALLBACK_POLL_MS = 10_000;

/** Each open document's editor text, by path (the editor registers a reader per model). */
export type EditorBuffers = Map<string, () => string>;

export function useWorkspaceFiles(client: ApiClient, workspaceId: string, report: (message: string) => void) {
  const [items, setItemsState] = useState<FileInfo[] | null>(null);
  const itemsRef = useRef<FileInfo[] | null>(null); // what events apply to, at once
  const setItems = useCallback((list: FileInfo[]) => {
    itemsRef.current = list;
    setItemsState(list);
  }, []);
  const [online, setOnline] = useState(true);
  // The documents' state is kept in a ref updated at once by dispatch, and copied into React
  // state to render: code that dispatched and then reads docsRef (a save, then a run) sees the
  // result at once, not after the next render.
  const [docs, setDocs] = useState<DocsState>(emptyDocs);
  const docsRef = useRef<DocsState>(emptyDocs);
  const dispatch = useCallback((action: DocsAction) => {
    const next = docsReducer(docsRef.current, action);
    if (next === docsRef.current) return;
    docsRef.current = next;
    setDocs(next);
  }, []);
  const writeEpoch = useRef(0);
  const eventsDuringRefresh = useRef(new Set<ServerEvent[]>()); // one list per refresh under way
  const buffers = useRef<EditorBuffers>(new Map());
  const inflight = useRef(new Map<string, Promise<SaveOutcome>>());

  /**
   * The documents as the editors show them now: edits the editor has and the state has not yet
   * (its change events may come after a key press that reads the state) are applied first.
   */
  const flush = useCallback((): DocsState => {
    const before = docsRef.current;
    const now = withEditorText(before, (path) => buffers.current.get(path)?.());
    for (const doc of Object.values(now.docs)) {
      if (before.docs[doc.path] !== doc) dispatch({ type: "edit", path: doc.path, text: doc.text });
    }
    return docsRef.current;
  }, [dispatch]);

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

  /** Re-reads the tree (and brings open documents up to date). Events that come while the
   * listing is under way are applied again on top of it: the listing may predate them, and
   * would otherwise undo them (a file created meanwhile vanished from the tree for good). */
  const refresh = useCallback(async () => {
    const epoch = writeEpoch.current;
    const meanwhile: ServerEvent[] = [];
    eventsDuringRefresh.current.add(meanwhile);
    try {
      const listed = await client.tree(workspaceId);
      const list = meanwhile.reduce(applyFileEvent, listed);
      setOnline(true);
      setItems(list);
      if (epoch === writeEpoch.current) await syncDocs(list);
    } catch (err) {
      noteFailure(err);
      if (!(err instanceof ApiError && err.isNetwork)) throw err;
    } finally {
      eventsDuringRefresh.current.delete(meanwhile);
    }
  }, [client, workspaceId, syncDocs, noteFailure, setItems]);

  /** Applies a pushed event of this workspace to the tree and the open documents. */
  const applyEvent = useCallback(
    async (event: ServerEvent) => {
      if (event.workspace_id !== workspaceId) return;
      for (const listing of eventsDuringRefresh.current) listing.push(event);
      if (itemsRef.current === null) return;
      const next = applyFileEvent(itemsRef.current, event);
      if (next === itemsRef.current) return;
      setItems(next);
      if (event.type === "file.moved" && event.from && event.to) dispatch({ type: "moved", from: event.from, to: event.to });
      const epoch = writeEpoch.current;
      try {
        if (epoch === writeEpoch.current) await syncDocs(next);
      } catch (err) {
        noteFailure(err);
      }
    },
    [workspaceId, syncDocs, noteFailure, setItems, dispatch],
  );

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

  const writeTextNow = useCallback(
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

  /** Writes a document, remembered as under way until it is done. */
  const writeText = useCallback(
    (path: string, text: string, expected: number | "new"): Promise<SaveOutcome> => {
      const done = writeTextNow(path, text, expected).finally(() => {
        if (inflight.current.get(path) === done) inflight.current.delete(path);
      });
      inflight.current.set(path, done);
      return done;
    },
    [writeTextNow],
  );

  /**
   * Saves a document if it has unsaved edits (the editor's text at this moment); a stale
   * version becomes a conflict. A save of it already under way is waited for first.
   */
  const save = useCallback(
    async (path: string): Promise<SaveOutcome> => {
      const running = inflight.current.get(path);
      if (running) await running;
      const doc = flush().docs[path];
      if (!doc || doc.binary) return { ok: true, conflict: false };
      if (doc.conflict) return { ok: false, conflict: true };
      if (!isDirty(doc)) return { ok: true, conflict: false };
      return writeText(path, doc.text, expectedVersion(doc));
    },
    [writeText, flush],
  );

  /** Saves every open document whose editor text differs from the server's (before a run). */
  const saveAll = useCallback(
    (): Promise<SaveAllOutcome> =>
      saveAllDocs({
        pending: () => Promise.allSettled([...inflight.current.values()]),
        current: flush,
        write: writeText,
      }),
    [writeText, flush],
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
    buffers,
    dispatch,
    refresh,
    applyEvent,
    wrote,
    open,
    save,
    saveAll,
    keepMine,
    compare,
    takeTheirs,
    moved,
    removed,
  };
}
