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
});
