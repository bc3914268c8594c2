// The WAI-ARIA tabs pattern's keys for a tablist whose tabs carry a roving tabindex (the
// selected tab 0, the others -1): ArrowLeft/ArrowRight move to the previous/next tab (wrapping),
// Home/End to the first/last, and the tab moved to is selected and focused (automatic
// activation). The focus stays on the tab list: it never moves into the panel.

export interface TabKeyEvent {
  key: string;
  ctrlKey?: boolean;
  altKey?: boolean;
  metaKey?: boolean;
  preventDefault(): void;
}

/** The index to move to for `e` on tab `index` of `count`, or -1 when the key is not a tab key. */
export function nextTabIndex(e: TabKeyEvent, index: number, count: number): number {
  if (count === 0 || e.ctrlKey || e.altKey || e.metaKey) return -1;
  switch (e.key) {
    case "ArrowRight":
      return (index + 1) % count;
    case "ArrowLeft":
      return (index - 1 + count) % count;
    case "Home":
      return 0;
    case "End":
      return count - 1;
    default:
      return -1;
  }
}

/**
 * Handles a key on tab `index` of the tablist `list`: selects the tab moved to with
 * `activate(next)` and focuses it. Returns true when the key was a tab key.
 */
export function onTabKey(e: TabKeyEvent, list: HTMLElement | null, index: number, count: number, activate: (next: number) => void): boolean {
  const next = nextTabIndex(e, index, count);
  if (next < 0) return false;
  e.preventDefault();
  activate(next);
  // The tab is focused now and again once React has re-rendered the roving tabindex.
  const focus = () => list?.querySelectorAll<HTMLElement>(":scope > [role=tab], :scope > * > [role=tab]")[next]?.focus();
  focus();
  requestAnimationFrame(focus);
  return true;
}
