// How the Run button runs a file: the command for its language (executed in the workspace root
// by POST /workspaces/{id}/exec), and the verdict line shown under the output.
import type { ExecResult } from "../../api/types";

/** Quotes a word for sh: 'it''s' style, safe for any path. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The argv that runs `path`, or null when there is no runtime for its type. */
export function commandFor(path: string): string[] | null {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const ext = name.includes(".") ? name.slice(name.lastIndexOf(".") + 1).toLowerCase() : "";
  const q = shellQuote(path);
  switch (ext) {
    case "py":
      return ["python3", path];
    case "js":
    case "mjs":
    case "cjs":
      return ["node", path];
    case "sh":
    case "bash":
      return ["bash", path];
    case "c":
      return ["sh", "-c", `gcc -O2 -std=c17 -o /tmp/codeyard-run ${q} -lm && exec /tmp/codeyard-run`];
    case "cc":
    case "cpp":
    case "cxx":
      return ["sh", "-c", `g++ -O2 -std=c++20 -o /tmp/codeyard-run ${q} && exec /tmp/codeyard-run`];
    default:
      return null;
  }
}

/** A human name of the runtime, for the Run button's tooltip. */
export function runtimeName(path: string): string | null {
  const argv = commandFor(path);
  if (!argv) return null;
  if (argv[0] === "sh") return argv[2].startsWith("gcc") ? "gcc" : "g++";
  return argv[0];
}

function formatMemory(kb: number): string {
  if (kb >= 1024 * 1024) return `${(kb / 1024 / 1024).toFixed(1)} GiB`;
  if (kb >= 1024) return `${(kb / 1024).toFixed(1)} MiB`;
  return `${kb} KiB`;
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

/** "ok" -> "OK", "time_limit_exceeded" -> "Time limit exceeded". */
export function prettyVerdict(verdict: string): string {
  if (/^ok$/i.test(verdict)) return "OK";
  const words = verdict.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** "OK · exit 0 · cpu 12 ms · wall 40 ms · memory 8.1 MiB" */
export function verdictLine(r: ExecResult): string {
  const parts = [prettyVerdict(r.verdict)];
  if (r.exit_code !== null && r.exit_code !== undefined) parts.push(`exit ${r.exit_code}`);
  if (r.signal !== null && r.signal !== undefined) parts.push(`signal ${r.signal}`);
  parts.push(`cpu ${formatMs(r.cpu_ms)}`, `wall ${formatMs(r.wall_ms)}`, `memory ${formatMemory(r.memory_kb)}`);
  return parts.join(" · ");
}

/** True when the verdict is a success ("OK", "ok", "accepted"). */
export function verdictOk(r: ExecResult): boolean {
  return /^(ok|accepted|success)$/i.test(r.verdict) && (r.exit_code === 0 || r.exit_code === null);
}
