// What the Run button knows of languages and verdicts. Which files run, and how, is the
// server's language table (GET /api/v1/languages): the UI only asks it whether a file has a
// language (to enable Run and name the runtime in its tooltip); the argv that runs is chosen
// by the server and shown as it sent it. The verdict line is built from the run's last status.
import type { LanguageInfo } from "../../api/types";

/** The verdict of a finished run: the run WebSocket's {"state":"exited"} status. */
export interface RunVerdict {
  phase?: "compile" | "run" | string;
  verdict: string;
  reason?: string; // a stopped run: "stop", "replaced", "disconnected", "shutdown"
  exit_code?: number | null;
  signal?: number | null;
  cpu_ms?: number;
  wall_ms?: number;
  memory_kb?: number;
  message?: string;
}

/** The language of `path` by its extension, or null when the table has none. */
export function languageFor(path: string, languages: readonly LanguageInfo[]): LanguageInfo | null {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return null;
  const ext = name.slice(dot + 1);
  return languages.find((l) => l.extensions.includes(ext)) ?? null;
}

/** A human name of the runtime, for the Run button's tooltip: the compiler or interpreter. */
export function runtimeName(language: LanguageInfo): string {
  return (language.compiled ? language.compile_command[0] : language.run_command[0]) ?? language.name;
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
export function verdictLine(r: RunVerdict): string {
  const parts = [prettyVerdict(r.verdict)];
  if (r.reason === "replaced") parts[0] += " (a new run replaced it)";
  if (r.exit_code !== null && r.exit_code !== undefined) parts.push(`exit ${r.exit_code}`);
  if (r.signal !== null && r.signal !== undefined) parts.push(`signal ${r.signal}`);
  if (r.cpu_ms !== undefined) parts.push(`cpu ${formatMs(r.cpu_ms)}`);
  if (r.wall_ms !== undefined) parts.push(`wall ${formatMs(r.wall_ms)}`);
  if (r.memory_kb !== undefined) parts.push(`memory ${formatMemory(r.memory_kb)}`);
  if (r.message) parts.push(r.message);
  return parts.join(" · ");
}

/** True when the program ran and exited 0. */
export function verdictOk(r: RunVerdict): boolean {
  return /^(ok|accepted|success)$/i.test(r.verdict) && (r.exit_code === 0 || r.exit_code == null);
}
