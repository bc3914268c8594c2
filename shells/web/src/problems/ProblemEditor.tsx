// The problem page's Monaco editor: one model for the chosen language's file, its text reported
// on every change (the page keeps it in localStorage) and readable at once through `reader`, so
// Run and Submit send exactly what the editor shows. Recreated when the language changes.
import { useEffect, useRef } from "react";
import { languageForPath } from "../ide/editor/language";
import { monaco } from "../ide/editor/monaco";

interface Props {
  file: string; // the language's source file name, for highlighting
  initial: string;
  onChange(text: string): void;
  reader: { current: (() => string) | null };
}

export default function ProblemEditor({ file, initial, onChange, reader }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const changed = useRef(onChange);
  changed.current = onChange;
  useEffect(() => {
    const model = monaco.editor.createModel(initial, languageForPath(file));
    const editor = monaco.editor.create(host.current!, {
      model,
      theme: "vs-dark",
      automaticLayout: true,
      fontSize: 14,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      fixedOverflowWidgets: true,
      ariaLabel: "Solution editor",
    });
    const sub = model.onDidChangeContent(() => changed.current(model.getValue()));
    reader.current = () => model.getValue();
    return () => {
      reader.current = null;
      sub.dispose();
      editor.dispose();
      model.dispose();
    };
    // The editor owns its text once created; `initial` only seeds it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [file]);
  return <div className="problem-editor" ref={host} data-testid="problem-editor" />;
}
