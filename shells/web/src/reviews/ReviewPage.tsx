// One review: its header (status, priority, level, people, description, decision message), the
// buttons its status allows the viewer (claim, unclaim, withdraw, resubmit, approve, request
// changes, reject), and three tabs: Files (a revision's file list, the file in a read-only
// Monaco editor, its comment threads beside it, and the review-wide threads), Changes (the
// diff between two revisions) and History (the append-only timeline). Everything reloads when
// an event about this review arrives on the page's events channel.
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { ApiError, describeError } from "../api/errors";
import type { User } from "../api/types";
import { useSession } from "../auth/session";
import { navigate } from "../router";
import { TopBar } from "../ui/TopBar";
import { usePolling } from "../ui/usePolling";
import { ReviewsApi, type Decision, type FileDiff, type HistoryEntry, type Review, type ReviewComment, type RevisionItem } from "./api";
import { allowedActions, statusLabel } from "./actions";
import { NewCommentForm, ThreadView } from "./CommentThreads";
import { DecisionDialog } from "./DecisionDialog";
import { DiffView } from "./DiffView";
import { HistoryTimeline } from "./HistoryTimeline";
import { isAboutReview, useLiveEvents } from "./live";
import { buildThreads, reviewThreads, threadsForFile, unresolvedByFile, type LineRange } from "./threads";

const ReviewCode = lazy(() => import("./ReviewCode"));
type Tab = "files" | "changes" | "history";
const TABS: { id: Tab; label: string }[] = [
  { id: "files", label: "Files" },
  { id: "changes", label: "Changes" },
  { id: "history", label: "History" },
];

export default function ReviewPage({ id }: { id: string }) {
  const { client } = useSession();
  const api = useMemo(() => new ReviewsApi(client), [client]);
  const [me, setMe] = useState<User | null>(null);
  const [review, setReview] = useState<Review | null>(null);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [tab, setTab] = useState<Tab>("files");
  const [chosenRevision, setChosenRevision] = useState<number | null>(null); // null: the latest
  const [tree, setTree] = useState<RevisionItem[]>([]);
  const [path, setPath] = useState<string | null>(null);
  const [text, setText] = useState<string | null>(null);
  const [comments, setComments] = useState<ReviewComment[]>([]);
  const [history, setHistory] = useState<HistoryEntry[]>([]);
  const [range, setRange] = useState<{ from: number; to: number } | null>(null);
  const [diff, setDiff] = useState<FileDiff[] | null>(null);
  const [lines, setLines] = useState<LineRange | null>(null);
  const [reveal, setReveal] = useState<{ line: number; seq: number } | null>(null);
  const [deciding, setDeciding] = useState<Decision | null>(null);
  const commentBox = useRef<HTMLTextAreaElement>(null);

  const revision = chosenRevision ?? review?.revision ?? 1;

  const fail = (err: unknown) => {
    if (err instanceof ApiError && err.status === 404) setMissing(true);
    else setError(describeError(err));
  };

  const loadReview = useCallback(async () => {
    try {
      const [u, r, h] = await Promise.all([client.me(), api.get(id), api.history(id)]);
      setMe(u);
      setReview(r);
      setHistory(h);
    } catch (err) {
      fail(err);
      throw err;
    }
  }, [api, client, id]);

  const loadComments = useCallback(async () => {
    try {
      setComments(await api.comments(id, revision));
    } catch (err) {
      fail(err);
    }
  }, [api, id, revision]);

  useEffect(() => {
    void loadReview().catch(() => {});
  }, [loadReview]);
  useEffect(() => {
    if (review) void loadComments();
  }, [loadComments, review]);

  // The tree of the revision shown; the first file opens.
  useEffect(() => {
    if (!review) return;
    let cancelled = false;
    api
      .tree(id, revision)
      .then((items) => {
        if (cancelled) return;
        setTree(items);
        setPath((p) => (p && items.some((i) => i.path === p && i.kind === "file") ? p : (items.find((i) => i.kind === "file")?.path ?? null)));
      })
      .catch(fail);
    return () => {
      cancelled = true;
    };
  }, [api, id, revision, review?.revision]);

  useEffect(() => {
    if (!path) {
      setText(null);
      return;
    }
    let cancelled = false;
    setLines(null);
    api
      .file(id, revision, path)
      .then((t) => !cancelled && setText(t))
      .catch(fail);
    return () => {
      cancelled = true;
    };
  }, [api, id, revision, path]);

  // The diff: by default the latest revision against the one before it.
  const latest = review?.revision ?? 1;
  const shownRange = range ?? { from: Math.max(1, latest - 1), to: latest };
  useEffect(() => {
    if (tab !== "changes" || !review) return;
    let cancelled = false;
    setDiff(null);
    api
      .diff(id, shownRange.from, shownRange.to)
      .then((d) => !cancelled && setDiff(d))
      .catch(fail);
    return () => {
      cancelled = true;
    };
  }, [api, id, tab, shownRange.from, shownRange.to, review?.updated_at]);

  const reload = () => {
    void loadReview().catch(() => {});
    void loadComments();
  };
  const connected = useLiveEvents((e) => {
    if (e === null || isAboutReview(e, id)) reload();
  });
  usePolling(loadReview, 15_000, !connected && !missing);

  const threads = useMemo(() => buildThreads(comments), [comments]);
  const fileThreads = useMemo(() => (path ? threadsForFile(threads, path) : []), [threads, path]);
  const unresolved = useMemo(() => unresolvedByFile(threads), [threads]);

  if (missing) {
    return (
      <div className="page">
        <TopBar />
        <main className="workspaces">
          <p className="error" role="alert">
            This review does not exist, or you may not see it.
          </p>
          <button onClick={() => navigate("/reviews")}>Back to reviews</button>
        </main>
      </div>
    );
  }
  if (!review || !me) {
    return (
      <div className="page">
        <TopBar />
        <main className="workspaces">{error ? <p className="error">{error}</p> : <p className="muted">Loading…</p>}</main>
      </div>
    );
  }

  const viewer = { id: me.id, role: me.role, reviewer_level: me.reviewer_level };
  const actions = allowedActions(viewer, review);
  const canComment = actions.includes("comment");
  const run = async (fn: () => Promise<Review>) => {
    setError(null);
    try {
      setReview(await fn());
      setChosenRevision(null);
      reload();
    } catch (err) {
      setError(describeError(err));
      reload();
    }
  };
  const addComment = async (body: string, where: { path?: string; lines?: LineRange | null }) => {
    await api.addComment(id, {
      revision,
      body,
      ...(where.path ? { path: where.path } : {}),
      ...(where.path && where.lines ? { start_line: where.lines.start, end_line: where.lines.end, side: "right" as const } : {}),
    });
    await loadComments();
  };
  const threadProps = {
    meId: me.id,
    canComment,
    onReveal: (line: number) => setReveal({ line, seq: Date.now() }),
    onReply: async (to: ReviewComment, body: string) => {
      await api.addComment(id, { revision, body, in_reply_to: to.id });
      await loadComments();
    },
    onResolve: async (root: ReviewComment, resolved: boolean) => {
      await api.setResolved(id, root.id, resolved);
      await loadComments();
    },
  };
  const person = (p: { id: string; username: string | null } | null) => (p === null ? "nobody yet" : p.id === me.id ? "you" : (p.username ?? "someone"));

  return (
    <div className="page review-page">
      <TopBar>
        <span className="ws-name" data-testid="review-title">
          {review.title}
        </span>
      </TopBar>
      <main className="review-main">
        <header className="review-head">
          <div className="row">
            <span className={`badge status-${review.status}`} data-testid="review-status">
              {statusLabel(review.status)}
            </span>
            <span className={`badge priority-${review.priority}`}>{review.priority}</span>
            <span className="muted">
              level {review.required_level} · by {person(review.author)} · reviewer {person(review.reviewer)} · revision{" "}
              <span data-testid="review-revision">{review.revision}</span>
            </span>
            <span className="spacer" />
            <div className="row review-actions" role="group" aria-label="Review actions">
              {actions.includes("claim") && <button className="primary" onClick={() => void run(() => api.transition(id, "claim"))}>Claim</button>}
              {actions.includes("decide") && (
                <>
                  <button className="primary" onClick={() => setDeciding("approve")}>Approve</button>
                  <button onClick={() => setDeciding("request_changes")}>Request changes</button>
                  <button className="danger" onClick={() => setDeciding("reject")}>Reject</button>
                </>
              )}
              {actions.includes("unclaim") && <button onClick={() => void run(() => api.transition(id, "unclaim"))}>Unclaim</button>}
              {actions.includes("resubmit") && (
                <button className="primary" onClick={() => void run(() => api.transition(id, "resubmit"))} title="Snapshot the workspace as a new revision">
                  Resubmit
                </button>
              )}
              {actions.includes("withdraw") && <button onClick={() => void run(() => api.transition(id, "withdraw"))}>Withdraw</button>}
              {review.author.id === me.id && (
                <button onClick={() => navigate(`/w/${encodeURIComponent(review.workspace_id)}`)}>Open workspace</button>
              )}
            </div>
          </div>
          {review.description && <p className="review-description">{review.description}</p>}
          {review.decision_message && (
            <blockquote className="decision-message" data-testid="decision-message">
              {statusLabel(review.status)}: {review.decision_message}
            </blockquote>
          )}
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
        </header>
        <div className="row review-tabs" role="tablist" aria-label="Review views">
          {TABS.map((t) => (
            <button
              key={t.id}
              id={`tab-${t.id}`}
              role="tab"
              tabIndex={tab === t.id ? 0 : -1}
              aria-selected={tab === t.id}
              className={tab === t.id ? "active" : ""}
              onClick={() => setTab(t.id)}
              onKeyDown={(e) => {
                const i = TABS.findIndex((x) => x.id === tab);
                const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? TABS.length - 1 : 0;
                if (step === 0) return;
                const next = TABS[(i + step) % TABS.length].id;
                setTab(next);
                document.getElementById(`tab-${next}`)?.focus();
              }}
            >
              {t.label}
            </button>
          ))}
          <span className="spacer" />
          {tab === "files" && (
            <label className="field inline">
              <span>Revision</span>
              <select value={revision} onChange={(e) => setChosenRevision(Number(e.target.value) === latest ? null : Number(e.target.value))}>
                {Array.from({ length: latest }, (_, i) => i + 1).map((n) => (
                  <option key={n} value={n}>
                    {n}
                    {n === latest ? " (latest)" : ""}
                  </option>
                ))}
              </select>
            </label>
          )}
          {tab === "changes" && latest > 1 && (
            <>
              <label className="field inline">
                <span>From</span>
                <select value={shownRange.from} onChange={(e) => setRange({ from: Number(e.target.value), to: shownRange.to })}>
                  {Array.from({ length: latest }, (_, i) => i + 1).map((n) => (
                    <option key={n} value={n}>
                      {n}
                    </option>
                  ))}
                </select>
              </label>
              <label className="field inline">
                <span>To</span>
                <select value={shownRange.to} onChange={(e) => setRange({ from: shownRange.from, to: Number(e.target.value) })}>
                  {Array.from({ length: latest }, (_, i) => i + 1).map((n) => (
                    <option key={n} value={n}>
                      {n}
                    </option>
                  ))}
                </select>
              </label>
            </>
          )}
        </div>
        {tab === "files" && (
          <div className="review-files" role="tabpanel" aria-label="Files">
            <nav className="review-tree" aria-label="Revision files">
              <ul>
                {tree.map((item) => (
                  <li key={item.path} style={{ paddingLeft: `${(item.path.split("/").length - 1) * 12}px` }}>
                    {item.kind === "dir" ? (
                      <span className="muted">{item.path.slice(item.path.lastIndexOf("/") + 1)}/</span>
                    ) : (
                      <button className={`link file-link${item.path === path ? " active" : ""}`} aria-current={item.path === path ? "true" : undefined} data-path={item.path} onClick={() => setPath(item.path)}>
                        {item.path.slice(item.path.lastIndexOf("/") + 1)}
                        {unresolved.get(item.path) ? <span className="badge count">{unresolved.get(item.path)}</span> : null}
                      </button>
                    )}
                  </li>
                ))}
              </ul>
            </nav>
            <div className="review-editor">
              {path && text !== null ? (
                <Suspense fallback={<p className="muted">Loading the editor…</p>}>
                  <ReviewCode
                    path={path}
                    text={text}
                    threads={fileThreads}
                    reveal={reveal}
                    onSelect={setLines}
                    onCommentKey={() => commentBox.current?.focus()}
                    onOpenThread={(rootId) => {
                      const el = document.querySelector<HTMLElement>(`[data-thread="${CSS.escape(rootId)}"]`);
                      el?.scrollIntoView({ block: "nearest" });
                      el?.querySelector<HTMLElement>("button, textarea")?.focus();
                    }}
                  />
                </Suspense>
              ) : (
                <p className="muted">{tree.length === 0 ? "This revision has no files." : "Choose a file."}</p>
              )}
            </div>
            <aside className="review-side" aria-label="Comments">
              {path && canComment && (
                <NewCommentForm path={path} lines={lines} onLines={setLines} bodyRef={commentBox} onSubmit={(body) => addComment(body, { path, lines })} />
              )}
              <h3>On {path ?? "this file"}</h3>
              {fileThreads.length === 0 && <p className="muted">No comments on this file.</p>}
              {fileThreads.map((t) => (
                <ThreadView key={t.root.id} thread={t} {...threadProps} />
              ))}
              <h3>On the whole review</h3>
              {reviewThreads(threads).map((t) => (
                <ThreadView key={t.root.id} thread={t} {...threadProps} />
              ))}
              {canComment && <NewCommentForm path={null} lines={null} onSubmit={(body) => addComment(body, {})} />}
            </aside>
          </div>
        )}
        {tab === "changes" && (
          <div className="review-scroll" role="tabpanel" aria-label="Changes">
            {latest === 1 && <p className="muted">Only one revision so far: its files are under Files.</p>}
            {latest > 1 && (diff === null ? <p className="muted">Loading the diff…</p> : <DiffView files={diff} />)}
          </div>
        )}
        {tab === "history" && (
          <div className="review-scroll" role="tabpanel" aria-label="History">
            <HistoryTimeline entries={history} meId={me.id} />
          </div>
        )}
      </main>
      {deciding && (
        <DecisionDialog
          decision={deciding}
          onCancel={() => setDeciding(null)}
          onDecide={async (message) => {
            const r = await api.decide(id, deciding, message);
            setDeciding(null);
            setReview(r);
            reload();
          }}
        />
      )}
    </div>
  );
}
