import { describe, expect, it } from "vitest";
import { ApiError, describeError } from "../api/errors";
import type { Workspace } from "../api/types";
import {
  filterWorkspaces,
  shortId,
  sortWorkspaces,
  timeOf,
  upsertWorkspace,
  workspaceErrorMessage,
  workspaceNameProblem,
} from "./order";

const ws = (id: string, name: string, created_at: number | string): Workspace => ({
  id,
  name,
  created_at,
  updated_at: created_at,
  state: "stopped",
  version: 1,
});

describe("the workspace list's order", () => {
  it("is oldest first, then by id, whatever order the server answers in", () => {
    const a = ws("b-2", "Python basics", 1000);
    const b = ws("a-1", "Python basics", 1000); // same time: id decides
    const c = ws("c-3", "Later", 2000);
    const d = ws("d-4", "Earliest", 500);
    const expected = ["d-4", "a-1", "b-2", "c-3"];
    expect(sortWorkspaces([c, a, b, d]).map((w) => w.id)).toEqual(expected);
    expect(sortWorkspaces([d, b, a, c]).map((w) => w.id)).toEqual(expected);
    expect(sortWorkspaces([c, b, a, d].reverse()).map((w) => w.id)).toEqual(expected);
  });

  it("keeps a refresh from moving rows: a new workspace stays where it was put", () => {
    const old = ws("x", "Python basics", 1000);
    const made = ws("y", "Python basics 2", 2000);
    const shown = upsertWorkspace([old], made);
    const refreshed = sortWorkspaces([made, old]); // the server answers newest first
    expect(refreshed.map((w) => w.id)).toEqual(shown.map((w) => w.id));
  });

  it("reads times as milliseconds or ISO strings", () => {
    expect(timeOf(1_700_000_000_000)).toBe(1_700_000_000_000);
    expect(timeOf("1700000000000")).toBe(1_700_000_000_000);
    expect(timeOf("2026-01-01T00:00:00Z")).toBe(Date.parse("2026-01-01T00:00:00Z"));
  });

  it("finds by name, case-insensitively", () => {
    const list = Array.from({ length: 300 }, (_, i) => ws(`id-${i}`, `project ${i}`, i));
    expect(filterWorkspaces(list, "PROJECT 29").map((w) => w.name)).toEqual(["project 29", ...Array.from({ length: 10 }, (_, i) => `project 29${i}`)]);
    expect(filterWorkspaces(list, "  ")).toHaveLength(300);
  });

  it("names a workspace unambiguously by its id's first characters", () => {
    expect(shortId("1b4e28ba-2fa1-11d2-883f-0016d3cca427")).toBe("1b4e28ba");
  });
});

describe("workspace names", () => {
  const list = [ws("x", "Python basics", 1)];
  it("refuses a name the person already uses, except for the workspace itself", () => {
    expect(workspaceNameProblem("Python basics", list)).toMatch(/already have a workspace named “Python basics”/);
    expect(workspaceNameProblem(" Python basics ", list)).not.toBeNull();
    expect(workspaceNameProblem("Python basics", list, "x")).toBeNull();
    expect(workspaceNameProblem("", list)).toBe("A name is required.");
  });
  it("says so plainly when the server refuses a taken name (409)", () => {
    const err = new ApiError(409, "already_exists", "a workspace with this name exists");
    expect(workspaceErrorMessage(err, "Python basics", describeError)).toBe(
      "You already have a workspace named “Python basics”. Choose another name.",
    );
    const other = new ApiError(429, "resource_exhausted", "too many workspaces", "", 12);
    expect(workspaceErrorMessage(other, "x", describeError)).toBe("Limit reached: Too many workspaces. Try again in 12 s.");
  });
});
