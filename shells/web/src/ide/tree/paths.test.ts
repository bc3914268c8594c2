import { describe, expect, it } from "vitest";
import { locationChoices, newItemDir, baseName, isInside, joinPath, nameProblem, parentOf, pathProblem } from "./paths";

describe("paths", () => {
  it("splits and joins", () => {
    expect(baseName("a/b/c.py")).toBe("c.py");
    expect(baseName("c.py")).toBe("c.py");
    expect(parentOf("a/b/c.py")).toBe("a/b");
    expect(parentOf("c.py")).toBe("");
    expect(joinPath("", "x")).toBe("x");
    expect(joinPath("a", "x")).toBe("a/x");
  });
  it("knows what is inside what", () => {
    expect(isInside("a/b", "a")).toBe(true);
    expect(isInside("a", "a")).toBe(true);
    expect(isInside("ab", "a")).toBe(false);
    expect(isInside("x", "")).toBe(true);
  });
  it("refuses names the server would refuse", () => {
    expect(nameProblem("main.py")).toBeNull();
    for (const bad of ["", " ", ".", "..", "a/b", "a\\b", " x"]) expect(nameProblem(bad)).not.toBeNull();
    expect(pathProblem("src/lib")).toBeNull();
    for (const bad of ["/abs", "a//b", "a/../b", ""]) expect(pathProblem(bad)).not.toBeNull();
  });
});

describe("where new items go", () => {
  it("into the selected folder, the selected file's folder, or the root when nothing is selected", () => {
    expect(newItemDir({ kind: "dir", path: "lib" })).toBe("lib");
    expect(newItemDir({ kind: "file", path: "lib/mathutils.py" })).toBe("lib");
    expect(newItemDir({ kind: "file", path: "main.py" })).toBe("");
    expect(newItemDir(null)).toBe("");
  });
  it("offers the top level and every folder up to the selected one", () => {
    expect(locationChoices("")).toEqual([""]);
    expect(locationChoices("lib")).toEqual(["", "lib"]);
    expect(locationChoices("a/b/c")).toEqual(["", "a", "a/b", "a/b/c"]);
  });
});
