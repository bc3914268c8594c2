// Whether the Output panel follows new output, kept by the panel itself rather than left to
// xterm.js. xterm.js follows unless its buffer was told the person scrolled, but a wheel only
// moves the DOM scroll bar, and the buffer hears of it on the next `scroll` event: new output
// drawn in between puts the scroll bar back and that event is ignored, so during a flow a
// scroll-up was lost (the view jumped back to the newest lines). The panel therefore turns
// each of the person's scrolls (wheel, keys, scroll bar) into a move of the buffer's view at
// once, tells this object, and after each write puts the view where this object says:
// - following (at first, and once the view is back at the bottom): the newest lines;
// - scrolled up: the same text as before, held by an anchor on the top line shown that moves
//   as the 10,000-line scrollback drops its oldest lines; once that line itself is dropped,
//   the view stays at the top, on the oldest lines kept.
// Lines that came while scrolled up are counted for the "Jump to latest" button.
// Not thread-safe (the page's one thread); no DOM here, so it is unit-tested without a browser.

/** A place in the output that moves with its text (an xterm.js marker). */
export interface Anchor {
  readonly line: number;
  readonly isDisposed: boolean;
  dispose(): void;
}

/** The terminal's buffer as far as following goes (xterm.js's, see RunPanel.tsx). */
export interface FollowView {
  /** The top line shown. */
  readonly viewportY: number;
  /** The top line shown when at the bottom. */
  readonly baseY: number;
  scrollToLine(line: number): void;
  /** An anchor on `line`, or undefined when none can be made (an alternate screen). */
  anchor(line: number): Anchor | undefined;
}

export interface FollowState {
  following: boolean;
  /** Lines of output that came since the person scrolled up. */
  newLines: number;
}

export class OutputFollow {
  private following = true;
  private newLines = 0;
  private held: Anchor | undefined;

  constructor(
    private readonly view: FollowView,
    private readonly changed: () => void = () => {},
  ) {}

  state(): FollowState {
    return { following: this.following, newLines: this.newLines };
  }

  /** The person moved the view (it has already moved): follow if at the bottom, else hold. */
  personScrolled(): void {
    const { viewportY, baseY } = this.view;
    if (viewportY >= baseY) {
      this.resume();
      return;
    }
    if (this.held && !this.held.isDisposed && this.held.line === viewportY && !this.following) return;
    this.held?.dispose();
    this.held = this.view.anchor(viewportY);
    if (this.following) {
      this.following = false;
      this.newLines = 0;
      this.changed();
    }
  }

  /** A line of output came (before or after it was drawn: only counted). */
  lineFed(): void {
    if (this.following) return;
    this.newLines += 1;
    this.changed();
  }

  /** Output was written: the view goes where it belongs. */
  written(): void {
    const target = this.target();
    if (this.view.viewportY !== target) this.view.scrollToLine(target);
  }

  /** Back to the newest lines, following (the button, End). */
  jumpToLatest(): void {
    this.resume();
    this.written();
  }

  /** The terminal was cleared for a new run. */
  reset(): void {
    this.resume();
  }

  dispose(): void {
    this.held?.dispose();
    this.held = undefined;
  }

  private target(): number {
    if (this.following) return this.view.baseY;
    if (!this.held || this.held.isDisposed) return 0;
    return Math.min(this.held.line, this.view.baseY);
  }

  private resume(): void {
    this.held?.dispose();
    this.held = undefined;
    if (this.following && this.newLines === 0) return;
    this.following = true;
    this.newLines = 0;
    this.changed();
  }
}
