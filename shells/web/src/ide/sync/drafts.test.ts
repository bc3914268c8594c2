import { describe, expect, it } from "vitest";
import { MemoryStorage } from "../../auth/tokens";
import { docsReducer, emptyDocs, expectedVersion, isDirty, type DocsAction, type DocsState } from "../editor/documents";
import { DraftStore, draftKey, draftOf, emptyDraft, restoredDoc } from "./drafts";
import { autosavable } from "./autosave";

const run = (...actions: DocsAction[]): DocsState => actions.reduce(docsReducer, emptyDocs);
const open = (path: string, text = "v1", version = 1): DocsAction => ({ type: "open", path, text, version, binary: false });

describe("the draft of a workspace", () => {
  it("keeps tabs, the active tab, folders, and only the edited documents' text with their base", () => {
    const s = run(open("a.py"), open("src/b.py", "b", 4), { type: "edit", path: "src/b.py", text: "b2" }, { type: "activate", path: "a.py" });
    expect(draftOf(s, ["src", "docs"])).toEqual({
      tabs: ["a.py", "src/b.py"],
      active: "a.py",
      expanded: ["docs", "src"],
      edits: { "src/b.py": { text: "b2", base: 4 } },
    });
  });

  it("gives a document deleted on the server base 0, so saving creates it again", () => {
    const s = run(open("a.py", "x", 3), { type: "edit", path: "a.py", text: "y" }, { type: "remoteDeleted", path: "a.py" });
    expect(draftOf(s, []).edits["a.py"]).toEqual({ text: "y", base: 0 });
  });

  it("is stored per user and workspace and read back; an empty one removes the key", () => {
    const storage = new MemoryStorage();
    const ada = new DraftStore(storage, "ada", "w1");
    const bob = new DraftStore(storage, "bob", "w1");
    const draft = { tabs: ["a.py"], active: "a.py", expanded: ["src"], edits: { "a.py": { text: "t", base: 2 } } };
    expect(ada.save(draft)).toBe(true);
    expect(new DraftStore(storage, "ada", "w1").load()).toEqual(draft);
    expect(bob.load()).toEqual(emptyDraft);
    expect(new DraftStore(storage, "ada", "w2").load()).toEqual(emptyDraft);
    ada.save(emptyDraft);
    expect(storage.getItem(draftKey("ada", "w1"))).toBeNull();
  });

  it("reads garbage as no draft, and says when the browser refuses to keep it", () => {
    const storage = new MemoryStorage();
    storage.setItem(draftKey("ada", "w1"), "{not json");
    expect(new DraftStore(storage, "ada", "w1").load()).toEqual(emptyDraft);
    storage.setItem(draftKey("ada", "w1"), JSON.stringify({ tabs: [1], active: null, expanded: [], edits: {} }));
    expect(new DraftStore(storage, "ada", "w1").load()).toEqual(emptyDraft);
    const full = { getItem: () => null, removeItem: () => {}, setItem: () => { throw new Error("QuotaExceededError"); } };
    expect(new DraftStore(full, "ada", "w1").save({ ...emptyDraft, tabs: ["a"] })).toBe(false);
  });
});

describe("restoring a draft", () => {
  it("puts the edits back over the same version: a plain unsaved document", () => {
    const back = restoredDoc({ text: "v1", version: 1 }, { text: "mine", base: 1 });
    expect(back).toEqual({ text: "mine", base: 1, remoteChanged: false });
    const s = run(open("a.py"), { type: "restore", path: "a.py", ...back! });
    const doc = s.docs["a.py"];
    expect(isDirty(doc)).toBe(true);
    expect(doc.text).toBe("mine");
    expect(expectedVersion(doc)).toBe(1);
    expect(autosavable(doc)).toBe(true);
  });

  it("keeps the old base when the file changed meanwhile, so saving is a conflict, never an overwrite", () => {
    const back = restoredDoc({ text: "theirs", version: 5 }, { text: "mine", base: 2 });
    expect(back).toEqual({ text: "mine", base: 2, remoteChanged: true });
    const doc = run(open("a.py", "theirs", 5), { type: "restore", path: "a.py", ...back! }).docs["a.py"];
    expect(expectedVersion(doc)).toBe(2); // If-Match 2 against version 5: 412
    expect(doc.remoteChanged).toBe(true);
    expect(autosavable(doc)).toBe(false); // left for the person to choose
  });

  it("has nothing to restore when the server already holds the draft's text", () => {
    expect(restoredDoc({ text: "same", version: 7 }, { text: "same", base: 3 })).toBeNull();
  });
});

describe("autosave", () => {
  it("saves only documents with edits that no other version competes with", () => {
    const edited = run(open("a.py"), { type: "edit", path: "a.py", text: "v2" });
    expect(autosavable(edited.docs["a.py"])).toBe(true);
    expect(autosavable(run(open("a.py")).docs["a.py"])).toBe(false); // nothing to save
    const conflict = docsReducer(edited, { type: "conflict", path: "a.py", theirsText: "x", theirsVersion: 2 });
    expect(autosavable(conflict.docs["a.py"])).toBe(false);
    const newer = docsReducer(edited, { type: "remoteNewer", path: "a.py", version: 2 });
    expect(autosavable(newer.docs["a.py"])).toBe(false);
    const deleted = docsReducer(edited, { type: "remoteDeleted", path: "a.py" });
    expect(autosavable(deleted.docs["a.py"])).toBe(false);
  });
});
