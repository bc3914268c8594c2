import { describe, expect, it } from "vitest";
import { ApiError } from "../api/errors";
import { pollPause } from "./usePolling";

describe("polling after an error", () => {
  it("waits out a 429's Retry-After, at least one period", () => {
    expect(pollPause(new ApiError(429, "resource_exhausted", "slow down", "", 30), 5000)).toBe(30_000);
    expect(pollPause(new ApiError(429, "resource_exhausted", "slow down", "", 1), 5000)).toBe(5000);
    expect(pollPause(new ApiError(429, "resource_exhausted", "slow down"), 5000)).toBe(5000);
  });
  it("goes on at its period after other errors", () => {
    expect(pollPause(new ApiError(500, "internal", "x"), 5000)).toBe(0);
    expect(pollPause(new ApiError(0, "network", "x"), 5000)).toBe(0);
  });
});
