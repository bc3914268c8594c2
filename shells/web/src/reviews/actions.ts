// Which buttons a review shows to whom. This mirrors the library's access policy
// (libplatform/core/reviews/policy.cpp) only to hide buttons that would fail: the server decides,
// and a refusal (a 409 after someone else's change) is shown as it comes.
import type { Priority, Review, ReviewStatus } from "./api";

export interface Viewer {
  id: string;
  role: string; // "user" or "admin"
  reviewer_level: number;
}

export type ReviewAction = "claim" | "unclaim" | "withdraw" | "resubmit" | "decide" | "comment";

/** A reviewer of `level` may claim a review needing `required` (never their own). */
export function eligible(viewer: Viewer, review: Review): boolean {
  return viewer.id !== review.author.id && viewer.reviewer_level >= Math.max(1, review.required_level);
}

const undecided: ReviewStatus[] = ["pending", "in_review", "changes_requested"];

/** The actions `viewer` may take on `review` in its current status, in the order shown. */
export function allowedActions(viewer: Viewer, review: Review): ReviewAction[] {
  const author = viewer.id === review.author.id;
  const reviewer = review.reviewer !== null && review.reviewer.id === viewer.id;
  const admin = viewer.role === "admin";
  const s = review.status;
  const out: ReviewAction[] = [];
  if (s === "pending" && eligible(viewer, review)) out.push("claim");
  if (reviewer && s === "in_review") out.push("decide");
  if ((reviewer || admin) && (s === "in_review" || s === "changes_requested") && review.reviewer) out.push("unclaim");
  if (author && s === "changes_requested") out.push("resubmit");
  if (author && undecided.includes(s)) out.push("withdraw");
  if (author || reviewer || admin) out.push("comment");
  return out;
}

/** Whether a status is final (nothing more happens to the review). */
export function isFinal(status: ReviewStatus): boolean {
  return status === "approved" || status === "rejected" || status === "withdrawn";
}

export const STATUS_LABEL: Record<ReviewStatus, string> = {
  pending: "Pending",
  in_review: "In review",
  approved: "Approved",
  changes_requested: "Changes requested",
  rejected: "Rejected",
  withdrawn: "Withdrawn",
};

export function statusLabel(status: string): string {
  return STATUS_LABEL[status as ReviewStatus] ?? status;
}

const RANK: Record<Priority, number> = { urgent: 0, high: 1, normal: 2, low: 3 };

/** The queue's order: priority (urgent first), then age (oldest first), then id. */
export function queueOrder(a: Review, b: Review): number {
  return (
    (RANK[a.priority] ?? 9) - (RANK[b.priority] ?? 9) ||
    a.created_at - b.created_at ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/** "3 min", "2 h 5 min", "4 d": a duration for statistics; "—" for none. */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return "—";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  return `${Math.round(h / 24)} d`;
}
