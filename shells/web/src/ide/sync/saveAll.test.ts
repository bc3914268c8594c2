import { describe, expect, it } from "vitest";
import { docsReducer, emptyDocs, withEditorText, type DocsAction, type DocsState } from "../editor/documents";
import { runRefusal, saveAll, type SaveOutcome } from "./saveAll";

const run = (...actions: DocsAction[]): DocsState => actions.reduce(docsReducer, emptyDocs);
const open = (path: string, text = "v1", version = 1): DocsAction => ({ type: "open", path, text, version, binary: false });

/** A fake server: records writes, answers each with the outcome `answer` gives. */
function recorder(answer: (path: string) => SaveOutcome = () => ({ ok: true, conflict: false })) {
  const writes: { path: string; text: string; expected: number | "new" }[] = [];
  return {
    writes,
    write: async (path: string, text: string, expected: number | "new") => {
      writes.push({ path, text, expected });
      return answer(path);
    },
  };
}

describe("the editor's text is what gets saved", () => {
  it("replaces lagging document text by the editor's", () => {
    const s = run(open("a.py", "print(1)"), open("b.py", "x"), { type: "edit", path: "a.py", text: "print(1" });
    const live = withEditorText(s, (p) => (p === "a.py" ? "print(12)" : undefined));
    expect(live.docs["a.py"].text).toBe("print(12)");
    expect(live.docs["b.py"]).toBe(s.docs["b.py"]);
    expect(withEditorText(s, () => undefined)).toBe(s);
  });
});

describe("save all before a run", () => {
  it("saves every edited document with its base version, the current one and the others", async () => {
    const s = run(open("main.py"), open("lib/m.py", "def f(): pass", 4), open("c.py", "same", 2), { type: "activate", path: "main.py" });
    const live: Record<string, string> = { "main.py": "import lib.m", "lib/m.py": "def broken(:" };
    const server = recorder();
    const outcome = await saveAll({
      pending: async () => {},
      current: () => withEditorText(s, (p) => live[p]),
      write: server.write,
    });
    expect(outcome).toEqual({ ok: true, saved: ["main.py", "lib/m.py"], conflicts: [], failed: [] });
    expect(server.writes).toEqual([
      { path: "main.py", text: "import lib.m", expected: 1 },
      { path: "lib/m.py", text: "def broken(:", expected: 4 },
    ]);
    expect(runRefusal(outcome)).toBeNull();
  });

  it("reads the documents only after the saves under way are done", async () => {
    let state = run(open("a.py"), { type: "edit", path: "a.py", text: "v2" }, { type: "saveStarted", path: "a.py" });
    const server = recorder();
    const outcome = await saveAll({
      pending: async () => {
        state = docsReducer(state, { type: "saved", path: "a.py", text: "v2", version: 2 });
      },
      current: () => state,
      write: server.write,
    });
    expect(server.writes).toEqual([]); // saved already: not written again with a stale version
    expect(outcome.ok).toBe(true);
  });

  it("creates new files, leaves binaries and unedited deleted files alone", async () => {
    const s = run(
      open("new.py", "", 0),
      { type: "open", path: "img.png", text: "", version: 3, binary: true },
      open("gone.py", "x", 5),
      { type: "remoteDeleted", path: "gone.py" },
      { type: "edit", path: "new.py", text: "print(1)" },
    );
    const server = recorder();
    await saveAll({ pending: async () => {}, current: () => s, write: server.write });
    expect(server.writes).toEqual([{ path: "new.py", text: "print(1)", expected: "new" }]);
  });

  it("refuses the run when a file is in conflict or cannot be saved, saving the others", async () => {
    const s = run(
      open("a.py"),
      open("b.py"),
      open("c.py"),
      { type: "edit", path: "a.py", text: "a2" },
      { type: "edit", path: "b.py", text: "b2" },
      { type: "edit", path: "c.py", text: "c2" },
      { type: "conflict", path: "c.py", theirsText: "theirs", theirsVersion: 7 },
    );
    const server = recorder((p) => (p === "a.py" ? { ok: false, conflict: true } : { ok: true, conflict: false }));
    const outcome = await saveAll({ pending: async () => {}, current: () => s, write: server.write });
    expect(server.writes.map((w) => w.path)).toEqual(["a.py", "b.py"]);
    expect(outcome).toEqual({ ok: false, saved: ["b.py"], conflicts: ["a.py", "c.py"], failed: [] });
    expect(runRefusal(outcome)).toMatch(/^Not run: a\.py, c\.py changed on the server/);

    const failing = recorder(() => ({ ok: false, conflict: false }));
    const s2 = run(open("a.py"), { type: "edit", path: "a.py", text: "a2" });
    const o2 = await saveAll({ pending: async () => {}, current: () => s2, write: failing.write });
    expect(runRefusal(o2)).toMatch(/^Not run: a\.py could not be saved/);
  });
});
