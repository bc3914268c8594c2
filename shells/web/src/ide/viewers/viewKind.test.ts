import { describe, expect, it } from "vitest";
import { imageType, resolveImagePath, viewKind } from "./FileView";

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

describe("resolveImagePath", () => {
  it("resolves a Markdown image against the file's folder, or the workspace with a leading /", () => {
    expect(resolveImagePath("docs/README.md", "plot.png")).toBe("docs/plot.png");
    expect(resolveImagePath("docs/README.md", "./img/a%20b.PNG")).toBe("docs/img/a b.PNG");
    expect(resolveImagePath("docs/README.md", "../out/plot.svg?v=2")).toBe("out/plot.svg");
    expect(resolveImagePath("README.md", "/docs/x.gif")).toBe("docs/x.gif");
  });

  it("leaves URLs, paths out of the workspace and non-images alone", () => {
    expect(resolveImagePath("README.md", "https://example.com/a.png")).toBeNull();
    expect(resolveImagePath("README.md", "data:image/png;base64,AAAA")).toBeNull();
    expect(resolveImagePath("README.md", "//host/a.png")).toBeNull();
    expect(resolveImagePath("a/README.md", "../../etc/x.png")).toBeNull();
    expect(resolveImagePath("README.md", "notes.txt")).toBeNull();
  });
});
