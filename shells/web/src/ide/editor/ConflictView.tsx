// The save conflict (412): the file changed on the server since the edits began. Both versions
// are shown side by side (the server's on the left, the person's on the right, editable so the
// two can be merged by hand), and the person chooses: save theirs-merged-into-mine over the
// server's version, or drop the edits and take the server's version. Nothing is overwritten
// until a button says so.
import { useEffect, useRef } from "react";
import type { OpenDoc } from "./documents";
import { languageForPath } from "./language";
import { monaco } from "./monaco";
import { monacoTheme } from "../../settings/apply";
import { settingsStore } from "../../settings/settings";
import { Modal } from "../../ui/Dialog";

type DiffEditor = ReturnType<typeof monaco.editor.createDiffEditor>;

// One diff editor for the page's life, moved into each conflict dialog. Disposing a Monaco diff
// editor leaves a disposed service behind that later hovers in the main editor trip over
// ("InstantiationService has been disposed", microsoft/monaco-editor#4612, in 0.55), so it
// is never disposed; only its models are.
let shared: { host: HTMLDivElement; diff: DiffEditor } | null = null;

function sharedDiffEditor(): { host: HTMLDivElement; diff: DiffEditor } {
  if (!shared) {
    const host = document.createElement("div");
    host.style.width = "100%";
    host.style.height = "100%";
    const diff = monaco.editor.createDiffEditor(host, {
      theme: monacoTheme(settingsStore.current), // Monaco's theme is global: keep the person's
      automaticLayout: true,
      renderSideBySide: true,
      originalEditable: false,
      minimap: { enabled: false },
      fontSize: 13,
    });
    shared = { host, diff };
  }
  return shared;
}

interface Props {
  doc: OpenDoc;
  onKeepMine(text: string): void;
  onTakeTheirs(): void;
  onCancel(): void;
}

export default function ConflictView({ doc, onKeepMine, onTakeTheirs, onCancel }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const mine = useRef<ReturnType<typeof monaco.editor.createModel> | null>(null);
  const theirsText = doc.conflict?.theirsText ?? "";

  useEffect(() => {
    const language = languageForPath(doc.path);
    const original = monaco.editor.createModel(theirsText, language);
    const modified = monaco.editor.createModel(doc.text, language);
    mine.current = modified;
    const { host: editorHost, diff } = sharedDiffEditor();
    host.current!.appendChild(editorHost);
    diff.setModel({ original, modified });
    diff.layout();
    return () => {
      diff.setModel(null);
      editorHost.remove();
      original.dispose();
      modified.dispose();
      mine.current = null;
    };
    // Built once per conflict; later edits happen inside the diff editor.
  }, [doc.path, theirsText]);

  return (
    <Modal title={`Conflict in ${doc.path}`} onCancel={onCancel} wide label="Save conflict">
      <p>
        This file was changed elsewhere (version {doc.conflict?.theirsVersion}) since you started editing (version{" "}
        {doc.savedVersion}). Choose which version to keep; you can also edit your version on the right before saving.
      </p>
      <div className="conflict-labels">
        <span>On the server</span>
        <span>Your version</span>
      </div>
      <div ref={host} className="conflict-diff" data-testid="conflict-diff" />
      <div className="row end">
        <button type="button" onClick={onCancel}>
          Decide later
        </button>
        <button type="button" onClick={onTakeTheirs}>
          Use the server's version
        </button>
        <button
          type="button"
          className="primary"
          data-autofocus
          onClick={() => onKeepMine(mine.current?.getValue() ?? doc.text)}
        >
          Save my version
        </button>
      </div>
    </Modal>
  );
}
