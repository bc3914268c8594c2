// The Reviews page: my own reviewer level (self-service 0-4), my queue (pending reviews I may
// claim, priority then age, filterable by priority, with a Claim button each), the reviews
// assigned to me, my requests, and every reviewer with their level and statistics. Lists reload
// when a review event or notification arrives on the page's events channel, and poll slowly
// while it is down.
import { useCallback, useEffect, useMemo, useState } from "react";
import { describeError } from "../api/errors";
import type { User } from "../api/types";
import { useSession } from "../auth/session";
import { navigate } from "../router";
import { TopBar } from "../ui/TopBar";
import { usePolling } from "../ui/usePolling";
import { LEVELS, PRIORITIES, ReviewsApi, type Priority, type Review, type Reviewer } from "./api";
import { formatDuration, queueOrder, statusLabel } from "./actions";
import { useLiveEvents } from "./live";

const FALLBACK_POLL_MS = 15_000;

interface Lists {
  author: Review[];
  queue: Review[];
  assigned: Review[];
  reviewers: Reviewer[];
}

export function ReviewLink({ review }: { review: Review }) {
  const href = `/reviews/${encodeURIComponent(review.id)}`;
  return (
    <a
      href={href}
      onClick={(e) => {
        e.preventDefault();
        navigate(href);
      }}
    >
      {review.title}
    </a>
  );
}

function age(ms: number): string {
  return ms ? new Date(ms).toLocaleString() : "—";
}

function ReviewTable({ label, reviews, empty, claim }: { label: string; reviews: Review[]; empty: string; claim?(r: Review): void }) {
  if (reviews.length === 0) return <p className="muted">{empty}</p>;
  return (
    <table className="ws-table review-table" aria-label={label}>
      <thead>
        <tr>
          <th scope="col">Title</th>
          <th scope="col">Status</th>
          <th scope="col">Priority</th>
          <th scope="col">Level</th>
          <th scope="col">Author</th>
          <th scope="col">Reviewer</th>
          <th scope="col">Submitted</th>
          {claim && (
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          )}
        </tr>
      </thead>
      <tbody>
        {reviews.map((r) => (
          <tr key={r.id} data-review={r.title} data-id={r.id}>
            <td>
              <ReviewLink review={r} />
            </td>
            <td>
              <span className={`badge status-${r.status}`}>{statusLabel(r.status)}</span>
            </td>
            <td>
              <span className={`badge priority-${r.priority}`}>{r.priority}</span>
            </td>
            <td>{r.required_level}</td>
            <td>{r.author.username ?? "—"}</td>
            <td>{r.reviewer ? (r.reviewer.username ?? "assigned") : "—"}</td>
            <td>{age(r.created_at)}</td>
            {claim && (
              <td>
                <button onClick={() => claim(r)} aria-label={`Claim ${r.title}`}>
                  Claim
                </button>
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ReviewsPage() {
  const { client } = useSession();
  const api = useMemo(() => new ReviewsApi(client), [client]);
  const [me, setMe] = useState<User | null>(null);
  const [level, setLevel] = useState<number>(0);
  const [lists, setLists] = useState<Lists | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [priority, setPriority] = useState<Priority | "">("");

  const load = useCallback(async () => {
    try {
      // Who I am first: the level form works even when a list cannot be read.
      setMe(await client.me());
      const [author, queue, assigned, reviewers] = await Promise.all([
        api.list("author"),
        api.list("queue"),
        api.list("assigned"),
        api.reviewers(),
      ]);
      setLists({ author, queue: [...queue].sort(queueOrder), assigned, reviewers });
      setError(null);
    } catch (err) {
      setError(describeError(err));
      throw err;
    }
  }, [api, client]);

  useEffect(() => {
    void load().catch(() => {});
  }, [load]);
  const myLevel = me?.reviewer_level;
  useEffect(() => {
    if (myLevel !== undefined) setLevel(myLevel);
  }, [myLevel]);
  const connected = useLiveEvents((e) => {
    if (e === null || e.type === "notification" || e.type.startsWith("review.")) void load().catch(() => {});
  });
  usePolling(load, FALLBACK_POLL_MS, !connected);

  const saveLevel = async () => {
    try {
      const u = await api.setReviewerLevel(level);
      setMe(u);
      setNotice(`Your reviewer level is now ${u.reviewer_level}.`);
      await load();
    } catch (err) {
      setError(describeError(err));
    }
  };
  const claim = async (r: Review) => {
    try {
      const claimed = await api.transition(r.id, "claim");
      navigate(`/reviews/${encodeURIComponent(claimed.id)}`);
    } catch (err) {
      setError(describeError(err));
      void load().catch(() => {});
    }
  };

  return (
    <div className="page">
      <TopBar>
        <span>Reviews</span>
      </TopBar>
      <main className="workspaces reviews-page">
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <section aria-labelledby="my-level">
          <h2 id="my-level">My reviewer level</h2>
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault();
              void saveLevel();
            }}
          >
            <label className="field inline">
              <span>Level (0: not a reviewer; 1-4: reviews needing up to that level)</span>
              <select value={level} onChange={(e) => setLevel(Number(e.target.value))} aria-label="Reviewer level">
                {LEVELS.map((l) => (
                  <option key={l} value={l}>
                    {l}
                  </option>
                ))}
              </select>
            </label>
            <button type="submit" disabled={!me || me.reviewer_level === level}>
              Save level
            </button>
            <span className="muted" data-testid="my-level">
              Now: {me ? me.reviewer_level : "…"}
            </span>
          </form>
        </section>
        {lists === null && !error && <p className="muted">Loading…</p>}
        {lists && (
          <>
            <section aria-labelledby="queue-h">
              <div className="row">
                <h2 id="queue-h">My queue</h2>
                <label className="field inline">
                  <span>Priority</span>
                  <select value={priority} onChange={(e) => setPriority(e.target.value as Priority | "")} aria-label="Queue priority">
                    <option value="">all</option>
                    {PRIORITIES.map((p) => (
                      <option key={p} value={p}>
                        {p}
                      </option>
                    ))}
                  </select>
                </label>
              </div>
              <ReviewTable
                label="My queue"
                reviews={priority ? lists.queue.filter((r) => r.priority === priority) : lists.queue}
                claim={(r) => void claim(r)}
                empty={me && me.reviewer_level === 0 ? "Set a reviewer level above 0 to review others' code." : "Nothing waits for a reviewer of your level."}
              />
            </section>
            <section aria-labelledby="assigned-h">
              <h2 id="assigned-h">Assigned to me</h2>
              <ReviewTable label="Assigned to me" reviews={lists.assigned} empty="No review is assigned to you." />
            </section>
            <section aria-labelledby="mine-h">
              <h2 id="mine-h">My requests</h2>
              <ReviewTable label="My requests" reviews={lists.author} empty="You have not submitted anything for review. Use “Submit for review” in a workspace." />
            </section>
            <section aria-labelledby="reviewers-h">
              <h2 id="reviewers-h">Reviewers</h2>
              {lists.reviewers.length === 0 ? (
                <p className="muted">Nobody has a reviewer level yet.</p>
              ) : (
                <table className="ws-table" aria-label="Reviewers">
                  <thead>
                    <tr>
                      <th scope="col">Reviewer</th>
                      <th scope="col">Level</th>
                      <th scope="col">Reviews done</th>
                      <th scope="col">Approval rate</th>
                      <th scope="col">Open</th>
                      <th scope="col">Median first response</th>
                      <th scope="col">Median to decision</th>
                    </tr>
                  </thead>
                  <tbody>
                    {lists.reviewers.map((r) => (
                      <tr key={r.id} data-reviewer={r.username}>
                        <td>{r.username}</td>
                        <td>{r.level}</td>
                        <td>{r.reviews_done}</td>
                        <td>{r.reviews_done ? `${Math.round(r.approval_rate * 100)} %` : "—"}</td>
                        <td>{r.open_reviews}</td>
                        <td>{formatDuration(r.median_first_response_ms)}</td>
                        <td>{formatDuration(r.median_decision_ms)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
          </>
        )}
      </main>
    </div>
  );
}
