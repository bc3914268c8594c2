// The Output panel: the program Run started, live, in a terminal of its own (xterm.js), so it
// prints as it goes and reads what the person types (input(), scanf). Above it a bar with the
// command that runs (the server's argv, quoted as for sh), Stop, and the verdict line once it
// ended; Ctrl+C in the panel stops too. `File "x.py", line N` and `x.c:N:M:` in the output are
// links to the editor, in the terminal and again as a list under the bar (for keyboards and
// screen readers, which cannot reach the terminal's links). The panel follows new output while
// its view is at the bottom and holds the same text once the person scrolled up (follow.ts,
// followTerminal.ts), with a "Jump to latest" button (and End) back to following.
import "@xterm/xterm/css/xterm.css";
import "./run.css";
import { FitAddon } from "@xterm/addon-fit";
import { Terminal } from "@xterm/xterm";
import { useEffect, useRef, useState, useSyncExternalStore } from "react";
import type { FollowState } from "./follow";
import { followTerminal, type TerminalFollow } from "./followTerminal";
import { findLocations, type Location } from "./links";
import type { RunController } from "./runController";
import { verdictLine, verdictOk } from "./runtime";

interface Props {
  controller: RunController;
  onOpenLocation(loc: Location): void;
}

function placeName(loc: Location): string {
  return `${loc.path}:${loc.line}${loc.column ? `:${loc.column}` : ""}`;
}

export function RunPanel({ controller, onOpenLocation }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useSyncExternalStore(controller.subscribe, controller.snapshot);
  const openRef = useRef(onOpenLocation);
  openRef.current = onOpenLocation;
  const followRef = useRef<TerminalFollow | null>(null);
  const termRef = useRef<Terminal | null>(null);
  const [follow, setFollow] = useState<FollowState>({ following: true, newLines: 0 });

  useEffect(() => {
    const term = new Terminal({
      cursorBlink: false,
      convertEol: false,
      fontFamily: '"DejaVu Sans Mono", "Menlo", "Consolas", monospace',
      fontSize: 13,
      scrollback: 10000,
      theme: { background: "#1e1e1e", foreground: "#d4d4d4" },
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(host.current!);
    term.element?.setAttribute("aria-label", "Program output and input");
    const safeFit = () => {
      try {
        if (host.current && host.current.clientWidth > 0 && host.current.clientHeight > 0) fit.fit();
      } catch {
        // not laid out yet
      }
    };
    safeFit();
    // What the panel shows of following, at most once an animation frame (a flow feeds lines
    // by the thousand).
    let frame = 0;
    const following = followTerminal(term, () => {
      frame ||= requestAnimationFrame(() => {
        frame = 0;
        setFollow(following.follow.state());
      });
    });
    followRef.current = following;
    termRef.current = term;
    // Ctrl+C stops the program (with a selection, it copies instead).
    term.attachCustomKeyEventHandler((e) => {
      if (following.handleKey(e)) return false;
      if (e.type === "keydown" && e.ctrlKey && !e.shiftKey && !e.altKey && e.key.toLowerCase() === "c") {
        if (term.hasSelection()) {
          void navigator.clipboard?.writeText(term.getSelection()).catch(() => {});
        } else {
          controller.stop();
        }
        return false;
      }
      return true;
    });
    const links = term.registerLinkProvider({
      provideLinks(y, callback) {
        const line = term.buffer.active.getLine(y - 1)?.translateToString(true) ?? "";
        const found = findLocations(line).map((loc) => ({
          range: { start: { x: loc.start + 1, y }, end: { x: loc.end, y } },
          text: line.slice(loc.start, loc.end),
          activate: () => openRef.current(loc),
        }));
        callback(found.length > 0 ? found : undefined);
      },
    });
    const input = term.onData((data) => controller.input(data));
    const binary = term.onBinary((data) => controller.input(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)));
    const resize = term.onResize(({ cols, rows }) => controller.resize(cols, rows));
    const observer = new ResizeObserver(() => safeFit());
    observer.observe(host.current!);
    controller.attach(term, () => following.follow.reset());
    return () => {
      controller.attach(null);
      cancelAnimationFrame(frame);
      followRef.current = null;
      termRef.current = null;
      following.dispose();
      observer.disconnect();
      links.dispose();
      input.dispose();
      binary.dispose();
      resize.dispose();
      term.dispose();
    };
  }, [controller]);

  const running = controller.active;
  const busy = view.reconnecting
    ? "Reconnecting…"
    : view.phase === "starting"
      ? "Starting…"
      : view.phase === "compiling"
        ? "Compiling…"
        : view.phase === "running"
          ? "Running…"
          : null;
  return (
    <section className="run-panel" aria-label="Output" data-testid="run-panel">
      <div className="run-bar">
        {view.phase === "idle" ? (
          <span className="muted">
            Press <kbd>F5</kbd> or Run to save and run the current file.
          </span>
        ) : (
          <code className="run-command" data-testid="run-command" title={view.command ?? ""}>
            {view.command ? `$ ${view.command}` : view.path}
          </code>
        )}
        {busy && (
          <span className="muted" role="status">
            {busy}
          </span>
        )}
        {view.verdict && (
          <span
            className={`verdict ${verdictOk(view.verdict) ? "ok" : "bad"}`}
            data-testid="verdict"
            role="status"
          >
            {verdictLine(view.verdict)}
          </span>
        )}
        {view.error && !view.verdict && (
          <span className="error" role="alert" data-testid="run-error">
            {view.error}
          </span>
        )}
        <button onClick={() => controller.stop()} disabled={!running} title="Stop the program (Ctrl+C in the output)">
          Stop
        </button>
      </div>
      {view.locations.length > 0 && (
        <nav className="run-places" aria-label="Places in the output" data-testid="run-places">
          {view.locations.map((loc) => (
            <button key={placeName(loc)} className="link" onClick={() => onOpenLocation(loc)}>
              {placeName(loc)}
            </button>
          ))}
        </nav>
      )}
      <div className="run-output">
        <div ref={host} className="xterm-host" data-testid="run-output" />
        {!follow.following && (
          <button
            className="run-latest"
            data-testid="run-latest"
            data-new-lines={follow.newLines}
            aria-keyshortcuts="End"
            title="Back to the newest output, and follow it (End)"
            onClick={() => {
              followRef.current?.follow.jumpToLatest();
              termRef.current?.focus(); // the button goes away: focus to the output, not the page
            }}
          >
            Jump to latest
            {follow.newLines > 0 && ` · ${follow.newLines} new line${follow.newLines === 1 ? "" : "s"}`}
          </button>
        )}
        <span className="sr-only" role="status" data-testid="run-follow-status">
          {follow.following ? "" : "Scrolled up: new output is not followed. End or Jump to latest follows it again."}
        </span>
      </div>
    </section>
  );
}
