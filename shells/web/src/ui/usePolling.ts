// Runs `tick` every `ms` while the page is visible (and once when it becomes visible again),
// never two at once. A tick handles (shows) its own errors and may rethrow them: a 429 rethrown
// pauses the polling for its Retry-After, so a rate-limited poll does not keep knocking; other
// errors are dropped here (the tick has shown them).
import { useEffect, useRef } from "react";
import { ApiError } from "../api/errors";

/** How long a poll waits after `err`, in ms: a 429's Retry-After (at least one period), or 0. */
export function pollPause(err: unknown, ms: number): number {
  if (err instanceof ApiError && err.status === 429) return Math.max(ms, (err.retryAfterS ?? 0) * 1000);
  return 0;
}

export function usePolling(tick: () => Promise<void>, ms: number, enabled = true): void {
  const latest = useRef(tick);
  latest.current = tick;
  useEffect(() => {
    if (!enabled) return;
    let running = false;
    let stopped = false;
    let pausedUntil = 0;
    const run = async () => {
      if (running || stopped || document.visibilityState !== "visible" || Date.now() < pausedUntil) return;
      running = true;
      try {
        await latest.current();
      } catch (err) {
        pausedUntil = Date.now() + pollPause(err, ms);
      } finally {
        running = false;
      }
    };
    const timer = setInterval(() => void run(), ms);
    const onVisible = () => void run();
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      stopped = true;
      clearInterval(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [ms, enabled]);
}
