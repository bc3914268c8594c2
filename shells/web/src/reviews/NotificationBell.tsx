// The bell in the top bar: the unread count, live. It reloads the list when a `notification`
// event arrives on the page's events channel (and after the channel resubscribes); while the
// channel is down it polls slowly. Opening it lists the latest notifications; choosing one
// marks it read and opens its review. Escape closes the list and gives focus back to the bell;
// a click outside closes it too.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { describeError } from "../api/errors";
import { useSession } from "../auth/session";
import { navigate } from "../router";
import { usePolling } from "../ui/usePolling";
import { ReviewsApi, type NotificationPage } from "./api";
import { notificationText } from "./notify";
import { useLiveEvents } from "./live";

const FALLBACK_POLL_MS = 30_000;

export function NotificationBell() {
  const { client } = useSession();
  const api = useMemo(() => new ReviewsApi(client), [client]);
  const [page, setPage] = useState<NotificationPage | null>(null);
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const bell = useRef<HTMLButtonElement>(null);
  const panel = useRef<HTMLDivElement>(null);
  const wrap = useRef<HTMLDivElement>(null);
  const loads = useRef(0);

  const load = useCallback(async () => {
    const n = ++loads.current;
    try {
      const p = await api.notifications();
      if (n === loads.current) setPage(p); // an older answer never replaces a newer one
      setError(null);
    } catch (err) {
      setError(describeError(err));
      throw err;
    }
  }, [api]);

  useEffect(() => {
    void load().catch(() => {});
  }, [load]);
  const connected = useLiveEvents((e) => {
    if (e === null || e.type === "notification") void load().catch(() => {});
  });
  usePolling(load, FALLBACK_POLL_MS, !connected);

  const close = useCallback(() => {
    setOpen(false);
    bell.current?.focus();
  }, []);

  // Open: focus goes into the list; Escape anywhere closes it (focus back on the bell), and so
  // does a click outside it.
  useEffect(() => {
    if (!open) return;
    panel.current?.querySelector<HTMLElement>("button")?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") close();
    };
    const onDown = (e: MouseEvent) => {
      if (!wrap.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("keydown", onKey);
    document.addEventListener("mousedown", onDown);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("mousedown", onDown);
    };
  }, [open, close]);
  const mark = async (which: { ids: number[] } | { all: true }) => {
    try {
      loads.current++;
      setPage(await api.markRead(which));
    } catch (err) {
      setError(describeError(err));
    }
  };

  const unread = page?.unread ?? 0;
  return (
    <div className="bell-wrap" ref={wrap}>
      <button
        ref={bell}
        className="bell"
        aria-haspopup="dialog"
        aria-expanded={open}
        aria-label={`Notifications, ${unread} unread`}
        data-testid="bell"
        onClick={() => (open ? close() : setOpen(true))}
      >
        <svg className="bell-icon" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true">
          <path
            fill="currentColor"
            d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z"
          />
        </svg>
        {unread > 0 && (
          <span className="bell-count" data-testid="bell-count">
            {unread}
          </span>
        )}
      </button>
      {open && (
        <div
          ref={panel}
          className="bell-panel"
          role="dialog"
          aria-label="Notifications"
        >
          <div className="row bell-head">
            <strong>Notifications</strong>
            {/* never disabled: it holds the focus after a click, and a disabled button drops it */}
            <button className="link" onClick={() => void mark({ all: true })}>
              Mark all read
            </button>
            <button className="link" onClick={close}>
              Close
            </button>
          </div>
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
          {page && page.items.length === 0 && <p className="muted">Nothing yet.</p>}
          <ul className="bell-list">
            {page?.items.map((n) => (
              <li key={n.id} className={n.read ? "read" : "unread"} data-testid="notification">
                <button
                  className="bell-item"
                  onClick={() => {
                    if (!n.read) void mark({ ids: [n.id] });
                    setOpen(false);
                    navigate(`/reviews/${encodeURIComponent(n.review_id)}`);
                  }}
                >
                  {!n.read && <span className="sr-only">Unread: </span>}
                  {notificationText(n)}
                  <span className="muted small"> · {new Date(n.at).toLocaleString()}</span>
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
