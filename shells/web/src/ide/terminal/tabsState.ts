// The IDE's terminal tabs: which of the workspace's shells are open (their numbers, 1 to
// the server's terminal.max_per_workspace, each a shell of its own on the server) and the names the person gave them,
// kept in localStorage per workspace so a reload shows the same tabs over the same shells.

/** terminal.max_per_workspace's default; the IDE uses the server's (useServerLimits), which
 * refuses a higher number (1008). */
export const MAX_TERMINALS = 4;

export interface TerminalTab {
  n: number;
  name: string;
}

export interface TerminalTabsState {
  tabs: TerminalTab[];
  active: number; // the n of the selected tab; 0 when none is open
}

export const INITIAL: TerminalTabsState = { tabs: [{ n: 1, name: "Shell 1" }], active: 1 };

export function storageKey(workspaceId: string): string {
  return `codeyard:terminals:${workspaceId}`;
}

/** The kept state, or the first terminal alone when nothing (valid) is kept. */
export function parseKept(text: string | null, max = MAX_TERMINALS): TerminalTabsState {
  if (!text) return INITIAL;
  try {
    const v = JSON.parse(text) as { tabs?: unknown; active?: unknown };
    if (!Array.isArray(v.tabs)) return INITIAL;
    const tabs: TerminalTab[] = [];
    for (const t of v.tabs as { n?: unknown; name?: unknown }[]) {
      if (typeof t?.n !== "number" || !Number.isInteger(t.n) || t.n < 1 || t.n > max) continue;
      if (tabs.some((x) => x.n === t.n)) continue;
      const name = typeof t.name === "string" && t.name.trim() ? t.name.trim().slice(0, 40) : `Shell ${t.n}`;
      tabs.push({ n: t.n, name });
    }
    const active = typeof v.active === "number" && tabs.some((t) => t.n === v.active) ? v.active : (tabs[0]?.n ?? 0);
    return { tabs, active };
  } catch {
    return INITIAL;
  }
}

/** Opens the lowest free number (null when `max` are open) and selects it. */
export function addTab(s: TerminalTabsState, max = MAX_TERMINALS): TerminalTabsState | null {
  for (let n = 1; n <= max; n++) {
    if (!s.tabs.some((t) => t.n === n)) {
      return { tabs: [...s.tabs, { n, name: `Shell ${n}` }], active: n };
    }
  }
  return null;
}

/** Closes tab `n`; the selection moves to its right-hand neighbour, else the left one. */
export function closeTab(s: TerminalTabsState, n: number): TerminalTabsState {
  const index = s.tabs.findIndex((t) => t.n === n);
  if (index < 0) return s;
  const tabs = s.tabs.filter((t) => t.n !== n);
  let active = s.active;
  if (active === n) active = (tabs[index] ?? tabs[index - 1])?.n ?? 0;
  return { tabs, active };
}

export function renameTab(s: TerminalTabsState, n: number, name: string): TerminalTabsState {
  const clean = name.trim().slice(0, 40);
  if (!clean) return s;
  return { ...s, tabs: s.tabs.map((t) => (t.n === n ? { ...t, name: clean } : t)) };
}
