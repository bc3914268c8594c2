// Comments as threads: a root comment (no in_reply_to, or one whose parent is gone) and its
// replies, oldest first. A reply to a reply joins its root's thread. A thread is anchored where
// its root is (the whole review, a file, or lines of a file); it is resolved and outdated as its
// root is, since the server resolves and marks the comment asked about.
import type { ReviewComment } from "./api";

export interface Thread {
  root: ReviewComment;
  replies: ReviewComment[];
}

export function buildThreads(comments: ReviewComment[]): Thread[] {
  const byId = new Map(comments.map((c) => [c.id, c]));
  const rootOf = (c: ReviewComment): ReviewComment => {
    const seen = new Set<string>();
    let at = c;
    while (at.in_reply_to && byId.has(at.in_reply_to) && !seen.has(at.id)) {
      seen.add(at.id);
      at = byId.get(at.in_reply_to)!;
    }
    return at;
  };
  const threads = new Map<string, Thread>();
  const ordered = [...comments].sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1));
  for (const c of ordered) {
    const root = rootOf(c);
    let t = threads.get(root.id);
    if (!t) {
      t = { root, replies: [] };
      threads.set(root.id, t);
    }
    if (c !== root) t.replies.push(c);
  }
  return [...threads.values()];
}

/** The threads on one file, by their first line (file-level threads first). */
export function threadsForFile(threads: Thread[], path: string): Thread[] {
  return threads
    .filter((t) => t.root.path === path)
    .sort((a, b) => (a.root.start_line ?? 0) - (b.root.start_line ?? 0) || a.root.created_at - b.root.created_at);
}

/** Threads on the whole review (no path). */
export function reviewThreads(threads: Thread[]): Thread[] {
  return threads.filter((t) => t.root.path === null);
}

/** How many unresolved threads each file has. */
export function unresolvedByFile(threads: Thread[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of threads) {
    if (t.root.path !== null && !t.root.resolved) out.set(t.root.path, (out.get(t.root.path) ?? 0) + 1);
  }
  return out;
}

/** "line 3", "lines 3–5", "file": where a thread is anchored. */
export function anchorLabel(c: ReviewComment): string {
  if (c.path === null) return "review";
  if (c.start_line === null) return "file";
  const end = c.end_line ?? c.start_line;
  const side = c.side === "left" ? " (old)" : "";
  return end > c.start_line ? `lines ${c.start_line}–${end}${side}` : `line ${c.start_line}${side}`;
}

export interface LineRange {
  start: number;
  end: number;
}

/** The lines a Monaco selection covers; a selection ending at column 1 stops at the line before. */
export function selectionLines(s: { startLineNumber: number; endLineNumber: number; endColumn: number }): LineRange {
  let end = s.endLineNumber;
  if (end > s.startLineNumber && s.endColumn === 1) end -= 1;
  return { start: s.startLineNumber, end };
}
