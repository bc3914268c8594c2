// The signed-in person, shared by every page. On start it turns a stored refresh token into a
// session (a reload stays logged in); a refresh the server refuses, or a logout in another tab,
// sends the person to the login page.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { ApiClient, browserLock } from "../api/client";
import { ApiError } from "../api/errors";
import type { User } from "../api/types";
import { navigate } from "../router";
import { settingsStore } from "../settings/settings";
import { rememberReturn } from "./returnTo";
import { MemoryStorage, TokenStore, type KeyValueStorage } from "./tokens";

export type SessionStatus = "loading" | "offline" | "anonymous" | "authenticated";

export interface Session {
  status: SessionStatus;
  user: User | null;
  client: ApiClient;
  notice: string | null; // why the person was sent to log in
  login(username: string, password: string): Promise<void>;
  signup(username: string, password: string): Promise<void>;
  logout(): Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

function storage(): KeyValueStorage {
  try {
    const s = window.localStorage;
    s.getItem("codeyard.probe");
    return s;
  } catch {
    return new MemoryStorage(); // storage disabled: the login lasts for this page only
  }
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const client = useMemo(() => new ApiClient({ tokens: new TokenStore(storage()), lock: browserLock() }), []);
  const [status, setStatus] = useState<SessionStatus>("loading");
  const [user, setUser] = useState<User | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  // `remember`: come back to this page after logging in again (not after a logout).
  const endSession = useCallback((why: string | null, remember = true) => {
    setUser(null);
    setStatus("anonymous");
    setNotice(why);
    settingsStore.reset();
    if (!["/login", "/signup"].includes(window.location.pathname)) {
      if (remember) rememberReturn(window.location.pathname);
      navigate("/login", { replace: true });
    }
  }, []);

  useEffect(() => {
    client.setOnAuthLost(() => endSession("Your session has ended. Please log in again."));
  }, [client, endSession]);

  // Resume a stored login; retry while the server cannot be reached.
  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const resume = async () => {
      if (!client.tokens.refreshToken) {
        rememberReturn(window.location.pathname); // a deep link opened before signing in
        setStatus("anonymous");
        return;
      }
      try {
        const ok = await client.refresh();
        if (cancelled) return;
        if (ok) {
          setUser(client.tokens.user);
          setStatus("authenticated");
        } else {
          client.tokens.clear();
          endSession("Your session has ended. Please log in again.");
        }
      } catch (err) {
        if (cancelled) return;
        if (err instanceof ApiError && !err.isNetwork && err.status !== 503) {
          client.tokens.clear();
          endSession(null);
          return;
        }
        setStatus("offline");
        timer = setTimeout(resume, 2000);
      }
    };
    void resume();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [client, endSession]);

  // A logout (or a new login) in another tab.
  useEffect(() => {
    const onStorage = (e: StorageEvent) => {
      if (e.key !== TokenStore.refreshKey) return;
      if (e.newValue === null) {
        client.tokens.dropAccess();
        endSession("You logged out in another tab.");
      }
    };
    window.addEventListener("storage", onStorage);
    return () => window.removeEventListener("storage", onStorage);
  }, [client, endSession]);

  // The person's settings (theme first) as soon as they are known.
  useEffect(() => {
    if (status === "authenticated" && user) void settingsStore.load(client, user.id);
  }, [client, status, user]);

  const session: Session = {
    status,
    user,
    client,
    notice,
    login: async (username, password) => {
      const u = await client.login(username, password);
      setUser(u);
      setNotice(null);
      setStatus("authenticated");
    },
    signup: async (username, password) => {
      const u = await client.register(username, password);
      setUser(u);
      setNotice(null);
      setStatus("authenticated");
    },
    logout: async () => {
      await client.logout();
      endSession(null, false);
    },
  };
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside SessionProvider");
  return s;
}
