// The settings applied to the widgets that draw their own colours and text: xterm.js terminals
// and Monaco (the editor and the conflict view share Monaco's one global theme).
import type { Terminal } from "@xterm/xterm";
import { settingsStore, type UserSettings } from "./settings";

const TERMINAL_THEMES = {
  dark: { background: "#1e1e1e", foreground: "#d4d4d4", cursor: "#d4d4d4" },
  light: { background: "#ffffff", foreground: "#1e2030", cursor: "#1e2030", selectionBackground: "#b4c8f0" },
} as const;

export function monacoTheme(settings: UserSettings): string {
  return settings.theme === "light" ? "vs" : "vs-dark";
}

/** The terminal's font size (one point under the editor's) and colours follow the settings. */
export function terminalOptions(settings: UserSettings) {
  return { fontSize: Math.max(8, settings.font_size - 1), theme: { ...TERMINAL_THEMES[settings.theme] } };
}

/**
 * Applies the settings to `term` now and at every change; `refit` runs after a font change
 * (the cell size changed). Returns the unsubscribe function.
 */
export function followSettings(term: Terminal, refit: () => void): () => void {
  let last = "";
  const apply = () => {
    const options = terminalOptions(settingsStore.current);
    const key = JSON.stringify(options);
    if (key === last) return;
    last = key;
    term.options.fontSize = options.fontSize;
    term.options.theme = options.theme;
    refit();
  };
  apply();
  return settingsStore.subscribe(apply);
}
