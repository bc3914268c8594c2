// A revision's file in a read-only Monaco editor. Lines with comment threads are marked (a
// highlighted line and a glyph whose hover shows the thread); the selected lines are reported
// so the comment form can anchor a new thread on them, and `reveal` scrolls a thread's line
// into view. Alt+C in the editor asks to comment on the selected lines.
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
}

export default function ReviewCode({ path, text, threads, reveal, onSelect, onCommentKey }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<Editor | null>(null);
  const decorations = useRef<ReturnType<Editor["createDecorationsCollection"]> | null>(null);
  const callbacks = useRef({ onSelect, onCommentKey });
  callbacks.current = { onSelect, onCommentKey };

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
  }, [threads, path, text]);

  useEffect(() => {
    if (!reveal || !editor.current) return;
    editor.current.revealLineInCenter(reveal.line);
    editor.current.setSelection(new monaco.Range(reveal.line, 1, reveal.line, 1));
  }, [reveal]);

  return <div ref={host} className="review-code monaco-host" data-testid="review-code" />;
}
