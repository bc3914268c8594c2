// Go to file (Ctrl+P): a dialog with a text box and the workspace's files ranked by a fuzzy
// match of what is typed (fuzzy.ts), over the tree the IDE already has. Up/Down choose, Enter
// opens, Escape closes (the focus goes back where it was).
import { useMemo, useState } from "react";
import { Modal } from "../../ui/Dialog";
import { rankFiles } from "./fuzzy";

interface Props {
  paths: readonly string[];
  onOpen(path: string): void;
  onClose(): void;
}

function Highlighted({ path, positions }: { path: string; positions: number[] }) {
  const marked = new Set(positions);
  return (
    <>
      {[...path].map((ch, i) => (marked.has(i) ? <mark key={i}>{ch}</mark> : <span key={i}>{ch}</span>))}
    </>
  );
}

export default function GoToFile({ paths, onOpen, onClose }: Props) {
  const [query, setQuery] = useState("");
  const [index, setIndex] = useState(0);
  const matches = useMemo(() => rankFiles(query, paths), [query, paths]);
  const chosen = matches[Math.min(index, matches.length - 1)];
  const open = (path: string | undefined) => {
    if (!path) return;
    onClose();
    onOpen(path);
  };
  return (
    <Modal title="Go to file" onCancel={onClose} label="Go to file">
      <input
        className="goto-input"
        aria-label="File name"
        role="combobox"
        aria-expanded="true"
        aria-controls="goto-list"
        aria-activedescendant={chosen ? `goto-${matches.indexOf(chosen)}` : undefined}
        placeholder="Type a file name"
        value={query}
        spellCheck={false}
        data-autofocus
        onChange={(e) => {
          setQuery(e.target.value);
          setIndex(0);
        }}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") {
            e.preventDefault();
            setIndex((i) => Math.min(i + 1, matches.length - 1));
          } else if (e.key === "ArrowUp") {
            e.preventDefault();
            setIndex((i) => Math.max(i - 1, 0));
          } else if (e.key === "Enter") {
            e.preventDefault();
            open(chosen?.path);
          }
        }}
      />
      <ul className="goto-list" id="goto-list" role="listbox" aria-label="Files">
        {matches.map((m, i) => (
          <li
            key={m.path}
            id={`goto-${i}`}
            role="option"
            aria-selected={m === chosen}
            className={m === chosen ? "active" : ""}
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => open(m.path)}
          >
            <Highlighted path={m.path} positions={m.positions} />
          </li>
        ))}
        {matches.length === 0 && <li className="muted">No file matches.</li>}
      </ul>
    </Modal>
  );
}
