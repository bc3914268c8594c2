import { describe, expect, it } from "vitest";
import { refusalBeforeUpload, type UploadItem } from "./upload";

const item = (path: string, size: number): UploadItem => ({ path, file: new File([new Uint8Array(size)], path.split("/").pop()!) });
const caps = { max_file_bytes: 1000, max_workspace_bytes: 2500 };

describe("refusalBeforeUpload", () => {
  it("names the first file over the file cap, under the target folder", () => {
    const refused = refusalBeforeUpload("data", [item("a.txt", 10), item("big/photo.png", 1001), item("c.bin", 5000)], caps);
    expect(refused?.path).toBe("data/big/photo.png");
    expect(refused?.message).toMatch(/files\.max_file_bytes/);
  });

  it("refuses a batch larger than a whole workspace may be", () => {
    const refused = refusalBeforeUpload("", [item("a", 900), item("b", 900), item("c", 900)], caps);
    expect(refused?.path).toBe("the workspace");
    expect(refused?.message).toMatch(/files\.max_workspace_bytes/);
  });

  it("lets a batch within the caps go (files exactly at the cap included)", () => {
    expect(refusalBeforeUpload("", [item("a", 1000), item("b", 1000)], caps)).toBeNull();
  });

  it("with the workspace's usage: refuses what would take it past its bytes, counting a replaced file's growth only", () => {
    const existing = new Map([
      ["data", { kind: "dir" as const, size: 0 }],
      ["data/a", { kind: "file" as const, size: 800 }],
    ]);
    const usage = { bytes: 2000, entries: 2, existing };
    // a replaces 800 bytes with 900: +100, within 2500
    expect(refusalBeforeUpload("data", [item("a", 900)], caps, usage)).toBeNull();
    const refused = refusalBeforeUpload("data", [item("a", 900), item("b", 500)], caps, usage);
    expect(refused?.message).toMatch(/holds .*files\.max_workspace_bytes/);
    expect(refused?.path).toBe("data");
  });

  it("with the workspace's usage: counts new files and new folders against the entries cap", () => {
    const usage = { bytes: 0, entries: 8, existing: new Map([["src", { kind: "dir" as const, size: 0 }]]) };
    const entryCaps = { ...caps, max_workspace_entries: 10 };
    expect(refusalBeforeUpload("src", [item("a", 1), item("b", 1)], entryCaps, usage)).toBeNull();
    // lib/ and lib/x are two new entries, plus c: 11
    const refused = refusalBeforeUpload("", [item("c", 1), item("lib/x", 1), item("src/y", 1)], entryCaps, usage);
    expect(refused?.message).toMatch(/files\.max_workspace_entries/);
    expect(refused?.message).toMatch(/adds 4/);
  });
});
