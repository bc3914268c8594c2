// The problem, submission, job, language and progress routes over ApiClient (docs/api.md), and
// the queue's refusals as sentences with their wait. Answers are normalised here so the pages
// read one shape; the server decides every rule (verdicts, scores, limits).
import type { ApiClient } from "../api/client";
import { ApiError } from "../api/errors";

export interface Language {
  id: string;
  name: string;
  source_file: string;
  extensions: string[];
}

export interface MyProgress {
  attempts: number;
  best_score: number;
  solved: boolean;
  first_solved_at: number | null;
}

export interface ProblemSummary {
  id: string;
  title: string;
  level: string;
  tags: string[];
  max_score: number;
  progress: MyProgress;
}

export interface PublicTest {
  name: string;
  input: string;
  output: string;
}

export interface Problem extends ProblemSummary {
  statement: string; // Markdown
  assets: Record<string, string>; // name -> URL or data: URI of an image the statement names
  starter: Record<string, string>; // language id -> starter code
  time_limit_s: number;
  memory_limit_mb: number;
  public_tests: PublicTest[];
}

export type JobState = "queued" | "running" | "done";

export interface RunResult {
  id: string;
  state: JobState;
  verdict?: string;
  stdout?: string;
  stderr?: string;
  compile_output?: string;
  message?: string;
  cpu_ms?: number;
  wall_ms?: number;
  memory_kb?: number;
  exit_code?: number | null;
}

export interface TestResult {
  name: string;
  group: string;
  verdict: string;
  time_ms: number;
  memory_kb: number;
  public: boolean;
  score?: number;
}

export interface Submission {
  id: string;
  problem: string;
  state: JobState;
  verdict: string | null;
  score: number;
  max_score: number;
  tests: TestResult[];
  groups: { name: string; score: number; max_score: number }[];
  compile_output: string;
  message: string;
}

export interface ProgressRow {
  problem: string;
  title: string;
  level: string;
  attempts: number;
  best_score: number;
  max_score: number;
  solved: boolean;
  first_solved_at: number | null;
}

type Json = Record<string, unknown>;

const num = (v: unknown, d = 0): number => (typeof v === "number" && Number.isFinite(v) ? v : d);
const str = (v: unknown, d = ""): string => (typeof v === "string" ? v : v === undefined || v === null ? d : String(v));
const time = (v: unknown): number | null => {
  if (typeof v === "number") return v;
  if (typeof v === "string" && v !== "") {
    const t = Date.parse(v);
    return Number.isNaN(t) ? null : t;
  }
  return null;
};

function progressOf(raw: unknown): MyProgress {
  const p = (raw ?? {}) as Json;
  return {
    attempts: num(p.attempts),
    best_score: num(p.best_score),
    solved: p.solved === true,
    first_solved_at: time(p.first_solved_at),
  };
}

export function summaryOf(raw: Json): ProblemSummary {
  // Tags come as a list of topics, or as the model's {level, age_group, topics}.
  const tagObj = raw.tags && !Array.isArray(raw.tags) && typeof raw.tags === "object" ? (raw.tags as Json) : null;
  const topics = Array.isArray(raw.tags) ? raw.tags : Array.isArray(raw.topics) ? raw.topics : Array.isArray(tagObj?.topics) ? (tagObj!.topics as unknown[]) : [];
  return {
    id: str(raw.id),
    title: str(raw.title ?? raw.name, str(raw.id)),
    level: str(raw.level ?? tagObj?.level),
    tags: topics.map((t) => str(t)),
    max_score: num(raw.max_score, 100),
    progress: progressOf(raw.progress ?? raw.my_progress),
  };
}

const IMAGE_TYPES: Record<string, string> = { png: "image/png", gif: "image/gif", jpg: "image/jpeg", jpeg: "image/jpeg", webp: "image/webp", svg: "image/svg+xml" };

/**
 * Assets as name -> URL, whatever form the server gives: a map of name to URL, or a list of
 * {name|path, url | data (base64) | content_base64}; else the asset route by name.
 */
function assetsOf(raw: unknown, id: string): Record<string, string> {
  const out: Record<string, string> = {};
  const url = (name: string, v: Json | string): string => {
    if (typeof v === "string") return v;
    if (typeof v.url === "string") return v.url;
    const b64 = v.data ?? v.content_base64;
    const type = str(v.content_type, IMAGE_TYPES[name.split(".").pop()!.toLowerCase()] ?? "image/png");
    if (typeof b64 === "string") return `data:${type};base64,${b64}`;
    return `/api/v1/problems/${encodeURIComponent(id)}/assets/${name.split("/").map(encodeURIComponent).join("/")}`;
  };
  if (Array.isArray(raw)) {
    for (const a of raw as Json[]) {
      const name = str(a.name ?? a.path);
      out[name] = url(name, a);
    }
  }
  else if (raw && typeof raw === "object") for (const [k, v] of Object.entries(raw as Json)) out[k] = url(k, v as Json | string);
  return out;
}

export function problemOf(raw: Json): Problem {
  const starterRaw = (raw.starter ?? raw.starter_code ?? {}) as Json;
  const starter: Record<string, string> = {};
  for (const [k, v] of Object.entries(starterRaw)) starter[k] = str(v);
  const limits = (raw.limits ?? {}) as Json;
  return {
    ...summaryOf(raw),
    statement: str(raw.statement),
    assets: assetsOf(raw.assets, str(raw.id)),
    starter,
    time_limit_s: num(limits.time_limit_s ?? raw.time_limit_s),
    memory_limit_mb: num(limits.memory_limit_mb ?? raw.memory_limit_mb, num(limits.memory_bytes) / (1024 * 1024)),
    // The public tests: `tests` of GET /problems/{id} (hidden ones are never sent).
    public_tests: ((Array.isArray(raw.public_tests) ? raw.public_tests : Array.isArray(raw.tests) ? raw.tests : []) as Json[]).map((t) => ({
      name: str(t.name),
      input: str(t.input),
      output: str(t.expected_output ?? t.output ?? t.answer),
    })),
  };
}

export function submissionOf(raw: Json): Submission {
  return {
    id: str(raw.id),
    problem: str(raw.problem),
    state: str(raw.state, "queued") as JobState,
    verdict: raw.verdict === undefined || raw.verdict === null ? null : str(raw.verdict),
    score: num(raw.score),
    max_score: num(raw.max_score),
    tests: Array.isArray(raw.tests)
      ? (raw.tests as Json[]).map((t) => ({
          name: str(t.name),
          group: str(t.group),
          verdict: str(t.verdict),
          time_ms: num(t.time_ms),
          memory_kb: num(t.memory_kb),
          public: t.public === true,
          score: typeof t.score === "number" ? t.score : undefined,
        }))
      : [],
    groups: Array.isArray(raw.groups)
      ? (raw.groups as Json[]).map((g) => ({ name: str(g.name), score: num(g.score), max_score: num(g.max_score) }))
      : [],
    compile_output: str(raw.compile_output),
    message: str(raw.message),
  };
}

export interface ProblemFilter {
  level?: string;
  tag?: string;
  solved?: "true" | "false" | "";
}

export function filterQuery(f: ProblemFilter): string {
  const q = new URLSearchParams();
  if (f.level) q.set("level", f.level);
  if (f.tag) q.set("tag", f.tag);
  if (f.solved) q.set("solved", f.solved);
  const s = q.toString();
  return s ? `?${s}` : "";
}

/**
 * How long one long-poll of a job or a submission waits on the server (0-30 s allowed). The
 * server answers early only when the task is done, so a short wait is what lets `running` show
 * within a second of the claim; one request a second per followed task is cheap.
 */
export const WAIT_S = 1;

export class ProblemsApi {
  constructor(private readonly client: ApiClient) {}

  private async json<T>(method: string, path: string, json?: unknown): Promise<T> {
    const res = await this.client.call(method, path, json === undefined ? {} : { json });
    return (await res.json()) as T;
  }

  async list(f: ProblemFilter): Promise<ProblemSummary[]> {
    const doc = await this.json<Json>("GET", `/problems${filterQuery(f)}`);
    const items = (Array.isArray(doc) ? doc : (doc.items ?? doc.problems ?? [])) as Json[];
    return items.map(summaryOf);
  }

  async get(id: string): Promise<Problem> {
    return problemOf(await this.json<Json>("GET", `/problems/${encodeURIComponent(id)}`));
  }

  async languages(): Promise<Language[]> {
    const doc = await this.json<{ languages: Json[] }>("GET", "/languages");
    return doc.languages.map((l) => ({
      id: str(l.id),
      name: str(l.name, str(l.id)),
      source_file: str(l.source_file, "main"),
      extensions: Array.isArray(l.extensions) ? l.extensions.map((e) => str(e)) : [],
    }));
  }

  async submit(problem: string, language: string, files: Record<string, string>): Promise<string> {
    const doc = await this.json<Json>("POST", `/problems/${encodeURIComponent(problem)}/submissions`, { language, files });
    return str(doc.id);
  }

  async submission(id: string, waitS = WAIT_S): Promise<Submission> {
    return submissionOf(await this.json<Json>("GET", `/submissions/${encodeURIComponent(id)}?wait=${waitS}`));
  }

  async run(language: string, files: Record<string, string>, stdin: string): Promise<string> {
    const doc = await this.json<Json>("POST", "/jobs", { language, files, stdin });
    return str(doc.id);
  }

  async job(id: string, waitS = WAIT_S): Promise<RunResult> {
    return (await this.json<RunResult>("GET", `/jobs/${encodeURIComponent(id)}?wait=${waitS}`)) as RunResult;
  }

  /** My progress: per problem, and per level as the server sums it (null when it gives none). */
  async progress(): Promise<{ rows: ProgressRow[]; levels: ServerLevel[] | null }> {
    const doc = await this.json<Json>("GET", "/progress");
    const items = (Array.isArray(doc) ? doc : (doc.items ?? doc.problems ?? [])) as Json[];
    const levels = Array.isArray(doc.levels)
      ? (doc.levels as Json[]).map((l) => ({ level: str(l.level), solved: num(l.solved), attempted: num(l.attempted), score: num(l.points ?? l.score) }))
      : null;
    const rows = items.map((r) => ({
      problem: str(r.problem ?? r.id),
      title: str(r.title, str(r.problem ?? r.id)),
      level: str(r.level),
      attempts: num(r.attempts),
      best_score: num(r.best_score),
      max_score: num(r.max_score, 100),
      solved: r.solved === true,
      first_solved_at: time(r.first_solved_at),
    }));
    return { rows, levels };
  }
}

export interface ServerLevel {
  level: string;
  solved: number;
  attempted: number;
  score: number; // the sum of best scores
}

/** The window a quota refusal names ("per minute" / "per day"), read from the server's message. */
function quotaWindow(message: string): string {
  return /per day|jobs_per_day/i.test(message) ? "day" : "minute";
}

/**
 * The queue's refusals as the sentence the page shows, or null for any other error: 503 (the
 * queue is full; the page retries by itself after the wait) and 429 (over a per-user limit).
 */
export function refusalMessage(err: unknown): { text: string; retryS: number; retries: boolean } | null {
  if (!(err instanceof ApiError)) return null;
  const wait = err.retryAfterS ?? 1;
  if (err.status === 503) return { text: `The queue is full, retrying in ${wait} s.`, retryS: wait, retries: true };
  if (err.status === 429) {
    const limit = err.rateLimit ?? (/at most (\d+)/.exec(err.message)?.[1] ?? "your");
    const what = typeof limit === "number" || /^\d+$/.test(limit) ? `your limit of ${limit} jobs` : "your job limit";
    return { text: `You are over ${what} per ${quotaWindow(err.message)}; try again in ${wait} s.`, retryS: wait, retries: false };
  }
  return null;
}
