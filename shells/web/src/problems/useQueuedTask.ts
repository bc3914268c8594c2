// Runs one queued task (a Run job or a submission) and follows it live: the POST that enqueues
// it, then long-polls (`?wait=`) until its state is `done`, each answer shown as it comes
// (queued -> running -> result). The queue's refusals are messages, not errors: a 503 (queue
// full) is retried by itself after its Retry-After, a 429 (over a per-user limit) waits for
// the person. Starting again, or leaving the page, abandons the task being followed.
import { useCallback, useEffect, useRef, useState } from "react";
import { describeError } from "../api/errors";
import { refusalMessage } from "./api";

export interface TaskView<T> {
  result: T | null;
  busy: boolean;
  refusal: string | null; // the queue's refusal, with the wait
  error: string | null;
}

export function useQueuedTask<T extends { state: string }>() {
  const [view, setView] = useState<TaskView<T>>({ result: null, busy: false, refusal: null, error: null });
  const generation = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const stop = useCallback(() => {
    generation.current++;
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
  }, []);
  useEffect(() => stop, [stop]);

  const start = useCallback(
    (enqueue: () => Promise<string>, read: (id: string) => Promise<T>) => {
      stop();
      const gen = generation.current;
      const live = () => gen === generation.current;
      const attempt = async () => {
        setView({ result: null, busy: true, refusal: null, error: null });
        let id: string;
        try {
          id = await enqueue();
        } catch (err) {
          if (!live()) return;
          const refused = refusalMessage(err);
          if (refused) {
            setView({ result: null, busy: refused.retries, refusal: refused.text, error: null });
            if (refused.retries) timer.current = setTimeout(() => void attempt(), refused.retryS * 1000);
          } else {
            setView({ result: null, busy: false, refusal: null, error: describeError(err) });
          }
          return;
        }
        setView({ result: { state: "queued" } as T, busy: true, refusal: null, error: null });
        for (;;) {
          let doc: T;
          try {
            doc = await read(id);
          } catch (err) {
            if (!live()) return;
            setView((v) => ({ ...v, busy: false, error: describeError(err) }));
            return;
          }
          if (!live()) return;
          const done = doc.state === "done";
          setView({ result: doc, busy: !done, refusal: null, error: null });
          if (done) return;
        }
      };
      void attempt();
    },
    [stop],
  );

  return { view, start };
}
