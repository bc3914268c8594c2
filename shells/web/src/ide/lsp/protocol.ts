// The small part of the Language Server Protocol the editor speaks (diagnostics and
// completion), as pure functions: the language-server socket's URL, JSON-RPC messages, and
// LSP's shapes turned into Monaco's. The WebSocket carries one JSON-RPC message per text
// frame; the server frames them with Content-Length inside the pod.

/** Languages with a server in the pod (codeyard/language_servers.hpp), by Monaco language id. */
export const LSP_LANGUAGES: Record<string, string> = { python: "python", c: "c", cpp: "cpp" };

/** Where the workspace's files are inside the pod: file URIs are under it. */
export const WORKSPACE_ROOT = "file:///workspace";

export function lspUrl(location: { protocol: string; host: string }, workspaceId: string, language: string): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/api/v1/workspaces/${encodeURIComponent(workspaceId)}/lsp?language=${encodeURIComponent(language)}`;
}

/** The pod's file URI of a workspace path ("src/a b.py" -> file:///workspace/src/a%20b.py). */
export function fileUri(path: string): string {
  return `${WORKSPACE_ROOT}/${path.split("/").map(encodeURIComponent).join("/")}`;
}

/** The workspace path of a file URI under the root, or null. */
export function pathOfUri(uri: string): string | null {
  if (!uri.startsWith(WORKSPACE_ROOT + "/")) return null;
  return uri.slice(WORKSPACE_ROOT.length + 1).split("/").map(decodeURIComponent).join("/");
}

export interface LspPosition {
  line: number;
  character: number;
}
export interface LspRange {
  start: LspPosition;
  end: LspPosition;
}
export interface LspDiagnostic {
  range: LspRange;
  severity?: number;
  message: string;
  source?: string;
  code?: string | number;
}
export interface LspCompletionItem {
  label: string;
  kind?: number;
  detail?: string;
  insertText?: string;
  textEdit?: { newText: string; range?: LspRange };
  sortText?: string;
  filterText?: string;
}

/** A Monaco marker's fields from an LSP diagnostic (Monaco counts from 1, LSP from 0). */
export function markerOf(d: LspDiagnostic): {
  severity: "error" | "warning" | "info" | "hint";
  message: string;
  startLineNumber: number;
  startColumn: number;
  endLineNumber: number;
  endColumn: number;
  source?: string;
} {
  const severity = d.severity === 2 ? "warning" : d.severity === 3 ? "info" : d.severity === 4 ? "hint" : "error";
  return {
    severity,
    message: d.message,
    startLineNumber: d.range.start.line + 1,
    startColumn: d.range.start.character + 1,
    endLineNumber: d.range.end.line + 1,
    // An empty range would draw nothing: underline at least one character.
    endColumn: Math.max(d.range.end.character + 1, d.range.start.line === d.range.end.line ? d.range.start.character + 2 : 1),
    source: d.source,
  };
}

/** The client capabilities the editor uses. */
export function initializeParams(processId: null = null): object {
  return {
    processId,
    rootUri: WORKSPACE_ROOT,
    workspaceFolders: [{ uri: WORKSPACE_ROOT, name: "workspace" }],
    capabilities: {
      textDocument: {
        synchronization: { didSave: false, dynamicRegistration: false },
        publishDiagnostics: { relatedInformation: false },
        completion: { completionItem: { snippetSupport: false, documentationFormat: ["plaintext"] } },
      },
    },
  };
}
