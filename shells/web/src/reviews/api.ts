// The code review routes (docs/api.md "Reviews": /api/v1/reviews…, /reviewers, /notifications,
// PATCH /me) over the session's ApiClient, so they share its token refresh and error envelope.
// Answers are normalised once here: a person may come as an id or as {"id","username"}, and a
// list as a bare array or {"items"} (the tree, comments and diff), so the pages read one shape.
import type { ApiClient } from "../api/client";
import { encodePath } from "../api/client";
import type { User } from "../api/types";

export type ReviewStatus = "pending" | "in_review" | "approved" | "changes_requested" | "rejected" | "withdrawn";
export type Priority = "low" | "normal" | "high" | "urgent";
export type Decision = "approve" | "request_changes" | "reject";
export type ListRole = "author" | "queue" | "assigned";
export const PRIORITIES: Priority[] = ["low", "normal", "high", "urgent"];
export const LEVELS = [0, 1, 2, 3, 4] as const;

/** Someone named in an answer: always an id, a name when the server gave one. */
export interface Person {
  id: string;
  username: string | null;
}

export interface Review {
  id: string;
  workspace_id: string;
  title: string;
  description: string;
  priority: Priority;
  required_level: number;
  status: ReviewStatus;
  revision: number;
  author: Person;
  reviewer: Person | null;
  decision_message: string | null;
  created_at: number;
  updated_at: number;
}

export interface NewReview {
  workspace_id: string;
  title: string;
  description: string;
  priority: Priority;
  required_level: number;
}

export interface RevisionItem {
  path: string;
  kind: "file" | "dir";
  size: number;
}

export interface DiffHunk {
  old_start: number;
  old_lines: number;
  new_start: number;
  new_lines: number;
  lines: string[];
}

export interface FileDiff {
  path: string;
  change: "added" | "removed" | "changed";
  hunks: DiffHunk[];
  binary: boolean;
  too_large: boolean;
}

export type Side = "left" | "right";

export interface ReviewComment {
  id: string;
  revision: number;
  author: Person;
  path: string | null;
  start_line: number | null;
  end_line: number | null;
  side: Side | null;
  body: string;
  in_reply_to: string | null;
  resolved: boolean;
  outdated: boolean;
  created_at: number;
}

export interface NewComment {
  revision: number;
  path?: string;
  start_line?: number;
  end_line?: number;
  side?: Side;
  body: string;
  in_reply_to?: string;
}

export interface HistoryEntry {
  id: number;
  at: number;
  actor: Person;
  action: string;
  from: ReviewStatus | null;
  to: ReviewStatus | null;
  revision: number;
  detail: Record<string, unknown>;
}

export interface Reviewer {
  id: string;
  username: string;
  level: number;
  reviews_done: number;
  approval_rate: number;
  open_reviews: number;
  median_first_response_ms: number | null;
  median_decision_ms: number | null;
}

export interface Notification {
  id: number;
  type: string;
  review_id: string;
  actor: Person | null;
  title: string | null;
  status: string | null; // the review's status after the change
  at: number;
  read: boolean;
}

export interface NotificationPage {
  items: Notification[];
  unread: number;
}

type Json = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === "string" ? v : typeof v === "number" ? String(v) : null);
const num = (v: unknown, otherwise = 0): number => {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  if (typeof v === "string" && !Number.isNaN(Date.parse(v))) return Date.parse(v);
  return otherwise;
};
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v, NaN));

/** A person from an id string or an object with id/user_id and username (or name). */
export function toPerson(v: unknown, name?: unknown): Person | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "object") {
    const o = v as Json;
    const id = str(o.id) ?? str(o.user_id);
    if (id === null) return null;
    return { id, username: str(o.username) ?? str(o.name) };
  }
  const id = str(v);
  return id === null ? null : { id, username: str(name) };
}

/** One person field of a record, whichever of `<key>`, `<key>_id` and `<key>_name` it has. */
function personField(o: Json, key: string): Person | null {
  return toPerson(o[key] ?? o[`${key}_id`], o[`${key}_username`] ?? o[`${key}_name`]);
}

const nobody: Person = { id: "", username: null };

export function toReview(v: unknown): Review {
  const o = v as Json;
  return {
    id: str(o.id) ?? "",
    workspace_id: str(o.workspace_id) ?? "",
    title: str(o.title) ?? "",
    description: str(o.description) ?? "",
    priority: (str(o.priority) ?? "normal") as Priority,
    required_level: num(o.required_level),
    status: (str(o.status) ?? "pending") as ReviewStatus,
    revision: num(o.revision, 1),
    author: personField(o, "author") ?? nobody,
    reviewer: personField(o, "reviewer"),
    decision_message: str(o.decision_message) ?? str(o.message),
    created_at: num(o.created_at),
    updated_at: num(o.updated_at),
  };
}

export function toComment(v: unknown): ReviewComment {
  const o = v as Json;
  const side = str(o.side);
  return {
    id: str(o.id) ?? "",
    revision: num(o.revision, 1),
    author: personField(o, "author") ?? nobody,
    path: str(o.path),
    start_line: numOrNull(o.start_line),
    end_line: numOrNull(o.end_line ?? o.start_line),
    side: side === "left" || side === "right" ? side : null,
    body: str(o.body) ?? "",
    in_reply_to: str(o.in_reply_to),
    resolved: o.resolved === true,
    outdated: o.outdated === true,
    created_at: num(o.created_at),
  };
}

function parseDetail(v: unknown): Record<string, unknown> {
  if (v && typeof v === "object") return v as Record<string, unknown>;
  if (typeof v === "string") {
    try {
      const d = JSON.parse(v) as unknown;
      return d && typeof d === "object" ? (d as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }
  return {};
}

export function toHistoryEntry(v: unknown): HistoryEntry {
  const o = v as Json;
  return {
    id: num(o.id),
    at: num(o.at),
    actor: personField(o, "actor") ?? nobody,
    action: str(o.action) ?? "",
    from: str(o.from) as ReviewStatus | null,
    to: str(o.to) as ReviewStatus | null,
    revision: num(o.revision, 1),
    detail: parseDetail(o.detail ?? o.detail_json),
  };
}

export function toReviewer(v: unknown): Reviewer {
  const o = v as Json;
  const done = num(o.reviews_done);
  return {
    id: str(o.id) ?? str(o.user_id) ?? "",
    username: str(o.username) ?? "",
    level: num(o.level ?? o.reviewer_level),
    reviews_done: done,
    approval_rate: num(o.approval_rate),
    open_reviews: num(o.open_reviews),
    median_first_response_ms: numOrNull(o.median_first_response_ms),
    median_decision_ms: numOrNull(o.median_decision_ms),
  };
}

export function toNotification(v: unknown): Notification {
  const o = v as Json;
  const data = parseDetail(o.data ?? o.data_json);
  return {
    id: num(o.id),
    type: str(o.type) ?? "",
    review_id: str(o.review_id) ?? str(data.review_id) ?? "",
    actor: personField(o, "actor"),
    title: str(o.title) ?? str(data.title),
    status: str(o.status) ?? str(data.status),
    at: num(o.at),
    read: o.read === true,
  };
}

/** The items of a list answer: a bare array, or the first array among items/files/comments. */
export function itemsOf(doc: unknown): unknown[] {
  if (Array.isArray(doc)) return doc;
  const o = (doc ?? {}) as Json;
  for (const key of ["items", "files", "comments", "entries", "reviewers"]) {
    if (Array.isArray(o[key])) return o[key] as unknown[];
  }
  return [];
}

const rid = (id: string) => `/reviews/${encodeURIComponent(id)}`;

export class ReviewsApi {
  constructor(private readonly client: ApiClient) {}

  private async json(method: string, path: string, json?: unknown): Promise<unknown> {
    const res = await this.client.call(method, path, json === undefined ? {} : { json });
    return res.json();
  }

  /** Every page of a paginated list (follows next_cursor). */
  private async all(path: string): Promise<unknown[]> {
    const items: unknown[] = [];
    let cursor: string | null = null;
    const join = path.includes("?") ? "&" : "?";
    for (let pages = 0; pages < 1000; pages++) {
      const doc = (await this.json("GET", path + (cursor ? `${join}cursor=${encodeURIComponent(cursor)}` : ""))) as Json;
      items.push(...itemsOf(doc));
      const next = str(doc?.next_cursor);
      if (!next || next === cursor) break;
      cursor = next;
    }
    return items;
  }

  async setReviewerLevel(level: number): Promise<User> {
    return (await this.json("PATCH", "/me", { reviewer_level: level })) as User;
  }

  async create(review: NewReview): Promise<Review> {
    return toReview(await this.json("POST", "/reviews", review));
  }
  async list(role: ListRole): Promise<Review[]> {
    return (await this.all(`/reviews?role=${role}`)).map(toReview);
  }
  async get(id: string): Promise<Review> {
    return toReview(await this.json("GET", rid(id)));
  }
  async transition(id: string, action: "claim" | "unclaim" | "withdraw" | "resubmit"): Promise<Review> {
    return toReview(await this.json("POST", `${rid(id)}/${action}`));
  }
  async decide(id: string, decision: Decision, message: string): Promise<Review> {
    return toReview(await this.json("POST", `${rid(id)}/decision`, { decision, message }));
  }
  async tree(id: string, revision: number): Promise<RevisionItem[]> {
    return (await this.all(`${rid(id)}/revisions/${revision}/tree`)).map((v) => {
      const o = v as Json;
      return { path: str(o.path) ?? "", kind: str(o.kind) === "dir" ? "dir" : "file", size: num(o.size) };
    });
  }
  async file(id: string, revision: number, path: string): Promise<string> {
    const res = await this.client.call("GET", `${rid(id)}/revisions/${revision}/files/${encodePath(path)}`);
    return new TextDecoder().decode(await res.arrayBuffer());
  }
  async diff(id: string, from: number, to: number): Promise<FileDiff[]> {
    return itemsOf(await this.json("GET", `${rid(id)}/diff?from=${from}&to=${to}`)).map((v) => {
      const o = v as Json;
      return {
        path: str(o.path) ?? "",
        change: (str(o.change) ?? "changed") as FileDiff["change"],
        hunks: (Array.isArray(o.hunks) ? o.hunks : []).map((h) => {
          const x = h as Json;
          return {
            old_start: num(x.old_start),
            old_lines: num(x.old_lines),
            new_start: num(x.new_start),
            new_lines: num(x.new_lines),
            lines: Array.isArray(x.lines) ? x.lines.map((l) => String(l)) : [],
          };
        }),
        binary: o.binary === true,
        too_large: o.too_large === true,
      };
    });
  }
  async comments(id: string, revision?: number): Promise<ReviewComment[]> {
    const q = revision ? `?revision=${revision}` : "";
    return itemsOf(await this.json("GET", `${rid(id)}/comments${q}`)).map(toComment);
  }
  async addComment(id: string, comment: NewComment): Promise<ReviewComment> {
    return toComment(await this.json("POST", `${rid(id)}/comments`, comment));
  }
  async setResolved(id: string, commentId: string, resolved: boolean): Promise<ReviewComment> {
    return toComment(await this.json("PATCH", `${rid(id)}/comments/${encodeURIComponent(commentId)}`, { resolved }));
  }
  async history(id: string): Promise<HistoryEntry[]> {
    return itemsOf(await this.json("GET", `${rid(id)}/history`)).map(toHistoryEntry);
  }
  async reviewers(): Promise<Reviewer[]> {
    return itemsOf(await this.json("GET", "/reviewers")).map(toReviewer);
  }
  async notifications(): Promise<NotificationPage> {
    const doc = (await this.json("GET", "/notifications")) as Json;
    return { items: itemsOf(doc).map(toNotification), unread: num(doc?.unread) };
  }
  async markRead(which: { ids: number[] } | { all: true }): Promise<NotificationPage> {
    const doc = (await this.json("POST", "/notifications/read", which)) as Json;
    return { items: itemsOf(doc).map(toNotification), unread: num(doc?.unread) };
  }
}
