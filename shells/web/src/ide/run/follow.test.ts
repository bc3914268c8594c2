import { describe, expect, it } from "vitest";
import { type Anchor, type FollowView, OutputFollow } from "./follow";

// A terminal's scrollback as far as following goes: numbered lines, `rows` shown, at most
// `capacity` kept (the oldest dropped), anchors that move with their line. Like xterm.js when
// it missed the person's scroll, it moves the view to the newest lines on every write: the
// object under test must put it back.
class Scrollback implements FollowView {
  lines: string[] = [];
  viewportY = 0;
  private anchors: { line: number; isDisposed: boolean; dispose(): void }[] = [];
  private printed = 0;

  constructor(
    private readonly rows: number,
    private readonly capacity: number,
  ) {}

  get baseY(): number {
    return Math.max(0, this.lines.length - this.rows);
  }

  scrollToLine(line: number): void {
    this.viewportY = Math.max(0, Math.min(line, this.baseY));
  }

  anchor(line: number): Anchor {
    const a = {
      line,
      isDisposed: false,
      dispose() {
        a.isDisposed = true;
      },
    };
    this.anchors.push(a);
    return a;
  }

  print(n: number, follow: OutputFollow): void {
    for (let i = 0; i < n; i++) {
      this.lines.push(`line ${this.printed++}`);
      if (this.lines.length > this.capacity) {
        this.lines.shift();
        for (const a of this.anchors) if (--a.line < 0) a.isDisposed = true;
      }
      follow.lineFed();
    }
    this.viewportY = this.baseY; // the view jumps to the newest lines by itself
    follow.written();
  }

  shown(): string[] {
    return this.lines.slice(this.viewportY, this.viewportY + this.rows);
  }
}

function setUp(capacity = 1000) {
  const buffer = new Scrollback(10, capacity);
  let changes = 0;
  const follow = new OutputFollow(buffer, () => changes++);
  return { buffer, follow, changes: () => changes };
}

describe("OutputFollow", () => {
  it("follows new output at first", () => {
    const { buffer, follow } = setUp();
    buffer.print(50, follow);
    expect(buffer.shown().at(-1)).toBe("line 49");
    expect(follow.state()).toEqual({ following: true, newLines: 0 });
  });

  it("keeps the same lines once the person scrolled up, and counts the new ones", () => {
    const { buffer, follow, changes } = setUp();
    buffer.print(50, follow);
    buffer.scrollToLine(buffer.viewportY - 5);
    follow.personScrolled();
    const seen = buffer.shown();
    buffer.print(200, follow);
    expect(buffer.shown()).toEqual(seen);
    expect(follow.state()).toEqual({ following: false, newLines: 200 });
    expect(changes()).toBeGreaterThan(0);
  });

  it("keeps the same text when the scrollback is full and drops old lines", () => {
    const { buffer, follow } = setUp(100);
    buffer.print(150, follow);
    buffer.scrollToLine(buffer.baseY - 20);
    follow.personScrolled();
    const seen = buffer.shown();
    buffer.print(30, follow); // 30 old lines dropped: the same text is 30 lines higher up
    expect(buffer.shown()).toEqual(seen);
    expect(buffer.lines.length).toBe(100);
  });

  it("stays at the top, on the oldest lines kept, once the lines shown were dropped", () => {
    const { buffer, follow } = setUp(100);
    buffer.print(150, follow);
    buffer.scrollToLine(5);
    follow.personScrolled();
    buffer.print(30, follow);
    expect(buffer.viewportY).toBe(0);
    expect(buffer.shown()[0]).toBe("line 80");
    expect(follow.state().following).toBe(false);
  });

  it("follows again once the person scrolls back to the bottom", () => {
    const { buffer, follow } = setUp();
    buffer.print(50, follow);
    buffer.scrollToLine(3);
    follow.personScrolled();
    buffer.print(20, follow);
    buffer.scrollToLine(buffer.baseY);
    follow.personScrolled();
    expect(follow.state()).toEqual({ following: true, newLines: 0 });
    buffer.print(20, follow);
    expect(buffer.shown().at(-1)).toBe("line 89");
  });

  it("jumps to the latest and follows", () => {
    const { buffer, follow } = setUp();
    buffer.print(50, follow);
    buffer.scrollToLine(0);
    follow.personScrolled();
    buffer.print(20, follow);
    expect(buffer.shown()[0]).toBe("line 0");
    follow.jumpToLatest();
    expect(buffer.shown().at(-1)).toBe("line 69");
    buffer.print(1, follow);
    expect(buffer.shown().at(-1)).toBe("line 70");
  });

  it("a scroll within the scrolled-up view moves the held place", () => {
    const { buffer, follow } = setUp();
    buffer.print(50, follow);
    buffer.scrollToLine(30);
    follow.personScrolled();
    buffer.scrollToLine(10);
    follow.personScrolled();
    buffer.print(5, follow);
    expect(buffer.shown()[0]).toBe("line 10");
    expect(follow.state().newLines).toBe(5);
  });

  it("follows again after a reset (a new run)", () => {
    const { buffer, follow } = setUp();
    buffer.print(50, follow);
    buffer.scrollToLine(0);
    follow.personScrolled();
    follow.reset();
    buffer.lines = [];
    buffer.print(30, follow);
    expect(follow.state()).toEqual({ following: true, newLines: 0 });
    expect(buffer.shown().at(-1)).toBe("line 79");
  });
});
