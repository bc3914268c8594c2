import { describe, expect, it } from "vitest";
import { docsReducer, emptyDocs, expectedVersion, isDirty, movedPath, saveSummary, type DocsAction, type DocsState } from "./documents";

const run = (...actions: DocsAction[]): DocsState => actions.reduce(docsReducer, emptyDocs);
const open = (path: string, text = "v1", version = 1): DocsAction => ({ type: "open", path, text, version, binary: false });

describe("open documents", () => {
  it("opens, activates and closes tabs", () => {
    let s = run(open("a.py"), open("b.py"), open("c.py"));
    expect(s.order).toEqual(["a.py", "b.py", "c.py"]);
    expect(s.active).toBe("c.py");
    s = docsReducer(s, { type: "activate", path: "b.py" });
    s = docsReducer(s, { type: "close", path: "b.py" });
    expect(s.order).toEqual(["a.py", "c.py"]);
    expect(s.active).toBe("c.py"); // the neighbour takes over
    s = docsReducer(s, open("a.py", "ignored", 9)); // already open: only activates
    expect(s.active).toBe("a.py");
    expect(s.docs["a.py"].savedVersion).toBe(1);
  });

  it("is dirty while the text differs from the saved text", () => {
    let s = run(open("a.py"), { type: "edit", path: "a.py", text: "v2" });
    expect(isDirty(s.docs["a.py"])).toBe(true);
    expect(saveSummary(s)).toBe("1 unsaved file");
    s = docsReducer(s, { type: "edit", path: "a.py", text: "v1" });
    expect(isDirty(s.docs["a.py"])).toBe(false);
    expect(saveSummary(s)).toBe("All saved");
  });

  it("saves what was sent and keeps edits typed during the save", () => {
    let s = run(open("a.py"), { type: "edit", path: "a.py", text: "v2" }, { type: "saveStarted", path: "a.py" });
    expect(saveSummary(s)).toBe("Saving…");
    s = docsReducer(s, { type: "edit", path: "a.py", text: "v3" });
    s = docsReducer(s, { type: "saved", path: "a.py", text: "v2", version: 2 });
    expect(s.docs["a.py"]).toMatchObject({ savedText: "v2", savedVersion: 2, text: "v3", saving: false });
    expect(isDirty(s.docs["a.py"])).toBe(true);
    expect(expectedVersion(s.docs["a.py"])).toBe(2);
  });
});

describe("changes from elsewhere", () => {
  it("replaces a clean document with the server's newer version", () => {
    const s = run(open("a.py"), { type: "remote", path: "a.py", text: "from terminal", version: 2 });
    expect(s.docs["a.py"]).toMatchObject({ text: "from terminal", savedText: "from terminal", savedVersion: 2, remoteChanged: false });
  });

  it("never overwrites unsaved edits, only flags them", () => {
    let s = run(open("a.py"), { type: "edit", path: "a.py", text: "mine" });
    s = docsReducer(s, { type: "remote", path: "a.py", text: "theirs", version: 2 });
    expect(s.docs["a.py"]).toMatchObject({ text: "mine", savedVersion: 1, remoteChanged: true });
    s = docsReducer(s, { type: "remoteNewer", path: "a.py", version: 3 });
    expect(s.docs["a.py"].text).toBe("mine");
  });

  it("ignores the version it already has and changes during a save", () => {
    let s = run(open("a.py"), { type: "remote", path: "a.py", text: "same", version: 1 });
    expect(s.docs["a.py"].text).toBe("v1");
    s = docsReducer(s, { type: "saveStarted", path: "a.py" });
    s = docsReducer(s, { type: "remote", path: "a.py", text: "x", version: 5 });
    expect(s.docs["a.py"].text).toBe("v1");
  });

  it("remoteNewer does nothing to a clean document (it gets reloaded instead)", () => {
    const s = run(open("a.py"), { type: "remoteNewer", path: "a.py", version: 2 });
    expect(s.docs["a.py"].remoteChanged).toBe(false);
  });

  it("marks a deleted file dirty so it can be saved again (created anew)", () => {
    const s = run(open("a.py"), { type: "remoteDeleted", path: "a.py" });
    expect(s.docs["a.py"].deleted).toBe(true);
    expect(isDirty(s.docs["a.py"])).toBe(true);
    expect(expectedVersion(s.docs["a.py"])).toBe("new");
  });
});

describe("text from outside the editor", () => {
  it("bumps `external` for server reloads and choices, never for typing", () => {
    let s = run(open("a.py"), { type: "edit", path: "a.py", text: "typed" });
    expect(s.docs["a.py"].external).toBe(0);
    s = docsReducer(s, { type: "edit", path: "a.py", text: "v1" });
    s = docsReducer(s, { type: "remote", path: "a.py", text: "reloaded", version: 2 });
    expect(s.docs["a.py"].external).toBe(1);
    s = docsReducer(s, { type: "edit", path: "a.py", text: "merged", external: true });
    expect(s.docs["a.py"].external).toBe(2);
  });
});

describe("conflicts", () => {
  const conflicted = () =>
    run(
      open("a.py"),
      { type: "edit", path: "a.py", text: "mine" },
      { type: "saveStarted", path: "a.py" },
      { type: "conflict", path: "a.py", theirsText: "theirs", theirsVersion: 4 },
    );

  it("records both versions and keeps the edits", () => {
    const s = conflicted();
    expect(s.docs["a.py"]).toMatchObject({ text: "mine", saving: false, conflict: { theirsText: "theirs", theirsVersion: 4 } });
    expect(saveSummary(s)).toBe("Conflict");
  });

  it("keep mine: the next save replaces the server's version on purpose", () => {
    const s = docsReducer(conflicted(), { type: "keepMine", path: "a.py" });
    expect(s.docs["a.py"]).toMatchObject({ text: "mine", savedText: "theirs", savedVersion: 4, conflict: null });
    expect(isDirty(s.docs["a.py"])).toBe(true);
    expect(expectedVersion(s.docs["a.py"])).toBe(4);
  });

  it("take theirs: the edits are dropped for the server's version", () => {
    const s = docsReducer(conflicted(), { type: "takeTheirs", path: "a.py" });
    expect(s.docs["a.py"]).toMatchObject({ text: "theirs", savedText: "theirs", savedVersion: 4, conflict: null });
    expect(isDirty(s.docs["a.py"])).toBe(false);
  });
});

describe("moves", () => {
  it("maps paths of the moved item and of things inside a moved folder", () => {
    expect(movedPath("a/b.py", "a", "z")).toBe("z/b.py");
    expect(movedPath("a", "a", "z")).toBe("z");
    expect(movedPath("ab/c", "a", "z")).toBeNull();
  });
  it("renames open tabs, keeping order, edits and the active tab", () => {
    let s = run(open("src/a.py"), open("b.py"), { type: "activate", path: "src/a.py" }, { type: "edit", path: "src/a.py", text: "x" });
    s = docsReducer(s, { type: "moved", from: "src", to: "lib" });
    expect(s.order).toEqual(["lib/a.py", "b.py"]);
    expect(s.active).toBe("lib/a.py");
    expect(s.docs["lib/a.py"]).toMatchObject({ path: "lib/a.py", text: "x" });
    expect(s.docs["src/a.py"]).toBeUndefined();
  });
});
