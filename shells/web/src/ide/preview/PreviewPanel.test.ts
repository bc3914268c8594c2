import { describe, expect, it } from "vitest";
import { validPort } from "./PreviewPanel";

describe("the preview's port field", () => {
  it("takes 1-65535 written plainly, nothing else", () => {
    expect(validPort("8000")).toBe(8000);
    expect(validPort("1")).toBe(1);
    expect(validPort("65535")).toBe(65535);
    for (const bad of ["", "0", "080", "65536", "-1", "8000a", "1e3", " 80"]) expect(validPort(bad)).toBeNull();
  });
});
