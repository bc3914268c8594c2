// One Monaco editor showing the active tab. Each open file has its own Monaco model (own undo
// history and language); switching tabs swaps the model and restores the cursor and scroll.
// Text set from outside (a reload from the server, "take theirs"; OpenDoc.external says when) is
// applied as an edit so undo still works, and is not reported back as a person's edit. The
// editor's own text is never replaced by the document's: while typing, the document lags.
// Each model registers a reader of its text in `buffers`, so a save takes exactly what the
// editor shows, the last keystrokes included.
import { useEffect, useRef } from "react";
import { monacoTheme } from "../../settings/apply";
import { useUserSettings } from "../../settings/settings";
import type { DocsState } from "./documents";
import { languageForPath } from "./language";
import { monaco } from "./monaco";

type Editor = ReturnType<typeof monaco.editor.create>;
type Model = ReturnType<typeof monaco.editor.createModel>;
type ViewState = ReturnType<Editor["saveViewState"]>;

interface Props {
  state: DocsState;
  onEdit(path: string, text: string): void;
  buffers: Map<string, () => string>;
  onBlur?(): void; // the editor's text lost focus (autosave)
}

export default function CodeEditor({ state, onEdit, buffers, onBlur }: Props) {
  const settings = useUserSettings();
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<Editor | null>(null);
  const models = useRef(new Map<string, Model>());
  const views = useRef(new Map<string, ViewState>());
  const external = useRef(new Map<string, number>());
  const applying = useRef(false);
  const shown = useRef<string | null>(null);
  const onEditRef = useRef(onEdit);
  onEditRef.current = onEdit;
  const onBlurRef = useRef(onBlur);
  onBlurRef.current = onBlur;

  useEffect(() => {
    const e = monaco.editor.create(host.current!, {
      model: null,
      theme: monacoTheme(settings),
      automaticLayout: true,
      fontSize: settings.font_size,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      tabSize: settings.tab_size,
      detectIndentation: false, // the tab size is the person's setting
      renderWhitespace: "selection",
      // Enter is always a new line; Tab accepts a suggestion. With "on" the Enter of
      // `x = True⏎` vanished whenever the word list had opened in time (the `browser:
      // conflict` flake); "smart" still took it once the language server's completion (whose
      // items replace a range) was in the list.
      acceptSuggestionOnEnter: "off",
      fixedOverflowWidgets: true,
      ariaLabel: "Code editor",
    });
    editor.current = e;
    const blur = e.onDidBlurEditorText(() => onBlurRef.current?.());
    const all = models.current;
    return () => {
      blur.dispose();
      e.dispose();
      for (const [path, m] of all) {
        if (buffers.get(path)) buffers.delete(path);
        m.dispose();
      }
      all.clear();
      editor.current = null;
    };
  }, []);

  // The settings apply at once: theme (global to Monaco), font size, and each model's tab size.
  useEffect(() => {
    monaco.editor.setTheme(monacoTheme(settings));
    editor.current?.updateOptions({ fontSize: settings.font_size });
    for (const model of models.current.values()) model.updateOptions({ tabSize: settings.tab_size, indentSize: settings.tab_size });
  }, [settings]);
  const tabSize = useRef(settings.tab_size);
  tabSize.current = settings.tab_size;

  // Models follow the open documents.
  useEffect(() => {
    const all = models.current;
    for (const [path, model] of all) {
      if (!state.docs[path]) {
        // Detach a model from the editor before disposing it: disposing the shown model lets
        // the editor's pending work on it (word highlights, hovers) reject with "Canceled".
        const e = editor.current;
        if (e && e.getModel() === model) {
          e.setModel(null);
          shown.current = null;
        }
        model.dispose();
        all.delete(path);
        buffers.delete(path);
        views.current.delete(path);
        external.current.delete(path);
      }
    }
    for (const doc of Object.values(state.docs)) {
      if (doc.binary) continue;
      let model = all.get(doc.path);
      const seen = external.current.get(doc.path);
      external.current.set(doc.path, doc.external);
      if (!model) {
        const uri = monaco.Uri.from({ scheme: "codeyard", path: "/" + doc.path });
        monaco.editor.getModel(uri)?.dispose();
        model = monaco.editor.createModel(doc.text, languageForPath(doc.path), uri);
        model.updateOptions({ tabSize: tabSize.current, indentSize: tabSize.current });
        const path = doc.path;
        const m = model;
        model.onDidChangeContent(() => {
          if (!applying.current) onEditRef.current(path, m.getValue());
        });
        all.set(doc.path, model);
        buffers.set(path, () => m.getValue());
      } else if (seen !== doc.external && model.getValue() !== doc.text) {
        // Only text set from outside is copied in: while typing, doc.text may lag the model.
        applying.current = true;
        try {
          model.pushEditOperations([], [{ range: model.getFullModelRange(), text: doc.text }], () => null);
        } finally {
          applying.current = false;
        }
      }
    }
  }, [state.docs, buffers]);

  // The editor shows the active document.
  useEffect(() => {
    const e = editor.current;
    if (!e) return;
    const active = state.active;
    if (shown.current === active) return;
    if (shown.current && models.current.has(shown.current)) views.current.set(shown.current, e.saveViewState());
    const model = active ? models.current.get(active) : undefined;
    e.setModel(model ?? null);
    shown.current = model ? active : null;
    if (model && active) {
      const view = views.current.get(active);
      if (view) e.restoreViewState(view);
      // A tab chosen with the arrow keys keeps the focus in the tab list (WAI-ARIA tabs).
      if (!document.activeElement?.closest("[role=tablist][data-arrowing]")) e.focus();
    }
  }, [state.active, state.docs]);

  const activeDoc = state.active ? state.docs[state.active] : undefined;
  return (
    <div className="code-editor">
      <div ref={host} className="monaco-host" data-testid="editor" hidden={!activeDoc || activeDoc.binary} />
      {activeDoc?.binary && (
        <div className="placeholder">
          <p>
            <strong>{activeDoc.path}</strong> is a binary file and is not shown here.
          </p>
        </div>
      )}
      {!activeDoc && (
        <div className="placeholder">
          <p>Open a file from the explorer, or create one.</p>
          <p className="muted">
            <kbd>Ctrl</kbd>+<kbd>S</kbd> saves · <kbd>F5</kbd> runs the current file
          </p>
        </div>
      )}
    </div>
  );
}
