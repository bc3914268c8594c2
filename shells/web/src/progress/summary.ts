// Progress rows summed per level, in the order levels first appear.
import type { ProgressRow } from "../problems/api";

export interface LevelSummary {
  level: string;
  solved: number;
  attempted: number;
  score: number;
  max_score: number;
}

export function levelSummary(rows: ProgressRow[]): LevelSummary[] {
  const by = new Map<string, LevelSummary>();
  for (const r of rows) {
    const s = by.get(r.level) ?? { level: r.level, solved: 0, attempted: 0, score: 0, max_score: 0 };
    if (r.solved) s.solved++;
    if (r.attempts > 0) s.attempted++;
    s.score += r.best_score;
    s.max_score += r.max_score;
    by.set(r.level, s);
  }
  return [...by.values()];
}
