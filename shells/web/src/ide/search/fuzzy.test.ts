import { describe, expect, it } from "vitest";
import { fuzzyMatch, rankFiles } from "./fuzzy";

const paths = ["README.md", "src/main.py", "src/util/maths.py", "tests/test_main.py", "docs/manual.md", "Makefile"];

describe("go to file", () => {
  it("matches the characters in order, case-insensitively", () => {
    expect(fuzzyMatch("smp", "src/main.py")).not.toBeNull();
    expect(fuzzyMatch("MAIN", "src/main.py")!.positions).toEqual([4, 5, 6, 7]);
    expect(fuzzyMatch("pm", "src/main.py")).toBeNull();
    expect(fuzzyMatch("", "x")!.score).toBe(0);
  });
  it("ranks a file name match over folders and longer paths", () => {
    expect(rankFiles("main", paths).map((m) => m.path)).toEqual(["src/main.py", "tests/test_main.py"]);
    expect(rankFiles("mak", paths)[0].path).toBe("Makefile");
    expect(rankFiles("utm", paths).map((m) => m.path)).toEqual(["src/util/maths.py"]);
  });
  it("keeps at most the limit", () => {
    expect(rankFiles("", paths, 3)).toHaveLength(3);
  });
});
