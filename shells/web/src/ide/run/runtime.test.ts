import { describe, expect, it } from "vitest";
import type { LanguageInfo } from "../../api/types";
import { languageFor, prettyVerdict, runtimeName, verdictLine, verdictOk, type RunVerdict } from "./runtime";

const lang = (id: string, extensions: string[], compile: string[], run: string[]): LanguageInfo => ({
  id,
  name: id,
  aliases: [],
  source_file: `main.${extensions[0]}`,
  extensions,
  compiled: compile.length > 0,
  compile_command: compile,
  run_command: run,
  version_command: [],
});
// As GET /api/v1/languages answers (a fixture: the table itself is the server's).
const table = [
  lang("python", ["py"], [], ["python3", "{main}"]),
  lang("c", ["c"], ["gcc", "-O2", "-o", "{binary}", "{sources}"], ["./{binary}"]),
];

const result = (over: Partial<RunVerdict> = {}): RunVerdict => ({
  verdict: "ok",
  exit_code: 0,
  signal: null,
  cpu_ms: 12,
  wall_ms: 1500,
  memory_kb: 8300,
  ...over,
});

describe("languageFor", () => {
  it("finds a file's language in the server's table by extension", () => {
    expect(languageFor("src/main.py", table)?.id).toBe("python");
    expect(languageFor("a.c", table)?.id).toBe("c");
    expect(languageFor("notes.txt", table)).toBeNull();
    expect(languageFor("Makefile", table)).toBeNull();
    expect(languageFor(".py", table)).toBeNull();
    expect(languageFor("main.py", [])).toBeNull();
  });
  it("names the compiler of compiled languages and the interpreter of the others", () => {
    expect(runtimeName(table[0])).toBe("python3");
    expect(runtimeName(table[1])).toBe("gcc");
  });
});

describe("verdict line", () => {
  it("names the verdict, exit code, times and memory", () => {
    expect(verdictLine(result())).toBe("OK · exit 0 · cpu 12 ms · wall 1.50 s · memory 8.1 MiB");
  });
  it("shows signals, stops and failures", () => {
    const r = result({ verdict: "time_limit_exceeded", exit_code: null, signal: 9, memory_kb: 900 });
    expect(verdictLine(r)).toBe("Time limit exceeded · signal 9 · cpu 12 ms · wall 1.50 s · memory 900 KiB");
    expect(verdictOk(r)).toBe(false);
    expect(verdictOk(result())).toBe(true);
    expect(verdictOk(result({ exit_code: 1, verdict: "runtime_error" }))).toBe(false);
    expect(prettyVerdict("compile_error")).toBe("Compile error");
    expect(verdictLine(result({ verdict: "stopped", exit_code: null, signal: 9 }))).toMatch(/^Stopped · signal 9/);
  });
});
