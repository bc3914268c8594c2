import { describe, expect, it } from "vitest";
import { MemoryStorage } from "./tokens";
import { isReturnPath, rememberReturn, takeReturn } from "./returnTo";

describe("the page to return to after logging in", () => {
  it("keeps a deep link once, and only the app's own pages", () => {
    const s = new MemoryStorage();
    rememberReturn("/w/abc", s);
    expect(takeReturn(s)).toBe("/w/abc");
    expect(takeReturn(s)).toBe("/"); // taken
    for (const p of ["/", "/login", "/signup", "//evil.example/x", "https://evil.example"]) {
      expect(isReturnPath(p)).toBe(false);
      rememberReturn(p, s);
      expect(takeReturn(s)).toBe("/");
    }
    expect(takeReturn(null)).toBe("/");
  });
});
