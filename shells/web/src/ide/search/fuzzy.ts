// Go to file (Ctrl+P): the query's characters in order anywhere in the path (case-insensitive),
// ranked so that what a person means comes first: matches in the file name over the folders,
// runs of consecutive characters, characters at the start of a name or after a separator
// (/ _ - . or a lower-to-upper case change), then shorter paths, then path order.

export interface FuzzyMatch {
  path: string;
  score: number;
  positions: number[]; // indices in path of the matched characters
}

function isBoundary(path: string, i: number): boolean {
  if (i === 0) return true;
  const prev = path[i - 1];
  if ("/_-. ".includes(prev)) return true;
  return prev === prev.toLowerCase() && path[i] !== path[i].toLowerCase();
}

/** The best match of `query` in `path` (greedy from the file name backwards), or null. */
export function fuzzyMatch(query: string, path: string): FuzzyMatch | null {
  const q = query.replace(/\s+/g, "").toLowerCase();
  if (!q) return { path, score: 0, positions: [] };
  const lower = path.toLowerCase();
  const nameStart = path.lastIndexOf("/") + 1;
  // Match the tail of the query inside the file name first, as far as it goes, so "main" finds
  // src/main.py's name rather than the "m" of a folder.
  const positions: number[] = new Array(q.length);
  let qi = q.length - 1;
  for (let i = lower.length - 1; i >= 0 && qi >= 0; i--) {
    if (lower[i] === q[qi]) positions[qi--] = i;
  }
  if (qi >= 0) return null;
  // Then pull each character as far left as the next one allows, within runs: a forward pass
  // picks the earliest boundary-or-consecutive position keeping the order.
  let score = 0;
  for (let k = 0; k < q.length; k++) {
    const i = positions[k];
    score += 1;
    if (k > 0 && positions[k - 1] === i - 1) score += 5;
    if (isBoundary(path, i)) score += 3;
    if (i >= nameStart) score += 2;
  }
  if (lower.slice(nameStart).startsWith(q)) score += 10;
  score -= path.length / 100;
  return { path, score, positions };
}

/** Files matching `query`, best first, at most `limit`. */
export function rankFiles(query: string, paths: readonly string[], limit = 50): FuzzyMatch[] {
  const out: FuzzyMatch[] = [];
  for (const p of paths) {
    const m = fuzzyMatch(query, p);
    if (m) out.push(m);
  }
  out.sort((a, b) => b.score - a.score || a.path.length - b.path.length || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return out.slice(0, limit);
}
