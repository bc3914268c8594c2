import { describe, expect, it } from "vitest";
import { nextTabIndex } from "./tabs";

const key = (k: string, mods: Partial<{ ctrlKey: boolean; altKey: boolean }> = {}) => ({ key: k, ...mods, preventDefault() {} });

describe("tab keys (WAI-ARIA tabs)", () => {
  it("moves with arrows, wrapping, and Home/End", () => {
    expect(nextTabIndex(key("ArrowRight"), 0, 3)).toBe(1);
    expect(nextTabIndex(key("ArrowRight"), 2, 3)).toBe(0);
    expect(nextTabIndex(key("ArrowLeft"), 0, 3)).toBe(2);
    expect(nextTabIndex(key("Home"), 2, 3)).toBe(0);
    expect(nextTabIndex(key("End"), 0, 3)).toBe(2);
  });
  it("leaves other keys and modified arrows alone", () => {
    expect(nextTabIndex(key("Tab"), 0, 3)).toBe(-1);
    expect(nextTabIndex(key("ArrowDown"), 0, 3)).toBe(-1);
    expect(nextTabIndex(key("ArrowRight", { ctrlKey: true }), 0, 3)).toBe(-1);
    expect(nextTabIndex(key("ArrowRight"), 0, 0)).toBe(-1);
  });
});
