// What the IDE keeps in the browser so a reload loses nothing (issue 17, "never lose work"):
// the open tabs and the active one, the expanded folders, and each document's unsaved text
// with the version its edits started from. Kept in localStorage under one key per user and
// workspace, written a moment after each change and at once before the page goes away, and
// dropped for a document as soon as it is saved. Restoring never writes to the server: a draft
// comes back as unsaved edits over the version it started from, so if the file changed
// elsewhere meanwhile the next save is a conflict, never an overwrite.
import type { KeyValueStorage } from "../../auth/tokens";
import { isDirty, type DocsState } from "../editor/documents";

export interface DraftEdit {
  text: string;
  base: number; // the version the edits started from (0: not on the server yet)
}

export interface WorkspaceDraft {
  tabs: string[];
  active: string | null;
  expanded: string[];
  edits: Record<string, DraftEdit>;
}

export const emptyDraft: WorkspaceDraft = { tabs: [], active: null, expanded: [], edits: {} };

export function draftKey(userId: string, workspaceId: string): string {
  return `codeyard.draft.${userId}.${workspaceId}`;
}

/** The draft of the documents: tabs, the active tab, and the text of each one with edits. */
export function draftOf(docs: DocsState, expanded: string[]): WorkspaceDraft {
  const edits: Record<string, DraftEdit> = {};
  for (const path of docs.order) {
    const doc = docs.docs[path];
    if (!doc || doc.binary || !isDirty(doc)) continue;
    // A conflict's edits start from the version they were typed over, not the server's.
    edits[path] = { text: doc.text, base: doc.deleted ? 0 : doc.savedVersion };
  }
  return { tabs: [...docs.order], active: docs.active, expanded: [...expanded].sort(), edits };
}

function isDraft(v: unknown): v is WorkspaceDraft {
  if (!v || typeof v !== "object") return false;
  const d = v as WorkspaceDraft;
  return (
    Array.isArray(d.tabs) &&
    d.tabs.every((t) => typeof t === "string") &&
    (d.active === null || typeof d.active === "string") &&
    Array.isArray(d.expanded) &&
    d.expanded.every((t) => typeof t === "string") &&
    !!d.edits &&
    typeof d.edits === "object" &&
    Object.values(d.edits).every((e) => e && typeof e.text === "string" && typeof e.base === "number")
  );
}

export class DraftStore {
  private readonly storage: KeyValueStorage;
  private readonly key: string;

  constructor(storage: KeyValueStorage, userId: string, workspaceId: string) {
    this.storage = storage;
    this.key = draftKey(userId, workspaceId);
  }

  /** The stored draft, or the empty one when there is none or it cannot be read. */
  load(): WorkspaceDraft {
    try {
      const raw = this.storage.getItem(this.key);
      if (!raw) return emptyDraft;
      const parsed: unknown = JSON.parse(raw);
      return isDraft(parsed) ? parsed : emptyDraft;
    } catch {
      return emptyDraft;
    }
  }

  /**
   * Stores `draft` (an empty one removes the key). Returns false when the browser refused it
   * (quota, storage disabled), so the page can say that edits are not kept.
   */
  save(draft: WorkspaceDraft): boolean {
    try {
      const empty = draft.tabs.length === 0 && draft.expanded.length === 0 && Object.keys(draft.edits).length === 0;
      if (empty) this.storage.removeItem(this.key);
      else this.storage.setItem(this.key, JSON.stringify(draft));
      return true;
    } catch {
      return false;
    }
  }

  clear(): void {
    try {
      this.storage.removeItem(this.key);
    } catch {
      // nothing kept anyway
    }
  }
}

/**
 * How a document with a draft is opened: the server's text and version now, and the draft's
 * text and base. The edits are kept in every case; when the server moved past the base, the
 * document starts from the base (so saving asks for a choice) and is flagged as changed.
 */
export function restoredDoc(server: { text: string; version: number }, draft: DraftEdit) {
  if (draft.text === server.text) return null; // nothing left to restore
  const moved = draft.base !== server.version;
  return { text: draft.text, base: moved ? draft.base : server.version, remoteChanged: moved };
}
