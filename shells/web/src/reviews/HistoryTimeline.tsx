// The review's append-only history, oldest first: who did what, the status from and to, on
// which revision, when, and the decision's message when there is one.
import type { HistoryEntry } from "./api";
import { statusLabel } from "./actions";

const VERB: Record<string, string> = {
  created: "submitted it",
  claimed: "claimed it",
  unclaimed: "handed it back",
  assigned: "assigned it",
  decided: "decided",
  resubmitted: "resubmitted it",
  withdrawn: "withdrew it",
  commented: "commented",
  resolved: "resolved a thread",
  reopened: "reopened a thread",
};

export function HistoryTimeline({ entries, meId }: { entries: HistoryEntry[]; meId: string }) {
  if (entries.length === 0) return <p className="muted">No history yet.</p>;
  return (
    <ol className="timeline" data-testid="history" aria-label="History">
      {entries.map((e) => {
        const message = typeof e.detail.message === "string" ? e.detail.message : null;
        const actor = e.actor.id === meId ? "You" : (e.actor.username ?? "Someone");
        return (
          <li key={e.id} data-action={e.action}>
            <strong>{actor}</strong> {VERB[e.action] ?? e.action}
            {e.from !== e.to && e.to && (
              <>
                {" "}
                <span className="muted">
                  ({e.from ? `${statusLabel(e.from)} → ` : ""}
                  {statusLabel(e.to)})
                </span>
              </>
            )}{" "}
            <span className="muted small">
              revision {e.revision} · {new Date(e.at).toLocaleString()}
            </span>
            {message && <blockquote>{message}</blockquote>}
          </li>
        );
      })}
    </ol>
  );
}
