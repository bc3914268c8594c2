import { describe, expect, it } from "vitest";
import type { FileInfo } from "../../api/types";
import { ancestorsOf, buildTree, diffItems, visibleRows } from "./buildTree";

const file = (path: string, version = 1): FileInfo => ({ path, kind: "file", size: 1, version, mtime: 0 });
const dir = (path: string): FileInfo => ({ path, kind: "dir", size: 0, version: 1, mtime: 0 });

describe("buildTree", () => {
  it("nests items under their folders, folders first, names in natural order", () => {
    const tree = buildTree([file("b.py"), file("src/z.py"), dir("src"), file("a10.txt"), file("a2.txt"), dir("docs")]);
    expect(tree.map((n) => n.name)).toEqual(["docs", "src", "a2.txt", "a10.txt", "b.py"]);
    expect(tree[1].children.map((n) => n.path)).toEqual(["src/z.py"]);
  });

  it("makes up folders that are not listed but hold listed items", () => {
    const tree = buildTree([file("a/b/c.txt")]);
    expect(tree).toHaveLength(1);
    expect(tree[0]).toMatchObject({ name: "a", path: "a", kind: "dir" });
    expect(tree[0].children[0]).toMatchObject({ name: "b", path: "a/b", kind: "dir" });
    expect(tree[0].children[0].children[0]).toMatchObject({ name: "c.txt", path: "a/b/c.txt", kind: "file" });
  });

  it("keeps a folder's own details when it is listed after its children", () => {
    const tree = buildTree([file("a/x"), { path: "a", kind: "dir", size: 0, version: 7, mtime: 0 }]);
    expect(tree).toHaveLength(1);
    expect(tree[0].version).toBe(7);
    expect(tree[0].children).toHaveLength(1);
  });

  it("ignores surrounding slashes and empty paths", () => {
    const tree = buildTree([file("/x.py"), file(""), dir("d/"), file("d/y.py")]);
    expect(tree.map((n) => n.path)).toEqual(["d", "x.py"]);
    expect(tree[0].children.map((n) => n.path)).toEqual(["d/y.py"]);
  });

  it("is empty for an empty workspace", () => {
    expect(buildTree([])).toEqual([]);
  });
});

describe("visibleRows", () => {
  const tree = buildTree([dir("src"), file("src/a.py"), dir("src/lib"), file("src/lib/b.py"), file("main.py")]);
  it("shows only the top level when nothing is expanded", () => {
    expect(visibleRows(tree, new Set()).map((r) => r.node.path)).toEqual(["src", "main.py"]);
  });
  it("descends into expanded folders with their depth", () => {
    const rows = visibleRows(tree, new Set(["src", "src/lib"]));
    expect(rows.map((r) => [r.node.path, r.depth])).toEqual([
      ["src", 0],
      ["src/lib", 1],
      ["src/lib/b.py", 2],
      ["src/a.py", 1],
      ["main.py", 0],
    ]);
  });
});

describe("ancestorsOf", () => {
  it("lists the folders holding a path, outermost first", () => {
    expect(ancestorsOf("a/b/c.py")).toEqual(["a", "a/b"]);
    expect(ancestorsOf("c.py")).toEqual([]);
  });
});

describe("diffItems", () => {
  it("reports added, removed and changed files", () => {
    const before = [file("a.py", 1), file("b.py", 1), dir("d")];
    const after = [file("a.py", 2), dir("d"), file("made.txt", 1)];
    expect(diffItems(before, after)).toEqual({ added: ["made.txt"], removed: ["b.py"], changed: ["a.py"] });
  });
});
