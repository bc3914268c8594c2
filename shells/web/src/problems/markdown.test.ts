import { describe, expect, it } from "vitest";
import { parseInline, parseMarkdown, safeUrl } from "./markdown";

describe("parseMarkdown", () => {
  it("reads headings, paragraphs, code and lists", () => {
    const b = parseMarkdown("# Hello\n\nSay *hi* to `x`.\nSecond line.\n\n```\na < b\n```\n\n- one\n- two\n\n1. first");
    expect(b.map((x) => x.t)).toEqual(["h", "p", "pre", "list", "list"]);
    expect(b[1]).toEqual({
      t: "p",
      children: [{ t: "text", text: "Say " }, { t: "em", children: [{ t: "text", text: "hi" }] }, { t: "text", text: " to " }, { t: "code", text: "x" }, { t: "text", text: ". Second line." }],
    });
    expect(b[2]).toEqual({ t: "pre", text: "a < b" });
    expect(b[4]).toMatchObject({ t: "list", ordered: true });
  });

  it("keeps raw HTML as text", () => {
    const b = parseMarkdown('<img src=x onerror="alert(1)"><script>alert(2)</script>');
    expect(b).toEqual([{ t: "p", children: [{ t: "text", text: '<img src=x onerror="alert(1)"><script>alert(2)</script>' }] }]);
  });

  it("drops unsafe link and image URLs", () => {
    expect(parseInline("[x](javascript:void)", () => null)).toEqual([{ t: "text", text: "x" }]);
    expect(parseInline("![pic](data:text/html;base64,AAAA)", () => null)).toEqual([{ t: "text", text: "pic" }]);
    expect(safeUrl("//evil.example/x", false)).toBeNull();
    expect(safeUrl("https://example.com/a", false)).toBe("https://example.com/a");
    expect(safeUrl("data:image/png;base64,AAAA", true)).toBe("data:image/png;base64,AAAA");
  });

  it("takes images from the problem's assets", () => {
    const asset = (n: string) => (n === "fig.png" ? "/api/v1/problems/p/assets/fig.png" : null);
    expect(parseInline("![a figure](fig.png)", asset)).toEqual([{ t: "img", src: "/api/v1/problems/p/assets/fig.png", alt: "a figure" }]);
  });
});
