// The JSON shapes of the Codeyard REST API (docs/api.md) that the UI uses.

export interface User {
  id: string;
  username: string;
  role: string;
  reviewer_level: number;
}

export interface AuthResponse {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  user: User;
}

export type WorkspaceState = "stopped" | "starting" | "running" | "stopping" | string;

export interface Workspace {
  id: string;
  name: string;
  state: WorkspaceState;
  created_at: number | string; // milliseconds since the epoch
  updated_at: number | string;
  version: number;
  /** The owner shares the terminal read-only with the reviewer of an in_review review. */
  terminal_shared?: boolean;
  /** What it holds now, as its quotas count it. */
  usage?: { bytes: number; entries: number };
}

export type ItemKind = "file" | "dir";

export interface FileInfo {
  path: string;
  kind: ItemKind;
  size: number;
  version: number;
  mtime: string | number;
}

export interface FileContent {
  text: string;
  version: number;
  binary: boolean;
}

export interface ExecRequest {
  argv: string[];
  stdin?: string;
  cwd?: string;
  time_limit_s?: number;
  memory_limit_mb?: number;
}

export interface ExecResult {
  verdict: string;
  exit_code: number | null;
  signal: number | null;
  stdout: string;
  stderr: string;
  cpu_ms: number;
  wall_ms: number;
  memory_kb: number;
}

/** One page of a list route; `next_cursor` is null (or absent, from older servers) on the last. */
export interface ListPage<T> {
  items: T[];
  next_cursor?: string | null;
}

// ---- run17 ----
/** One row of the server's language table (GET /api/v1/languages). */
export interface LanguageInfo {
  id: string;
  name: string;
  aliases: string[];
  source_file: string;
  extensions: string[]; // without the dot
  compiled: boolean;
  compile_command: string[];
  run_command: string[];
  version_command: string[];
}

/** POST /workspaces/{id}/previews (relay17): where the preview of a port is, until when. */
export interface PreviewTicket {
  url: string;
  port: number;
  expires_at: number;
}

// ---- search (term17) -------------------------------------------------------------------------

/** One matching line: 1-based line, column and length in UTF-16 units, the line (cut around the match). */
export interface SearchMatch {
  line: number;
  column: number;
  length: number;
  text: string;
  text_column: number;
}

export interface SearchResult {
  files: { path: string; matches: SearchMatch[] }[];
  matches: number;
  files_scanned: number;
  files_skipped: number;
  bytes_scanned: number;
  truncated: boolean;
  truncated_by?: string;
}
