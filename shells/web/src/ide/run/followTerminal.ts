// Wires OutputFollow (follow.ts) to the Output panel's xterm.js terminal. Every way the person
// scrolls moves the buffer's view at once and then tells OutputFollow:
// - the wheel: taken from xterm.js (which only moves the DOM scroll bar and lets the buffer learn
//   of it later, a move new output could undo) and turned into lines scrolled right away;
// - keys: Shift+PageUp/PageDown a page, Shift+Home the top, Shift+End and End (while scrolled
//   up; otherwise End goes to the program) back to the newest lines;
// - the scroll bar, a selection dragged past an edge, touch: a scroll while a pointer or a
//   finger is down in the terminal is the person's;
// - typing: xterm.js moves to the newest lines, so following resumes.
// After each write the view goes where OutputFollow says. The page's one thread only.
import type { IDisposable, Terminal } from "@xterm/xterm";
import { OutputFollow } from "./follow";

export interface TerminalFollow {
  follow: OutputFollow;
  /** For the panel's key handler: true when the key was a scroll key and is handled. */
  handleKey(e: KeyboardEvent): boolean;
  dispose(): void;
}

function listen<K extends keyof HTMLElementEventMap>(
  el: HTMLElement | Window,
  type: K,
  fn: (e: HTMLElementEventMap[K]) => void,
  options?: AddEventListenerOptions,
): IDisposable {
  el.addEventListener(type, fn as EventListener, options);
  return { dispose: () => el.removeEventListener(type, fn as EventListener, options) };
}

export function followTerminal(term: Terminal, changed: () => void): TerminalFollow {
  const follow = new OutputFollow(
    {
      get viewportY() {
        return term.buffer.active.viewportY;
      },
      get baseY() {
        return term.buffer.active.baseY;
      },
      scrollToLine: (line) => term.scrollToLine(line),
      anchor: (line) => {
        // A marker's place is given from the cursor's line.
        const b = term.buffer.active;
        return term.registerMarker(line - (b.baseY + b.cursorY));
      },
    },
    changed,
  );
  const scrolled = () => follow.personScrolled();
  const subscriptions: IDisposable[] = [
    term.onWriteParsed(() => follow.written()),
    term.onLineFeed(() => follow.lineFed()),
  ];

  // The wheel, in lines (Chromium gives pixels), what is left of a line kept for the next one.
  let partial = 0;
  term.attachCustomWheelEventHandler((e) => {
    if (term.buffer.active.type === "alternate" || e.deltaY === 0 || e.shiftKey) return true;
    e.preventDefault();
    const screen = term.element?.querySelector<HTMLElement>(".xterm-screen");
    const rowHeight = screen && screen.clientHeight > 0 ? screen.clientHeight / term.rows : 16;
    let lines = e.deltaY;
    if (e.deltaMode === WheelEvent.DOM_DELTA_PIXEL) lines = e.deltaY / rowHeight;
    else if (e.deltaMode === WheelEvent.DOM_DELTA_PAGE) lines = e.deltaY * term.rows;
    partial += lines;
    const whole = Math.trunc(partial);
    partial -= whole;
    if (whole !== 0) {
      term.scrollLines(whole);
      scrolled();
    }
    return false;
  });

  // A scroll while a pointer or a finger is down in the terminal (the scroll bar, a selection).
  let pressed = 0;
  const el = term.element!;
  const viewport = el.querySelector<HTMLElement>(".xterm-viewport");
  const onScroll = () => pressed > 0 && scrolled();
  subscriptions.push(
    listen(el, "pointerdown", () => (pressed = 1), { capture: true }),
    listen(window, "pointerup", () => (pressed = 0), { capture: true }),
    listen(window, "pointercancel", () => (pressed = 0), { capture: true }),
    listen(el, "touchstart", () => (pressed = 1), { capture: true, passive: true }),
    listen(window, "touchend", () => (pressed = 0), { capture: true, passive: true }),
    term.onScroll(onScroll),
  );
  if (viewport) subscriptions.push(listen(viewport, "scroll", onScroll));
  // Typing: xterm.js scrolls to the newest lines itself (scrollOnUserInput).
  subscriptions.push(term.onData(() => !follow.state().following && follow.jumpToLatest()));

  const handleKey = (e: KeyboardEvent): boolean => {
    if (e.type !== "keydown" || e.ctrlKey || e.altKey || e.metaKey) return false;
    if (e.shiftKey && (e.key === "PageUp" || e.key === "PageDown")) {
      term.scrollPages(e.key === "PageUp" ? -1 : 1);
      scrolled();
    } else if (e.shiftKey && e.key === "Home") {
      term.scrollToTop();
      scrolled();
    } else if (e.key === "End" && (e.shiftKey || !follow.state().following)) {
      follow.jumpToLatest();
    } else {
      return false;
    }
    e.preventDefault();
    return true;
  };

  return {
    follow,
    handleKey,
    dispose() {
      for (const s of subscriptions) s.dispose();
      follow.dispose();
    },
  };
}
