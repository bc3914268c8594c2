import { describe, expect, it } from "vitest";
import type { ExecResult } from "../../api/types";
import { commandFor, prettyVerdict, shellQuote, verdictLine, verdictOk } from "./runtime";

const result = (over: Partial<ExecResult> = {}): ExecResult => ({
  verdict: "ok",
  exit_code: 0,
  signal: null,
  stdout: "",
  stderr: "",
  cpu_ms: 12,
  wall_ms: 1500,
  memory_kb: 8300,
  ...over,
});

describe("commandFor", () => {
  it("runs scripts with their interpreter", () => {
    expect(commandFor("main.py")).toEqual(["python3", "main.py"]);
    expect(commandFor("src/app.js")).toEqual(["node", "src/app.js"]);
    expect(commandFor("run.sh")).toEqual(["bash", "run.sh"]);
  });
  it("compiles C and C++ first, with the path quoted for sh", () => {
    const c = commandFor("my prog.c")!;
    expect(c.slice(0, 2)).toEqual(["sh", "-c"]);
    expect(c[2]).toContain("gcc");
    expect(c[2]).toContain("'my prog.c'");
    expect(commandFor("a.cpp")![2]).toContain("g++");
  });
  it("has no runtime for other files", () => {
    expect(commandFor("notes.txt")).toBeNull();
    expect(commandFor("Makefile")).toBeNull();
  });
});

describe("shellQuote", () => {
  it("leaves plain words and quotes the rest", () => {
    expect(shellQuote("src/a.c")).toBe("src/a.c");
    expect(shellQuote("it's.c")).toBe(`'it'\\''s.c'`);
    expect(shellQuote("$(rm -rf).c")).toBe("'$(rm -rf).c'");
  });
});

describe("verdict line", () => {
  it("names the verdict, exit code, times and memory", () => {
    expect(verdictLine(result())).toBe("OK · exit 0 · cpu 12 ms · wall 1.50 s · memory 8.1 MiB");
  });
  it("shows signals and failures", () => {
    const r = result({ verdict: "time_limit_exceeded", exit_code: null, signal: 9, memory_kb: 900 });
    expect(verdictLine(r)).toBe("Time limit exceeded · signal 9 · cpu 12 ms · wall 1.50 s · memory 900 KiB");
    expect(verdictOk(r)).toBe(false);
    expect(verdictOk(result())).toBe(true);
    expect(verdictOk(result({ exit_code: 1, verdict: "runtime_error" }))).toBe(false);
    expect(prettyVerdict("compile_error")).toBe("Compile error");
  });
});
