// Saving every open document before a run, so the run executes what the editors show: the
// current file and every other one it may import (issue 13, items 18 and 19). Saves already
// under way are waited for first; then each document whose editor text differs from the
// server's is written with its base version (If-Match), one after the other. A document in
// conflict, or one whose save fails or turns into a conflict, is reported and the run must not
// start: running the server's older text while the editor shows another is what this prevents.
import { expectedVersion, needsSaveBeforeRun, type DocsState } from "../editor/documents";

export interface SaveOutcome {
  ok: boolean;
  conflict: boolean;
}

export interface SaveAllDeps {
  /** Saves already under way (their outcome does not matter: the state is read afterwards). */
  pending(): Promise<unknown>;
  /** The documents now, with each editor's current text. */
  current(): DocsState;
  write(path: string, text: string, expected: number | "new"): Promise<SaveOutcome>;
}

export interface SaveAllOutcome {
  ok: boolean;
  saved: string[];
  conflicts: string[]; // in conflict before, or the save found a newer version
  failed: string[]; // the save failed (network, quota, ...)
}

export async function saveAll(deps: SaveAllDeps): Promise<SaveAllOutcome> {
  await deps.pending();
  const state = deps.current();
  const outcome: SaveAllOutcome = { ok: true, saved: [], conflicts: [], failed: [] };
  for (const path of state.order) {
    const doc = state.docs[path];
    if (!doc || doc.binary) continue;
    if (doc.conflict) {
      outcome.conflicts.push(path);
      continue;
    }
    if (!needsSaveBeforeRun(doc)) continue;
    const result = await deps.write(path, doc.text, expectedVersion(doc));
    if (result.ok) outcome.saved.push(path);
    else if (result.conflict) outcome.conflicts.push(path);
    else outcome.failed.push(path);
  }
  outcome.ok = outcome.conflicts.length === 0 && outcome.failed.length === 0;
  return outcome;
}

/** Why a run did not start, for the banner; null when it may start. */
export function runRefusal(outcome: SaveAllOutcome): string | null {
  if (outcome.ok) return null;
  const list = (paths: string[]) => paths.join(", ");
  if (outcome.conflicts.length > 0) {
    return `Not run: ${list(outcome.conflicts)} changed on the server as well. Choose which version to keep, then run again.`;
  }
  return `Not run: ${list(outcome.failed)} could not be saved, and the run would use the older saved version.`;
}

/**
 * What the Run button calls first (with autosave on or off: a run must run what the editors
 * show): saves every edited document, and says why the run must not start (null: it may), with
 * the first file in conflict so the page can open the choice.
 */
export async function saveBeforeRun(files: { saveAll(): Promise<SaveAllOutcome> }): Promise<{ refusal: string | null; conflict: string | null }> {
  const saved = await files.saveAll();
  return { refusal: runRefusal(saved), conflict: saved.conflicts[0] ?? null };
}
