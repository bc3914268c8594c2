// Places in a program's output that the Output panel turns into links to the editor: Python's
// `File "x.py", line N` (tracebacks, SyntaxError) and the compilers' `x.c:N:M:` / `x.c:N:`
// (gcc, g++, clang, and node's `x.js:N`). Paths are as the program printed them; the pod runs
// in /workspace, so an absolute path there is made relative, and a path outside it (a library
// file, `<stdin>`) is no link.

export interface Location {
  /** Where the link is in the line (UTF-16 offsets, end exclusive). */
  start: number;
  end: number;
  path: string; // relative to the workspace root
  line: number; // 1-based
  column?: number; // 1-based
}

const PYTHON = /File "([^"\n]+)", line (\d+)/g;
// A path with an extension, then :line and optionally :column, then ':' or the end of a word.
const COMPILER = /((?:\.{0,2}\/)?[\w./+-]*[\w+-]\.[A-Za-z][\w+]*):(\d+)(?::(\d+))?(?=:|\)|\s|$)/g;

/** The workspace-relative path for a path printed by a program, or null when it is outside. */
export function workspacePath(printed: string): string | null {
  let p = printed;
  if (p.startsWith("/workspace/")) p = p.slice("/workspace/".length);
  else if (p.startsWith("/")) return null;
  while (p.startsWith("./")) p = p.slice(2);
  if (p === "" || p.startsWith("<") || p.split("/").includes("..")) return null;
  return p;
}

/** Every location in one line of output, left to right, not overlapping. */
export function findLocations(line: string): Location[] {
  const out: Location[] = [];
  for (const m of line.matchAll(PYTHON)) {
    const path = workspacePath(m[1]);
    if (path === null) continue;
    out.push({ start: m.index!, end: m.index! + m[0].length, path, line: Number(m[2]) });
  }
  for (const m of line.matchAll(COMPILER)) {
    const start = m.index!;
    const end = start + m[0].length;
    if (out.some((l) => start < l.end && end > l.start)) continue;
    const path = workspacePath(m[1]);
    if (path === null) continue;
    const loc: Location = { start, end, path, line: Number(m[2]) };
    if (m[3] !== undefined) loc.column = Number(m[3]);
    out.push(loc);
  }
  return out.sort((a, b) => a.start - b.start);
}

/** The distinct places in a whole output (for the list under the panel), first seen first. */
export function allLocations(text: string, exists?: (path: string) => boolean): Location[] {
  const seen = new Set<string>();
  const out: Location[] = [];
  for (const line of text.split(/\r?\n/)) {
    for (const loc of findLocations(line)) {
      const key = `${loc.path}:${loc.line}:${loc.column ?? ""}`;
      if (seen.has(key) || (exists && !exists(loc.path))) continue;
      seen.add(key);
      out.push(loc);
    }
  }
  return out;
}
