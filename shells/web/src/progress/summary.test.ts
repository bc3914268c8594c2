import { describe, expect, it } from "vitest";
import { levelSummary } from "./summary";

const row = (problem: string, level: string, attempts: number, best: number, solved: boolean) => ({
  problem,
  title: problem,
  level,
  attempts,
  best_score: best,
  max_score: 100,
  solved,
  first_solved_at: solved ? 1 : null,
});

describe("levelSummary", () => {
  it("sums solved, attempted and scores per level", () => {
    expect(levelSummary([row("a", "easy", 2, 100, true), row("b", "easy", 1, 40, false), row("c", "hard", 0, 0, false)])).toEqual([
      { level: "easy", solved: 1, attempted: 2, score: 140, max_score: 200 },
      { level: "hard", solved: 0, attempted: 0, score: 0, max_score: 100 },
    ]);
  });
});
