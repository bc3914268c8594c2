// Keeps the IDE's unsaved work in the browser across reloads (drafts.ts): restores the tabs,
// the active tab and each tab's unsaved edits once the tree has loaded, then writes the draft
// DRAFT_WRITE_MS after each change and at once when the page is hidden or unloads. Nothing is
// written before the restore is done, so an early render cannot replace the stored draft with
// an empty one.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { KeyValueStorage } from "../../auth/tokens";
import type { FileInfo } from "../../api/types";
import { isDirty, withEditorText, type DocsAction, type DocsState } from "../editor/documents";
import { DraftStore, draftOf, restoredDoc, type WorkspaceDraft } from "./drafts";
import type { EditorBuffers } from "./useWorkspaceFiles";

export const DRAFT_WRITE_MS = 250;

interface Files {
  items: FileInfo[] | null;
  docs: DocsState;
  docsRef: { current: DocsState };
  buffers: { current: EditorBuffers };
  dispatch(action: DocsAction): void;
  open(path: string): Promise<void>;
}

function browserStorage(): KeyValueStorage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export function useDrafts(files: Files, userId: string | undefined, workspaceId: string) {
  const store = useMemo(() => {
    const storage = browserStorage();
    return storage && userId ? new DraftStore(storage, userId, workspaceId) : null;
  }, [userId, workspaceId]);
  // Read once, at the first render: the explorer mounts with these folders expanded.
  const [initial] = useState<WorkspaceDraft | null>(() => store?.load() ?? null);
  const expanded = useRef<string[]>(initial?.expanded ?? []);
  const restoring = useRef(false);
  const ready = useRef(false); // the restore is done: the draft may be written
  const [kept, setKept] = useState(true);
  const { items, docs, docsRef, buffers, dispatch, open } = files;

  // Restore once the tree is known (so a tab whose file is gone is not opened).
  useEffect(() => {
    if (restoring.current || items === null) return;
    restoring.current = true;
    if (!initial || !store) {
      ready.current = true;
      return;
    }
    const present = new Set(items.filter((i) => i.kind === "file").map((i) => i.path));
    void (async () => {
      for (const path of initial.tabs) {
        const edit = initial.edits[path];
        if (present.has(path)) {
          await open(path);
          const doc = docsRef.current.docs[path];
          const back = doc && edit && !doc.binary ? restoredDoc({ text: doc.savedText, version: doc.savedVersion }, edit) : null;
          if (back) dispatch({ type: "restore", path, ...back });
        } else if (edit) {
          // Deleted while the page was away: the edits come back, and saving creates it again.
          dispatch({ type: "open", path, text: "", version: 0, binary: false });
          dispatch({ type: "restore", path, text: edit.text, base: 0, remoteChanged: false });
          dispatch({ type: "remoteDeleted", path });
        }
      }
      if (initial.active && docsRef.current.docs[initial.active]) dispatch({ type: "activate", path: initial.active });
    })().finally(() => {
      ready.current = true;
    });
  }, [items, initial, store, open, dispatch, docsRef]);

  const write = useCallback(() => {
    if (!store || !ready.current) return;
    const now = withEditorText(docsRef.current, (path) => buffers.current.get(path)?.());
    setKept(store.save(draftOf(now, expanded.current)));
  }, [store, docsRef, buffers]);

  useEffect(() => {
    const timer = setTimeout(write, DRAFT_WRITE_MS);
    return () => clearTimeout(timer);
  }, [docs, write]);

  useEffect(() => {
    const onHide = () => {
      if (document.visibilityState === "hidden") write();
    };
    window.addEventListener("pagehide", write);
    document.addEventListener("visibilitychange", onHide);
    return () => {
      window.removeEventListener("pagehide", write);
      document.removeEventListener("visibilitychange", onHide);
    };
  }, [write]);

  // Warn before leaving with unsaved edits only when the browser could not keep them.
  useEffect(() => {
    const onUnload = (e: BeforeUnloadEvent) => {
      if (!kept && Object.values(docsRef.current.docs).some(isDirty)) e.preventDefault();
    };
    window.addEventListener("beforeunload", onUnload);
    return () => window.removeEventListener("beforeunload", onUnload);
  }, [docsRef, kept]);

  const onExpandedChange = useCallback(
    (paths: string[]) => {
      expanded.current = paths;
      write();
    },
    [write],
  );

  return { initialExpanded: initial?.expanded ?? [], onExpandedChange, kept };
}
