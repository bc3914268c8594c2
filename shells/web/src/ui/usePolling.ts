// Runs `tick` every `ms` while the page is visible (and once when it becomes visible again),
// never two at once. A tick's errors are the caller's to handle.
import { useEffect, useRef } from "react";

export function usePolling(tick: () => Promise<void>, ms: number, enabled = true): void {
  const latest = useRef(tick);
  latest.current = tick;
  useEffect(() => {
    if (!enabled) return;
    let running = false;
    let stopped = false;
    const run = async () => {
      if (running || stopped || document.visibilityState !== "visible") return;
      running = true;
      try {
        await latest.current();
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
