// Where the UI keeps its tokens (docs/web.md, "Tokens"). The access token lives only in memory:
// it is short-lived and every request can get a new one. The refresh token is kept in
// localStorage so that a reload, or a second tab, stays logged in; it is read afresh before
// every use, because refresh tokens rotate and any tab may have replaced it (a rotated-out token
// presented again ends the login, so tabs must never refresh with a stale copy). The client
// serialises refreshes across tabs with a Web Lock (see client.ts).
import type { AuthResponse, User } from "../api/types";

/** The part of the Web Storage interface used here (localStorage, or a Map in tests). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const REFRESH_KEY = "codeyard.refresh_token";
const USER_KEY = "codeyard.user";

export class TokenStore {
  private access: string | null = null;
  private readonly storage: KeyValueStorage;

  constructor(storage: KeyValueStorage) {
    this.storage = storage;
  }

  get accessToken(): string | null {
    return this.access;
  }

  get refreshToken(): string | null {
    return this.storage.getItem(REFRESH_KEY);
  }

  get user(): User | null {
    const text = this.storage.getItem(USER_KEY);
    if (!text) return null;
    try {
      return JSON.parse(text) as User;
    } catch {
      return null;
    }
  }

  /** Keeps the tokens of a login, registration or refresh. */
  set(auth: AuthResponse): void {
    this.access = auth.access_token;
    this.storage.setItem(REFRESH_KEY, auth.refresh_token);
    this.storage.setItem(USER_KEY, JSON.stringify(auth.user));
  }

  /** Forgets everything (log out, or the login ended). */
  clear(): void {
    this.access = null;
    this.storage.removeItem(REFRESH_KEY);
    this.storage.removeItem(USER_KEY);
  }

  /** Drops only the in-memory access token (another tab logged out, or it was refused). */
  dropAccess(): void {
    this.access = null;
  }

  static readonly refreshKey = REFRESH_KEY;
}

/** A Map-backed KeyValueStorage, for tests and browsers without localStorage. */
export class MemoryStorage implements KeyValueStorage {
  private readonly map = new Map<string, string>();
  getItem(key: string): string | null {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.map.set(key, value);
  }
  removeItem(key: string): void {
    this.map.delete(key);
  }
}
