import { describe, expect, it } from "vitest";
import { imageType, viewKind } from "./FileView";

describe("viewKind", () => {
  it("shows pictures, Markdown beside its source, everything else as source", () => {
    expect(viewKind("plot.png")).toBe("image");
    expect(viewKind("a/b/Photo.JPEG")).toBe("image");
    expect(viewKind("anim.gif")).toBe("image");
    expect(viewKind("icon.svg")).toBe("image");
    expect(viewKind("README.md")).toBe("markdown");
    expect(viewKind("notes.markdown")).toBe("markdown");
    expect(viewKind("main.py")).toBe("source");
    expect(viewKind("png")).toBe("source"); // a name, not an extension
    expect(viewKind(null)).toBe("source");
  });

  it("types a blob by extension, so an SVG is only ever an image", () => {
    expect(imageType("x.svg")).toBe("image/svg+xml");
    expect(imageType("x.jpg")).toBe("image/jpeg");
    expect(imageType("x.txt")).toBeNull();
  });
});
