// The signed-in person's IDE settings (theme, font size, autosave, tab size), kept on the
// server (GET/PUT /api/v1/me/settings, docs/api.md) so they follow the person to any browser.
// One store for the whole page: the session loads it after signing in, every part that
// depends on a setting subscribes (useUserSettings), and the theme is applied to the page's
// root element at once. The server checks the values; the same ranges are here only to shape
// the dialog's fields. The same answer carries the server's limits the IDE checks before it
// asks (upload caps, terminal tabs): useServerLimits.
import { useSyncExternalStore } from "react";
import type { ApiClient } from "../api/client";
import "./theme.css";

export type Theme = "dark" | "light";

export interface UserSettings {
  theme: Theme;
  font_size: number;
  autosave: boolean;
  tab_size: number;
  updated_at?: number;
}

export const DEFAULT_SETTINGS: UserSettings = { theme: "dark", font_size: 14, autosave: true, tab_size: 4 };
export const FONT_SIZES = { min: 8, max: 32 };
export const TAB_SIZES = { min: 1, max: 8 };

/** The settings answer's fields, with anything missing or odd replaced by the default. */
export function normalizeSettings(raw: Partial<UserSettings> | null | undefined): UserSettings {
  const r = raw ?? {};
  const inRange = (v: unknown, lo: number, hi: number, d: number) =>
    typeof v === "number" && Number.isInteger(v) && v >= lo && v <= hi ? v : d;
  return {
    theme: r.theme === "light" ? "light" : "dark",
    font_size: inRange(r.font_size, FONT_SIZES.min, FONT_SIZES.max, DEFAULT_SETTINGS.font_size),
    autosave: typeof r.autosave === "boolean" ? r.autosave : DEFAULT_SETTINGS.autosave,
    tab_size: inRange(r.tab_size, TAB_SIZES.min, TAB_SIZES.max, DEFAULT_SETTINGS.tab_size),
    updated_at: typeof r.updated_at === "number" ? r.updated_at : 0,
  };
}

/** The server's limits the IDE checks before it asks (GET /me/settings "limits"). */
export interface ServerLimits {
  max_file_bytes: number; // files.max_file_bytes
  max_workspace_bytes: number; // files.max_workspace_bytes
  max_workspace_entries: number; // files.max_workspace_entries
  max_terminals: number; // terminal.max_per_workspace
}

/** The server's defaults, until it says (and from an older server that does not). */
export const DEFAULT_LIMITS: ServerLimits = {
  max_file_bytes: 10 << 20,
  max_workspace_bytes: 100 << 20,
  max_workspace_entries: 10000,
  max_terminals: 4,
};

export function normalizeLimits(raw: Partial<ServerLimits> | null | undefined): ServerLimits {
  const r = raw ?? {};
  const positive = (v: unknown, d: number) => (typeof v === "number" && Number.isInteger(v) && v > 0 ? v : d);
  return {
    max_file_bytes: positive(r.max_file_bytes, DEFAULT_LIMITS.max_file_bytes),
    max_workspace_bytes: positive(r.max_workspace_bytes, DEFAULT_LIMITS.max_workspace_bytes),
    max_workspace_entries: positive(r.max_workspace_entries, DEFAULT_LIMITS.max_workspace_entries),
    max_terminals: positive(r.max_terminals, DEFAULT_LIMITS.max_terminals),
  };
}

export function getSettings(client: ApiClient): Promise<UserSettings & { limits: ServerLimits }> {
  return client.call("GET", "/me/settings").then(async (res) => {
    const doc = (await res.json()) as Partial<UserSettings> & { limits?: Partial<ServerLimits> };
    return { ...normalizeSettings(doc), limits: normalizeLimits(doc.limits) };
  });
}

export function putSettings(client: ApiClient, patch: Partial<UserSettings>): Promise<UserSettings> {
  const { updated_at: _ignored, ...fields } = patch;
  return client
    .call("PUT", "/me/settings", { json: fields })
    .then(async (res) => normalizeSettings(await res.json()));
}

type Listener = () => void;

class SettingsStore {
  private value: UserSettings = DEFAULT_SETTINGS;
  private serverLimits: ServerLimits = DEFAULT_LIMITS;
  private listeners = new Set<Listener>();
  private loadedFor: string | null = null;

  get current(): UserSettings {
    return this.value;
  }

  get limits(): ServerLimits {
    return this.serverLimits;
  }

  subscribe = (fn: Listener): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  set(next: UserSettings): void {
    this.value = next;
    applyTheme(next.theme);
    for (const fn of [...this.listeners]) fn();
  }

  /** Loads `userId`'s settings once per sign-in; a failure keeps the defaults. */
  async load(client: ApiClient, userId: string): Promise<void> {
    if (this.loadedFor === userId) return;
    this.loadedFor = userId;
    try {
      const { limits, ...settings } = await getSettings(client);
      this.serverLimits = limits;
      this.set(settings);
    } catch {
      this.loadedFor = null; // tried again at the next sign-in or page
    }
  }

  /** Back to the defaults (signed out). */
  reset(): void {
    this.loadedFor = null;
    this.set(DEFAULT_SETTINGS);
  }

  async update(client: ApiClient, patch: Partial<UserSettings>): Promise<UserSettings> {
    const saved = await putSettings(client, patch);
    this.set(saved);
    return saved;
  }
}

export const settingsStore = new SettingsStore();

function applyTheme(theme: Theme): void {
  if (typeof document !== "undefined") document.documentElement.dataset.theme = theme;
}

export function useUserSettings(): UserSettings {
  return useSyncExternalStore(settingsStore.subscribe, () => settingsStore.current);
}

export function useServerLimits(): ServerLimits {
  return useSyncExternalStore(settingsStore.subscribe, () => settingsStore.limits);
}
