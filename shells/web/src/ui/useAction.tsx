// What the list pages share: an action that shows its error and then reloads (`useAction`),
// data loaded again whenever its loader changes or an action asks (`useLoaded`), and the line
// that shows an error (`ErrorLine`, an alert).
import { useCallback, useEffect, useState } from "react";
import { describeError } from "../api/errors";

export function useAction(onDone: () => void) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = useCallback(
    async (fn: () => Promise<unknown>) => {
      setBusy(true);
      setError(null);
      try {
        await fn();
        onDone();
      } catch (err) {
        setError(describeError(err));
      } finally {
        setBusy(false);
      }
    },
    [onDone],
  );
  return { error, busy, run, setError };
}

/**
 * `load()`'s answer, fetched again when `load` changes (make it with useCallback over what it
 * reads) and after every action `run` finished; `delayMs` waits for typing to pause first.
 */
export function useLoaded<T>(load: () => Promise<T>, delayMs = 0) {
  const [data, setData] = useState<T | null>(null);
  const [reloads, setReloads] = useState(0);
  const again = useCallback(() => setReloads((n) => n + 1), []);
  const action = useAction(again);
  const { setError } = action;
  useEffect(() => {
    let live = true;
    const fetch = () =>
      load().then(
        (d) => live && setData(d),
        (e) => live && setError(describeError(e)),
      );
    const t = delayMs > 0 ? setTimeout(fetch, delayMs) : (void fetch(), undefined);
    return () => {
      live = false;
      if (t !== undefined) clearTimeout(t);
    };
  }, [load, delayMs, reloads, setError]);
  return { data, setData, again, ...action };
}

export function ErrorLine({ error }: { error: string | null }) {
  return error ? (
    <p className="error" role="alert">
      {error}
    </p>
  ) : null;
}
