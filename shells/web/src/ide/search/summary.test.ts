import { describe, expect, it } from "vitest";
import { stoppedAt } from "./summary";

describe("search summary", () => {
  it("names the limit that cut a search short", () => {
    expect(stoppedAt("search.max_results")).toBe("the result limit");
    expect(stoppedAt("search.max_scan_bytes")).toBe("the search's size limit");
    expect(stoppedAt("search.max_cpu_ms")).toBe("the search's time limit");
  });
});
