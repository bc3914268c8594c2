// Comment threads: each shows where it is anchored (a button that reveals the line in the
// editor), its comments oldest first, whether it is outdated (its lines changed in a later
// revision) or resolved, a reply box, and Resolve / Unresolve. NewCommentForm starts a thread on
// the whole review, a file, or lines of a file.
import { useState } from "react";
import { describeError } from "../api/errors";
import type { ReviewComment } from "./api";
import { anchorLabel, type Thread } from "./threads";

function who(c: ReviewComment, meId: string): string {
  if (c.author.id === meId) return "you";
  return c.author.username ?? "someone";
}

interface ThreadProps {
  thread: Thread;
  meId: string;
  canComment: boolean;
  onReveal?(line: number): void;
  onReply(to: ReviewComment, body: string): Promise<void>;
  onResolve(root: ReviewComment, resolved: boolean): Promise<void>;
}

export function ThreadView({ thread, meId, canComment, onReveal, onReply, onResolve }: ThreadProps) {
  const [reply, setReply] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const { root } = thread;
  const act = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  const anchor = anchorLabel(root);
  return (
    <article
      className={`thread${root.resolved ? " resolved" : ""}${root.outdated ? " outdated" : ""}`}
      data-testid="thread"
      data-thread={root.id}
      data-line={root.start_line ?? ""}
      aria-label={`Thread on ${anchor}`}
    >
      <header className="row thread-head">
        {root.start_line !== null && onReveal ? (
          <button className="link" onClick={() => onReveal(root.start_line!)}>
            {anchor}
          </button>
        ) : (
          <span>{anchor}</span>
        )}
        <span className="muted small">revision {root.revision}</span>
        {root.outdated && <span className="badge outdated">outdated</span>}
        {root.resolved && <span className="badge resolved-badge">resolved</span>}
      </header>
      {[root, ...thread.replies].map((c) => (
        <div key={c.id} className="comment" data-testid="comment">
          <div className="muted small">
            <strong>{who(c, meId)}</strong> · {new Date(c.created_at).toLocaleString()}
          </div>
          <p className="comment-body">{c.body}</p>
        </div>
      ))}
      {canComment && (
        <form
          className="thread-reply"
          onSubmit={(e) => {
            e.preventDefault();
            if (reply.trim() === "") return;
            void act(async () => {
              await onReply(thread.replies[thread.replies.length - 1] ?? root, reply.trim());
              setReply("");
            });
          }}
        >
          <label className="sr-only" htmlFor={`reply-${root.id}`}>
            Reply
          </label>
          <textarea id={`reply-${root.id}`} rows={2} placeholder="Reply…" value={reply} onChange={(e) => setReply(e.target.value)} />
          <div className="row end">
            <button type="button" disabled={busy} onClick={() => void act(() => onResolve(root, !root.resolved))}>
              {root.resolved ? "Unresolve" : "Resolve"}
            </button>
            <button type="submit" disabled={busy || reply.trim() === ""}>
              Reply
            </button>
          </div>
        </form>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </article>
  );
}

interface NewProps {
  /** null: a comment on the whole review. */
  path: string | null;
  lines: { start: number; end: number } | null;
  onLines?(lines: { start: number; end: number } | null): void;
  onSubmit(body: string): Promise<void>;
  bodyRef?: React.Ref<HTMLTextAreaElement>;
}

export function NewCommentForm({ path, lines, onLines, onSubmit, bodyRef }: NewProps) {
  const [body, setBody] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const where = path === null ? "the review" : lines ? `${path}, lines ${lines.start}–${lines.end}` : path;
  return (
    <form
      className="new-comment"
      aria-label={path === null ? "Comment on the review" : "New comment"}
      onSubmit={(e) => {
        e.preventDefault();
        if (body.trim() === "") return;
        setBusy(true);
        setError(null);
        onSubmit(body.trim())
          .then(() => setBody(""))
          .catch((err: unknown) => setError(describeError(err)))
          .finally(() => setBusy(false));
      }}
    >
      {path !== null && onLines && (
        <div className="row">
          <label className="field inline">
            <span>Start line</span>
            <input
              type="number"
              min={1}
              value={lines?.start ?? ""}
              onChange={(e) => {
                const n = Number(e.target.value);
                onLines(n > 0 ? { start: n, end: Math.max(n, lines?.end ?? n) } : null);
              }}
            />
          </label>
          <label className="field inline">
            <span>End line</span>
            <input
              type="number"
              min={1}
              value={lines?.end ?? ""}
              onChange={(e) => {
                const n = Number(e.target.value);
                if (lines && n >= lines.start) onLines({ start: lines.start, end: n });
              }}
            />
          </label>
          <button type="button" className="link" onClick={() => onLines(null)}>
            Whole file
          </button>
        </div>
      )}
      <label className="field">
        <span>Comment on {where}</span>
        <textarea ref={bodyRef} rows={3} value={body} onChange={(e) => setBody(e.target.value)} />
      </label>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="row end">
        <button type="submit" className="primary" disabled={busy || body.trim() === ""}>
          Add comment
        </button>
      </div>
    </form>
  );
}
