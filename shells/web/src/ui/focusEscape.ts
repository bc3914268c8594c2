// No keyboard trap (WCAG 2.1.2) in widgets that take Tab for themselves: the terminal
// (xterm.js, where Tab completes in the shell) and the code editor (Monaco, where Tab
// indents). Escape, then Tab within two seconds, moves the focus out of the widget to the
// next control of the page (Shift+Tab: the previous one). Escape itself still reaches the
// widget (vim, closing Monaco's suggestions), and a Tab that does not follow an Escape stays
// the shell's or the editor's. Monaco also has its own Ctrl+M, which toggles whether Tab moves
// the focus. Documented in docs/web.md and hinted under the terminal.

const WIDGETS = ".xterm, .monaco-editor";
const WINDOW_MS = 2000;
const FOCUSABLE = "a[href], button, input, select, textarea, [tabindex]";

/** The terminal or editor widget holding `el`, if any. */
export function trappingWidget(el: Element | null): Element | null {
  return el?.closest(WIDGETS) ?? null;
}

function tabbable(el: HTMLElement): boolean {
  if ((el as HTMLButtonElement).disabled || el.tabIndex < 0) return false;
  if (el.closest("[hidden], [inert]") || el.getClientRects().length === 0) return false;
  return true;
}

/** Focuses the next (or previous) tabbable element of the page outside `widget`, wrapping. */
export function focusOutOf(widget: Element, backwards: boolean): boolean {
  const all = [...document.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => !widget.contains(el) && tabbable(el));
  if (all.length === 0) return false;
  const after = all.filter((el) => widget.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING);
  const before = all.filter((el) => widget.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_PRECEDING);
  const target = backwards ? (before[before.length - 1] ?? all[all.length - 1]) : (after[0] ?? all[0]);
  target.focus();
  return document.activeElement === target;
}

/** Installs the Escape-then-Tab handler on `win` (capture: before xterm.js and Monaco); returns its removal. */
export function installFocusEscape(win: Window = window): () => void {
  let escapedAt = 0;
  let escapedIn: Element | null = null;
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      escapedIn = trappingWidget(document.activeElement);
      escapedAt = escapedIn ? Date.now() : 0;
      return;
    }
    if (e.key === "Shift") return;
    const armed = escapedAt > 0 && Date.now() - escapedAt < WINDOW_MS;
    const widget = escapedIn;
    escapedAt = 0;
    escapedIn = null;
    if (e.key !== "Tab" || e.ctrlKey || e.altKey || e.metaKey || !armed || !widget) return;
    if (trappingWidget(document.activeElement) !== widget) return;
    e.preventDefault();
    e.stopPropagation();
    focusOutOf(widget, e.shiftKey);
  };
  win.addEventListener("keydown", onKey, true);
  return () => win.removeEventListener("keydown", onKey, true);
}
