// Search across the workspace's files (Ctrl+Shift+F): a region named "Search" over the
// explorer with a text box named "Search", Match case and Regular expression, and the
// server's results (GET /workspaces/{id}/search: the library searches stored content; the
// page never downloads the files) grouped by file. A click or Enter on a line opens the file
// there. Typing searches after a short pause; Escape closes the panel and gives the focus back.
import { useEffect, useRef, useState } from "react";
import type { ApiClient } from "../../api/client";
import { describeError } from "../../api/errors";
import type { SearchResult } from "../../api/types";
import { stoppedAt } from "./summary";

const DEBOUNCE_MS = 250;

interface Props {
  workspaceId: string;
  client: ApiClient;
  onJump(path: string, line: number, column: number, length: number): void;
  onClose(): void;
}

function Snippet({ text, column, length }: { text: string; column: number; length: number }) {
  // text_column and length count UTF-16 units, as JavaScript strings do.
  const start = Math.max(0, column - 1);
  const lead = text.slice(0, start).trimStart();
  return (
    <span className="search-text">
      {lead}
      <mark>{text.slice(start, start + length)}</mark>
      {text.slice(start + length)}
    </span>
  );
}

export default function SearchPanel({ workspaceId, client, onJump, onClose }: Props) {
  const [query, setQuery] = useState("");
  const [caseSensitive, setCaseSensitive] = useState(false);
  const [regex, setRegex] = useState(false);
  const [result, setResult] = useState<SearchResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const seq = useRef(0);

  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, []);

  const runSearch = async (q: string) => {
    const mine = ++seq.current;
    if (!q) {
      setResult(null);
      setError(null);
      return;
    }
    setBusy(true);
    try {
      const r = await client.searchFiles(workspaceId, q, { caseSensitive, regex });
      if (mine !== seq.current) return;
      setResult(r);
      setError(null);
    } catch (err) {
      if (mine !== seq.current) return;
      setResult(null);
      setError(describeError(err));
    } finally {
      if (mine === seq.current) setBusy(false);
    }
  };

  useEffect(() => {
    const timer = setTimeout(() => void runSearch(query), DEBOUNCE_MS);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [query, caseSensitive, regex, workspaceId]);

  const summary = result
    ? `${result.matches} ${result.matches === 1 ? "line" : "lines"} in ${result.files.length} ${result.files.length === 1 ? "file" : "files"}` +
      (result.truncated ? ` (stopped at ${stoppedAt(result.truncated_by)})` : "")
    : "";

  return (
    <section
      className="search-panel"
      role="region"
      aria-label="Search"
      data-testid="search-panel"
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.preventDefault();
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <div className="search-head">
        <h2>Search</h2>
        <button className="icon-btn" aria-label="Close search" title="Close (Escape)" onClick={onClose}>
          ×
        </button>
      </div>
      <form
        className="search-form"
        onSubmit={(e) => {
          e.preventDefault();
          void runSearch(query);
        }}
      >
        <input ref={input} type="text" className="search-input" aria-label="Search" placeholder="Search in all files" value={query} spellCheck={false} onChange={(e) => setQuery(e.target.value)} />
        <label className="check">
          <input type="checkbox" checked={caseSensitive} onChange={(e) => setCaseSensitive(e.target.checked)} /> Match case
        </label>
        <label className="check">
          <input type="checkbox" checked={regex} onChange={(e) => setRegex(e.target.checked)} /> Regular expression
        </label>
      </form>
      <p className="muted search-summary" role="status" aria-live="polite">
        {busy ? "Searching…" : summary}
      </p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {result && (
        <ul className="search-results" aria-label="Search results">
          {result.files.map((file) => (
            <li key={file.path}>
              <div className="search-file" title={file.path}>
                {file.path} <span className="muted">({file.matches.length})</span>
              </div>
              <ul>
                {file.matches.map((m) => (
                  <li key={m.line}>
                    <button
                      className="search-hit"
                      data-path={file.path}
                      data-line={m.line}
                      aria-label={`${file.path} line ${m.line}: ${m.text.trim()}`}
                      onClick={() => onJump(file.path, m.line, m.column, m.length)}
                    >
                      <span className="search-line">{m.line}</span>
                      <Snippet text={m.text} column={m.text_column} length={m.length} />
                    </button>
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
