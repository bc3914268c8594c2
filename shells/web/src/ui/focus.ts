// Where the focus goes when what held it goes away: a dialog closes, a deleted row or a closed
// tab leaves the page. It returns to the element it came from when that is still there, and
// otherwise to the page's "home": an element marked data-focus-home, the explorer's current
// row, the selected tab, then the first control of the main content. Never the page body,
// where a keyboard user would have to start over from the top.

const HOME = [
  "[data-focus-home]",
  "[role=tree] [role=treeitem][tabindex='0']",
  "[role=tree]",
  "[role=tablist] [role=tab][aria-selected='true']",
  "main input, main button, main a[href]",
  "input, button, a[href]",
];

function visible(el: HTMLElement): boolean {
  return el.isConnected && el.getClientRects().length > 0 && !el.closest("[hidden], [inert]");
}

function tryFocus(el: HTMLElement | null | undefined): boolean {
  if (!el || !visible(el)) return false;
  el.focus();
  return document.activeElement === el;
}

/** Focuses the page's home (see above); false when nothing could take the focus. */
export function focusHome(): boolean {
  for (const selector of HOME) {
    for (const el of document.querySelectorAll<HTMLElement>(selector)) {
      if (el.closest(".modal-backdrop")) continue;
      if (!(el as HTMLButtonElement).disabled && tryFocus(el)) return true;
    }
  }
  return false;
}

/** Whether the focus is lost: on the body, or on an element no longer in the page. */
export function focusLost(): boolean {
  const a = document.activeElement;
  return !a || a === document.body || !a.isConnected;
}

/**
 * Gives the focus back to `previous` after a dialog closes or an element is removed, checking
 * again once the page has re-rendered (the element may go with that render), and falling back
 * to the page's home.
 */
export function restoreFocus(previous: HTMLElement | null): void {
  if (previous && previous !== document.body) tryFocus(previous);
  setTimeout(() => {
    if (!focusLost()) return;
    if (previous && previous !== document.body && tryFocus(previous)) return;
    focusHome();
  }, 0);
}

let keeping = false;

/**
 * Watches the page for the focused element being removed (a deleted file's row, a closed tab,
 * a row of a list that refreshed) and then focuses the page's home. Browsers leave the focus
 * on the body in that case. Idempotent; installed by this module when a document exists.
 */
export function installFocusKeeper(): void {
  if (keeping || typeof document === "undefined" || typeof MutationObserver === "undefined") return;
  keeping = true;
  let last: Element | null = null;
  document.addEventListener("focusin", (e) => {
    last = e.target instanceof Element ? e.target : null;
  });
  new MutationObserver(() => {
    if (last && !last.isConnected && focusLost()) {
      last = null;
      focusHome();
    }
  }).observe(document.body, { childList: true, subtree: true });
}

if (typeof document !== "undefined" && document.body) installFocusKeeper();
