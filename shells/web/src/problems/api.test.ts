import { describe, expect, it } from "vitest";
import { ApiError } from "../api/errors";
import type { ApiClient } from "../api/client";
import { filterQuery, ProblemsApi, problemOf, refusalMessage, submissionOf } from "./api";
import { codeKey, loadCode, saveCode } from "./storage";

describe("refusalMessage", () => {
  it("says the queue is full and that the page retries", () => {
    expect(refusalMessage(new ApiError(503, "unavailable", "jobs: the queue is full", "", 3))).toEqual({
      text: "The queue is full, retrying in 3 s.",
      retryS: 3,
      retries: true,
    });
  });
  it("names the per-minute limit and the wait", () => {
    const err = new ApiError(429, "resource_exhausted", "jobs: at most 2 jobs per minute", "", 41, 2);
    expect(refusalMessage(err)?.text).toBe("You are over your limit of 2 jobs per minute; try again in 41 s.");
    expect(refusalMessage(err)?.retries).toBe(false);
  });
  it("names a per-day limit from the message", () => {
    const err = new ApiError(429, "resource_exhausted", "jobs: at most 100 jobs per day", "", 3600);
    expect(refusalMessage(err)?.text).toBe("You are over your limit of 100 jobs per day; try again in 3600 s.");
  });
  it("leaves other errors alone", () => {
    expect(refusalMessage(new ApiError(400, "invalid_argument", "bad"))).toBeNull();
    expect(refusalMessage(new Error("x"))).toBeNull();
  });
});

describe("shapes", () => {
  it("builds the list filter query", () => {
    expect(filterQuery({})).toBe("");
    expect(filterQuery({ level: "easy", tag: "math", solved: "false" })).toBe("?level=easy&tag=math&solved=false");
  });
  it("normalises a problem and a submission", () => {
    const p = problemOf({ id: "hello", title: "Hello", tags: ["io"], starter: { python: "print()" }, assets: { "a.png": "/x/a.png" }, limits: { time_limit_s: 1 } });
    expect(p).toMatchObject({ id: "hello", title: "Hello", tags: ["io"], starter: { python: "print()" }, assets: { "a.png": "/x/a.png" }, time_limit_s: 1 });
    expect(p.progress).toEqual({ attempts: 0, best_score: 0, solved: false, first_solved_at: null });
    const s = submissionOf({ id: "s", problem: "hello", state: "done", verdict: "accepted", score: 100, max_score: 100, tests: [{ name: "1", group: "sample", verdict: "accepted", time_ms: 3, memory_kb: 900, public: true }] });
    expect(s.tests[0]).toMatchObject({ name: "1", group: "sample", verdict: "accepted", public: true });
  });
});

describe("problem shapes", () => {
  it("reads the model's tags object and a list of assets", () => {
    const p = problemOf({ id: "sum", title: "Sum", tags: { level: 1, age_group: "", topics: ["loops"] }, assets: [{ path: "images/sum.svg", data: "PHN2Zz4=" }, { path: "b.png" }] });
    expect(p.level).toBe("1");
    expect(p.tags).toEqual(["loops"]);
    expect(p.assets["images/sum.svg"]).toBe("data:image/svg+xml;base64,PHN2Zz4=");
    expect(p.assets["b.png"]).toBe("/api/v1/problems/sum/assets/b.png");
    const q = problemOf({ id: "h", starter_code: { python: "x" }, limits: { time_limit_s: 1, memory_bytes: 268435456 }, tests: [{ name: "sample/1", input: "", expected_output: "Hello\n" }] });
    expect(q).toMatchObject({ starter: { python: "x" }, memory_limit_mb: 256, public_tests: [{ name: "sample/1", input: "", output: "Hello\n" }] });
  });
});

describe("storage", () => {
  it("keeps code per problem and language", () => {
    const map = new Map<string, string>();
    const storage = { getItem: (k: string) => map.get(k) ?? null, setItem: (k: string, v: string) => void map.set(k, v) } as unknown as Storage;
    saveCode("hello", "python", "print(1)", storage);
    expect(loadCode("hello", "python", storage)).toBe("print(1)");
    expect(loadCode("hello", "cpp", storage)).toBeNull();
    expect(map.has(codeKey("hello", "python"))).toBe(true);
  });
});

describe("progress", () => {
  it("reads the server's per-problem rows and per-level sums", async () => {
    const body = {
      problems: [{ problem: "hello", level: 1, attempts: 2, best_score: 100, max_score: 100, solved: true, first_solved_at: 5 }],
      levels: [{ level: 1, attempted: 1, solved: 1, points: 100 }],
      overall: { attempted: 1, solved: 1, points: 100 },
    };
    const client = { call: async () => new Response(JSON.stringify(body)) } as unknown as ApiClient;
    const p = await new ProblemsApi(client).progress();
    expect(p.rows).toEqual([{ problem: "hello", title: "hello", level: "1", attempts: 2, best_score: 100, max_score: 100, solved: true, first_solved_at: 5 }]);
    expect(p.levels).toEqual([{ level: "1", solved: 1, attempted: 1, score: 100 }]);
  });
});
