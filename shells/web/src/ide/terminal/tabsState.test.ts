import { describe, expect, it } from "vitest";
import { addTab, closeTab, INITIAL, MAX_TERMINALS, parseKept, renameTab } from "./tabsState";

describe("terminal tabs", () => {
  it("adds the lowest free number up to the cap", () => {
    let s = INITIAL;
    for (let i = 2; i <= MAX_TERMINALS; i++) {
      s = addTab(s)!;
      expect(s.active).toBe(i);
    }
    expect(addTab(s)).toBeNull();
    s = closeTab(s, 2);
    expect(addTab(s)!.tabs.map((t) => t.n)).toEqual([1, 3, 4, 2]);
  });
  it("closing the selected tab selects a neighbour, the last leaves none", () => {
    const s = { tabs: [1, 2, 3].map((n) => ({ n, name: `T${n}` })), active: 2 };
    expect(closeTab(s, 2).active).toBe(3);
    expect(closeTab({ ...s, active: 3 }, 3).active).toBe(2);
    expect(closeTab({ tabs: [{ n: 1, name: "a" }], active: 1 }, 1)).toEqual({ tabs: [], active: 0 });
  });
  it("renames, ignoring blank names", () => {
    expect(renameTab(INITIAL, 1, "  server  ").tabs[0].name).toBe("server");
    expect(renameTab(INITIAL, 1, "   ")).toBe(INITIAL);
  });
  it("reads back what was kept, dropping what is not valid", () => {
    expect(parseKept(null)).toBe(INITIAL);
    expect(parseKept("{bad")).toBe(INITIAL);
    const kept = JSON.stringify({ tabs: [{ n: 3, name: "build" }, { n: 9, name: "x" }, { n: 3, name: "dup" }, { n: 1 }], active: 9 });
    expect(parseKept(kept)).toEqual({ tabs: [{ n: 3, name: "build" }, { n: 1, name: "Shell 1" }], active: 3 });
  });
});

describe("terminal tabs up to the server's terminal.max_per_workspace", () => {
  it("opens and keeps as many as the server allows", () => {
    let s = INITIAL;
    for (let i = 2; i <= 6; i++) s = addTab(s, 6)!;
    expect(s.tabs.map((t) => t.n)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(addTab(s, 6)).toBeNull();
    expect(addTab(INITIAL, 1)).toBeNull();
    const kept = JSON.stringify({ tabs: [{ n: 5, name: "five" }, { n: 2, name: "two" }], active: 5 });
    expect(parseKept(kept, 6).tabs.map((t) => t.n)).toEqual([5, 2]);
    expect(parseKept(kept, 3)).toEqual({ tabs: [{ n: 2, name: "two" }], active: 2 });
  });
});
