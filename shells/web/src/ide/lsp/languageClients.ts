// The editor's language services: every Monaco model of a language with a server in the pod
// (python, c, cpp) is opened on that language's LspConnection, its edits are sent as they
// happen (whole text: documents are small, and the server then never sees a stale range),
// diagnostics come back as Monaco markers (red underlines) and completion asks the server.
// Hooks Monaco itself (model creation and disposal), so the editor component needs no change.
import { monaco } from "../editor/monaco";
import { reconnectDelay } from "../keptSocket";
import { LspConnection } from "./LspConnection";
import { LSP_LANGUAGES, fileUri, markerOf, pathOfUri, type LspCompletionItem, type LspDiagnostic } from "./protocol";

type Model = ReturnType<typeof monaco.editor.createModel>;
type Disposable = { dispose(): void };

const OWNER = "lsp";
// Closes after which reconnecting cannot help: no such workspace or program, unknown language.
const FINAL_CLOSES = new Set([1008, 4001, 4004]);

const SEVERITY = {
  error: monaco.MarkerSeverity.Error,
  warning: monaco.MarkerSeverity.Warning,
  info: monaco.MarkerSeverity.Info,
  hint: monaco.MarkerSeverity.Hint,
};

/** LSP CompletionItemKind (1-25) -> Monaco's. */
function completionKind(kind: number | undefined) {
  const k = monaco.languages.CompletionItemKind;
  const table: Record<number, number> = {
    2: k.Method, 3: k.Function, 4: k.Constructor, 5: k.Field, 6: k.Variable, 7: k.Class, 8: k.Interface,
    9: k.Module, 10: k.Property, 14: k.Keyword, 15: k.Snippet, 21: k.Constant, 22: k.Struct,
  };
  return (kind !== undefined ? table[kind] : undefined) ?? k.Text;
}

interface Doc {
  model: Model;
  language: string;
  uri: string;
  version: number;
  listeners: Disposable[];
}

export class LanguageClients {
  private readonly connections = new Map<string, LspConnection>();
  private readonly attempts = new Map<string, number>();
  private readonly docs = new Map<string, Doc>(); // by Monaco model URI
  private readonly disposables: Disposable[] = [];
  private disposed = false;

  constructor(
    private readonly workspaceId: string,
    private readonly token: () => Promise<string | null>,
  ) {
    for (const model of monaco.editor.getModels()) this.attach(model);
    this.disposables.push(monaco.editor.onDidCreateModel((m) => this.attach(m)));
    for (const language of Object.values(LSP_LANGUAGES)) {
      this.disposables.push(
        monaco.languages.registerCompletionItemProvider(language, {
          triggerCharacters: ["."],
          provideCompletionItems: (model, position) => this.complete(model, position),
        }),
      );
    }
  }

  dispose(): void {
    this.disposed = true;
    for (const d of this.disposables) d.dispose();
    for (const doc of this.docs.values()) {
      for (const l of doc.listeners) l.dispose();
      if (!doc.model.isDisposed()) monaco.editor.setModelMarkers(doc.model, OWNER, []);
    }
    this.docs.clear();
    for (const c of this.connections.values()) c.close();
    this.connections.clear();
  }

  private attach(model: Model): void {
    const language = LSP_LANGUAGES[model.getLanguageId()];
    if (!language || model.uri.scheme !== "codeyard") return;
    const path = model.uri.path.replace(/^\//, "");
    const doc: Doc = { model, language, uri: fileUri(path), version: 1, listeners: [] };
    this.docs.set(model.uri.toString(), doc);
    doc.listeners.push(
      model.onDidChangeContent(() => {
        doc.version += 1;
        void this.connections.get(language)?.notify("textDocument/didChange", {
          textDocument: { uri: doc.uri, version: doc.version },
          contentChanges: [{ text: model.getValue() }],
        }).catch(() => {});
      }),
      model.onWillDispose(() => {
        for (const l of doc.listeners) l.dispose();
        this.docs.delete(model.uri.toString());
        void this.connections.get(language)?.notify("textDocument/didClose", { textDocument: { uri: doc.uri } }).catch(() => {});
      }),
    );
    const connection = this.connectionFor(language);
    this.didOpen(connection, doc);
  }

  private didOpen(connection: LspConnection, doc: Doc): void {
    void connection
      .notify("textDocument/didOpen", {
        textDocument: { uri: doc.uri, languageId: doc.language, version: doc.version, text: doc.model.getValue() },
      })
      .catch(() => {});
  }

  private connectionFor(language: string): LspConnection {
    const existing = this.connections.get(language);
    if (existing) return existing;
    const connection = new LspConnection({
      workspaceId: this.workspaceId,
      language,
      token: this.token,
      onNotification: (method, params) => this.notified(method, params),
      onClose: (code) => this.closed(language, connection, code),
    });
    connection.whenReady().then(
      () => this.attempts.set(language, 0),
      () => {},
    );
    this.connections.set(language, connection);
    return connection;
  }

  private closed(language: string, connection: LspConnection, code: number): void {
    if (this.connections.get(language) !== connection) return;
    this.connections.delete(language);
    if (this.disposed || FINAL_CLOSES.has(code)) return;
    const attempt = this.attempts.get(language) ?? 0;
    this.attempts.set(language, attempt + 1);
    setTimeout(() => {
      const docs = [...this.docs.values()].filter((d) => d.language === language);
      if (this.disposed || docs.length === 0 || this.connections.has(language)) return;
      const fresh = this.connectionFor(language);
      for (const d of docs) this.didOpen(fresh, d);
    }, reconnectDelay(attempt));
  }

  private notified(method: string, params: unknown): void {
    if (method !== "textDocument/publishDiagnostics") return;
    const { uri, diagnostics } = params as { uri: string; diagnostics: LspDiagnostic[] };
    const path = pathOfUri(uri);
    if (path === null) return;
    const model = monaco.editor.getModel(monaco.Uri.from({ scheme: "codeyard", path: "/" + path }));
    if (!model) return;
    monaco.editor.setModelMarkers(
      model,
      OWNER,
      diagnostics.map((d) => {
        const m = markerOf(d);
        return { ...m, severity: SEVERITY[m.severity] };
      }),
    );
  }

  private async complete(model: Model, position: { lineNumber: number; column: number }) {
    const doc = this.docs.get(model.uri.toString());
    const connection = doc ? this.connections.get(doc.language) : undefined;
    if (!doc || !connection) return { suggestions: [] };
    let result: LspCompletionItem[] | { items: LspCompletionItem[] } | null;
    try {
      result = await connection.request("textDocument/completion", {
        textDocument: { uri: doc.uri },
        position: { line: position.lineNumber - 1, character: position.column - 1 },
      });
    } catch {
      return { suggestions: [] };
    }
    const items = Array.isArray(result) ? result : (result?.items ?? []);
    const word = model.getWordUntilPosition(position);
    const range = new monaco.Range(position.lineNumber, word.startColumn, position.lineNumber, word.endColumn);
    return {
      suggestions: items.map((item) => ({
        label: item.label,
        kind: completionKind(item.kind),
        detail: item.detail,
        insertText: item.textEdit?.newText ?? item.insertText ?? item.label,
        sortText: item.sortText,
        filterText: item.filterText,
        range,
      })),
    };
  }
}
