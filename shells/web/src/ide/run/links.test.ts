import { describe, expect, it } from "vitest";
import { allLocations, findLocations, workspacePath } from "./links";

describe("findLocations", () => {
  it("finds Python's File \"x.py\", line N", () => {
    const line = '  File "main.py", line 3, in <module>';
    expect(findLocations(line)).toEqual([{ start: 2, end: 24, path: "main.py", line: 3 }]);
    expect(line.slice(2, 24)).toBe('File "main.py", line 3');
  });
  it("makes /workspace paths relative and skips paths outside it", () => {
    expect(findLocations('File "/workspace/src/app.py", line 12')[0]).toMatchObject({ path: "src/app.py", line: 12 });
    expect(findLocations('File "/usr/lib/python3.11/json/__init__.py", line 346')).toEqual([]);
    expect(findLocations('File "<stdin>", line 1')).toEqual([]);
  });
  it("finds gcc's x.c:N:M: with the column", () => {
    const line = "main.c:4:5: error: expected ';' before 'return'";
    expect(findLocations(line)).toEqual([{ start: 0, end: 10, path: "main.c", line: 4, column: 5 }]);
  });
  it("finds x.cpp:N: without a column and paths in folders", () => {
    expect(findLocations("src/a b/x.cpp:12: note")).toEqual([
      { start: 6, end: 16, path: "b/x.cpp", line: 12 },
    ]);
    expect(findLocations("lib/util.h:7:1: warning: x")[0]).toMatchObject({ path: "lib/util.h", line: 7, column: 1 });
    expect(findLocations("./main.c:2:1: error")[0]).toMatchObject({ path: "main.c", line: 2, column: 1 });
  });
  it("ignores times, addresses and words that only look alike", () => {
    expect(findLocations("wall 12:30:01 done")).toEqual([]);
    expect(findLocations("http://localhost:8000/")).toEqual([]);
    expect(findLocations("no places here")).toEqual([]);
  });
  it("keeps several places of one line apart", () => {
    const locs = findLocations("a.c:1:2: in b.h:3:4:");
    expect(locs.map((l) => `${l.path}:${l.line}`)).toEqual(["a.c:1", "b.h:3"]);
  });
});

describe("workspacePath", () => {
  it("refuses climbing out", () => {
    expect(workspacePath("../etc/passwd")).toBeNull();
    expect(workspacePath("./x.py")).toBe("x.py");
  });
});

describe("allLocations", () => {
  it("lists each place once, first seen first, and only files that exist", () => {
    const text = 'Traceback:\r\n  File "m.py", line 5\r\n  File "lib.py", line 2\r\n  File "m.py", line 5\r\n';
    expect(allLocations(text).map((l) => `${l.path}:${l.line}`)).toEqual(["m.py:5", "lib.py:2"]);
    expect(allLocations(text, (p) => p === "lib.py").map((l) => l.path)).toEqual(["lib.py"]);
  });
});
