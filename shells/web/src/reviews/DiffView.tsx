// The changes between two revisions, per file (added, removed, changed) with its line hunks as
// a unified diff: old and new line numbers, then the line. Binary files and files past the
// server's diff bound show only their change.
import type { FileDiff } from "./api";

export interface DiffRow {
  kind: "context" | "removed" | "added" | "hunk";
  old: number | null;
  new: number | null;
  text: string;
}

/** A file's hunks as rows with line numbers (a hunk header row before each hunk). */
export function diffRows(file: FileDiff): DiffRow[] {
  const rows: DiffRow[] = [];
  for (const h of file.hunks) {
    rows.push({ kind: "hunk", old: null, new: null, text: `@@ -${h.old_start},${h.old_lines} +${h.new_start},${h.new_lines} @@` });
    let o = h.old_start;
    let n = h.new_start;
    for (const line of h.lines) {
      const mark = line.charAt(0);
      const text = line.slice(1);
      if (mark === "-") rows.push({ kind: "removed", old: o++, new: null, text });
      else if (mark === "+") rows.push({ kind: "added", old: null, new: n++, text });
      else rows.push({ kind: "context", old: o++, new: n++, text });
    }
  }
  return rows;
}

const SIGN: Record<DiffRow["kind"], string> = { context: " ", removed: "-", added: "+", hunk: "" };

export function DiffView({ files }: { files: FileDiff[] }) {
  if (files.length === 0) return <p className="muted">No file changed between these revisions.</p>;
  return (
    <div className="diff" data-testid="diff">
      {files.map((f) => (
        <section key={f.path} className="diff-file" aria-label={`${f.path} (${f.change})`} data-path={f.path}>
          <h3>
            <span className={`badge change-${f.change}`}>{f.change}</span> {f.path}
          </h3>
          {f.binary && <p className="muted">Binary file: no line diff.</p>}
          {f.too_large && <p className="muted">Too large to show as a line diff.</p>}
          {f.hunks.length > 0 && (
            <table className="diff-table">
              <tbody>
                {diffRows(f).map((r, i) => (
                  <tr key={i} className={`diff-${r.kind}`}>
                    <td className="ln">{r.old ?? ""}</td>
                    <td className="ln">{r.new ?? ""}</td>
                    <td className="code">
                      <span aria-hidden="true">{SIGN[r.kind]}</span>
                      {r.kind !== "context" && r.kind !== "hunk" && <span className="sr-only">{r.kind}: </span>}
                      {r.text}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      ))}
    </div>
  );
}
