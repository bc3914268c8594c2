import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, DEFAULT_SETTINGS, normalizeLimits, normalizeSettings } from "./settings";
import { terminalOptions } from "./apply";

describe("settings", () => {
  it("reads the server's answer, defaults for anything missing or out of range", () => {
    expect(normalizeSettings(null)).toEqual({ ...DEFAULT_SETTINGS, updated_at: 0 });
    expect(normalizeSettings({ theme: "light", font_size: 18, autosave: false, tab_size: 2, updated_at: 9 })).toEqual({
      theme: "light",
      font_size: 18,
      autosave: false,
      tab_size: 2,
      updated_at: 9,
    });
    expect(normalizeSettings({ theme: "blue" as "dark", font_size: 99, tab_size: 0 })).toMatchObject({ theme: "dark", font_size: 14, tab_size: 4 });
  });

  it("gives the terminal the theme's colours and a font size", () => {
    expect(terminalOptions({ ...DEFAULT_SETTINGS, theme: "light", font_size: 20 }).fontSize).toBe(19);
    expect(terminalOptions(DEFAULT_SETTINGS).theme.background).toBe("#1e1e1e");
  });
});

describe("the server's limits in the settings answer", () => {
  it("takes what the server says, and its defaults for what is missing or odd", () => {
    expect(normalizeLimits(undefined)).toEqual(DEFAULT_LIMITS);
    expect(normalizeLimits({ max_terminals: 6, max_file_bytes: 123, max_workspace_bytes: -1 })).toEqual({
      ...DEFAULT_LIMITS,
      max_terminals: 6,
      max_file_bytes: 123,
    });
  });
});
