// Autosave (issue 17): with the setting on (the default), every open document with unsaved
// edits is saved after AUTOSAVE_QUIET_MS without typing, when the editor loses focus, and
// before a run (saveAll.ts's saveBeforeRun). A save is the same If-Match save as Ctrl+S, so a
// file changed elsewhere meanwhile becomes a conflict (status bar, tab and banner), never an
// overwrite. A document already known to differ on the server (changed or deleted elsewhere),
// or in conflict, is left for the person: autosave does not pick a side for them.
import { useCallback, useEffect, useRef, type MutableRefObject } from "react";
import { isDirty, type DocsState, type OpenDoc } from "../editor/documents";
import type { SaveOutcome } from "./saveAll";

/** Quiet time after the last edit before autosave writes. */
export const AUTOSAVE_QUIET_MS = 1000;
/** The wait before trying again after a failed save (server unreachable, quota). */
export const AUTOSAVE_RETRY_MS = 5000;

/** Whether autosave may write `doc` now. */
export function autosavable(doc: OpenDoc): boolean {
  return !doc.binary && !doc.conflict && !doc.remoteChanged && !doc.deleted && isDirty(doc);
}

interface Deps {
  enabled: boolean;
  docs: DocsState; // the rendered state: each edit restarts the quiet time
  docsRef: MutableRefObject<DocsState>;
  save(path: string): Promise<SaveOutcome>;
}

/** Returns `flush`, which saves at once what autosave would save (blur, page hidden). */
export function useAutosave({ enabled, docs, docsRef, save }: Deps): () => Promise<void> {
  const enabledRef = useRef(enabled);
  enabledRef.current = enabled;

  const flush = useCallback(async () => {
    if (!enabledRef.current) return;
    for (const path of docsRef.current.order) {
      const doc = docsRef.current.docs[path];
      // save() waits for a save of it under way and reads the editor's text at that moment.
      if (doc && (autosavable(doc) || (doc.saving && !doc.conflict))) await save(path);
    }
  }, [docsRef, save]);

  useEffect(() => {
    const pending = Object.values(docs.docs).filter(autosavable);
    if (!enabled || pending.length === 0) return;
    const failed = pending.some((d) => d.error !== null);
    const timer = setTimeout(() => void flush(), failed ? AUTOSAVE_RETRY_MS : AUTOSAVE_QUIET_MS);
    return () => clearTimeout(timer);
  }, [enabled, docs, flush]);

  // Hidden (another tab, minimised, closing): save now, the page may not get another chance.
  useEffect(() => {
    const onHide = () => {
      if (document.visibilityState === "hidden") void flush();
    };
    document.addEventListener("visibilitychange", onHide);
    return () => document.removeEventListener("visibilitychange", onHide);
  }, [flush]);

  return flush;
}
