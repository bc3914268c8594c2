// A revision's file in a read-only Monaco editor. Lines with comment threads are marked (a
// highlighted line and a glyph whose hover shows the thread), and each thread is shown inline
// under its last line (a Monaco view zone: who said what, the last comments, outdated and
// resolved); a click on it asks the page to show the thread in the panel, where replying and
// resolving happen (a view zone has no focus of its own). The selected lines are reported so
// the comment form can anchor a new thread on them, and `reveal` scrolls a thread's line into
// view. Alt+C in the editor asks to comment on the selected lines.
import { useEffect, useRef } from "react";
import { languageForPath } from "../ide/editor/language";
import { monaco } from "../ide/editor/monaco";
import { selectionLines, type LineRange, type Thread } from "./threads";

type Editor = ReturnType<typeof monaco.editor.create>;


interface Props {
  path: string;
  text: string;
  threads: Thread[];
  reveal: { line: number; seq: number } | null;
  onSelect(range: LineRange): void;
  onCommentKey(): void;
  onOpenThread(rootId: string): void;
}

const ZONE_LINE_PX = 20;
const ZONE_MAX_COMMENTS = 3;

/** The inline summary of a thread: its state and its last few comments, as plain DOM. */
function zoneNode(t: Thread, onOpen: () => void): { node: HTMLDivElement; height: number } {
  const node = document.createElement("div");
  node.className = `inline-thread${t.root.resolved ? " resolved" : ""}`;
  node.dataset.line = String(t.root.start_line);
  node.title = "Show this thread in the comments panel";
  const all = [t.root, ...t.replies];
  const shown = all.slice(-ZONE_MAX_COMMENTS);
  const head = document.createElement("div");
  head.className = "inline-thread-head";
  const states = [t.root.outdated ? "outdated" : "", t.root.resolved ? "resolved" : ""].filter(Boolean).join(", ");
  head.textContent = `${all.length} comment${all.length === 1 ? "" : "s"}${states ? ` · ${states}` : ""}${all.length > shown.length ? " · latest:" : ""}`;
  node.appendChild(head);
  for (const c of shown) {
    const line = document.createElement("div");
    line.className = "inline-comment";
    const who = document.createElement("strong");
    who.textContent = `${c.author.username ?? "someone"}: `;
    line.appendChild(who);
    line.appendChild(document.createTextNode(c.body.split("\n")[0]));
    node.appendChild(line);
  }
  node.addEventListener("mousedown", (e) => {
    e.preventDefault();
    e.stopPropagation();
    onOpen();
  });
  return { node, height: (shown.length + 1) * ZONE_LINE_PX + 8 };
}

export default function ReviewCode({ path, text, threads, reveal, onSelect, onCommentKey, onOpenThread }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<Editor | null>(null);
  const decorations = useRef<ReturnType<Editor["createDecorationsCollection"]> | null>(null);
  const zones = useRef<string[]>([]);
  const callbacks = useRef({ onSelect, onCommentKey, onOpenThread });
  callbacks.current = { onSelect, onCommentKey, onOpenThread };

  useEffect(() => {
    const e = monaco.editor.create(host.current!, {
      model: null,
      theme: "vs-dark",
      readOnly: true,
      domReadOnly: true,
      automaticLayout: true,
      fontSize: 14,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      glyphMargin: true,
      fixedOverflowWidgets: true,
      ariaLabel: "Revision file (read-only)",
    });
    editor.current = e;
    decorations.current = e.createDecorationsCollection([]);
    const sel = e.onDidChangeCursorSelection((ev) => callbacks.current.onSelect(selectionLines(ev.selection)));
    e.addAction({
      id: "codeyard.comment",
      label: "Comment on the selected lines",
      keybindings: [monaco.KeyMod.Alt | monaco.KeyCode.KeyC],
      run: () => callbacks.current.onCommentKey(),
    });
    return () => {
      sel.dispose();
      e.getModel()?.dispose();
      e.dispose();
      editor.current = null;
    };
  }, []);

  useEffect(() => {
    const e = editor.current!;
    const old = e.getModel();
    e.setModel(monaco.editor.createModel(text, languageForPath(path)));
    old?.dispose();
  }, [path, text]);

  useEffect(() => {
    const lines = threads.filter((t) => t.root.start_line !== null && t.root.side !== "left");
    decorations.current?.set(
      lines.map((t) => ({
        range: new monaco.Range(t.root.start_line!, 1, t.root.end_line ?? t.root.start_line!, 1),
        options: {
          isWholeLine: true,
          className: t.root.resolved ? "comment-line resolved" : "comment-line",
          glyphMarginClassName: t.root.resolved ? "comment-glyph resolved" : "comment-glyph",
          glyphMarginHoverMessage: {
            value: [t.root, ...t.replies].map((c) => `**${c.author.username ?? "someone"}**: ${c.body}`).join("\n\n"),
          },
        },
      })),
    );
    const e = editor.current!;
    const lastLine = e.getModel()?.getLineCount() ?? 0;
    e.changeViewZones((acc) => {
      for (const z of zones.current) acc.removeZone(z);
      zones.current = lines.map((t) => {
        const { node, height } = zoneNode(t, () => callbacks.current.onOpenThread(t.root.id));
        const after = Math.min(t.root.end_line ?? t.root.start_line!, lastLine);
        return acc.addZone({ afterLineNumber: after, heightInPx: height, domNode: node });
      });
    });
  }, [threads, path, text]);

  useEffect(() => {
    if (!reveal || !editor.current) return;
    editor.current.revealLineInCenter(reveal.line);
    editor.current.setSelection(new monaco.Range(reveal.line, 1, reveal.line, 1));
  }, [reveal]);

  return <div ref={host} className="review-code monaco-host" data-testid="review-code" />;
}
