// One events channel for the signed-in pages (GET /api/v1/events, ide/sync/events.ts) that
// review widgets listen to: `notification` events (the bell) and `review.*` events (a review
// page showing that review). Listeners also hear a reset (the channel resubscribed, events may
// have been missed) as a null event, and reload what they show. The IDE keeps its own channel
// for the tree (its reset and fallback poll are its own).
import { createContext, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { useSession } from "../auth/session";
import { EventChannel, eventsUrl, type ServerEvent } from "../ide/sync/events";

export type LiveListener = (event: ServerEvent | null) => void;

interface LiveEvents {
  connected: boolean;
  subscribe(listener: LiveListener): () => void;
}

const LiveContext = createContext<LiveEvents>({ connected: false, subscribe: () => () => {} });

/** Whether an event concerns review `id` (a review.* event or a notification about it). */
export function isAboutReview(event: ServerEvent, id: string): boolean {
  const e = event as ServerEvent & { review_id?: string };
  return (event.type.startsWith("review.") || event.type === "notification") && e.review_id === id;
}

export function LiveEventsProvider({ children }: { children: ReactNode }) {
  const { client, status } = useSession();
  const listeners = useRef(new Set<LiveListener>());
  const [connected, setConnected] = useState(false);
  const signedIn = status === "authenticated";

  useEffect(() => {
    if (!signedIn) return;
    const emit = (e: ServerEvent | null) => {
      for (const l of [...listeners.current]) l(e);
    };
    const channel = new EventChannel({
      url: eventsUrl(window.location),
      getToken: (fresh) => client.accessToken(fresh),
      onEvent: (e) => emit(e),
      onConnected: setConnected,
      onReset: () => emit(null),
    });
    channel.start();
    return () => {
      channel.stop();
      setConnected(false);
    };
  }, [client, signedIn]);

  const value = useMemo<LiveEvents>(
    () => ({
      connected,
      subscribe(listener) {
        listeners.current.add(listener);
        return () => listeners.current.delete(listener);
      },
    }),
    [connected],
  );
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

/** Calls `listener` for every event (and null on a reset) while the component is mounted. */
export function useLiveEvents(listener: LiveListener): boolean {
  const live = useContext(LiveContext);
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => live.subscribe((e) => latest.current(e)), [live]);
  return live.connected;
}
