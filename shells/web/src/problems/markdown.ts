// A small Markdown reader for problem statements: headings, paragraphs, fenced and indented
// code, lists, block quotes, emphasis, inline code, links, images and $math$ (kept as text).
// It produces a tree of plain nodes that the page renders as React elements, never an HTML
// string: a statement's raw HTML shows as text, so a package cannot inject markup or script.
// Links and images pass `safeUrl`: only http(s), relative and (for images) data:image URLs.

export type Inline =
  | { t: "text"; text: string }
  | { t: "code"; text: string }
  | { t: "em" | "strong"; children: Inline[] }
  | { t: "link"; href: string; children: Inline[] }
  | { t: "img"; src: string; alt: string };

export type Block =
  | { t: "h"; level: number; children: Inline[] }
  | { t: "p"; children: Inline[] }
  | { t: "pre"; text: string }
  | { t: "quote"; children: Block[] }
  | { t: "list"; ordered: boolean; items: Inline[][] };

/** The URL when it is safe to put in href/src, else null (javascript:, vbscript:, data: HTML...). */
export function safeUrl(url: string, image: boolean): string | null {
  const u = url.trim();
  if (/^https?:\/\//i.test(u)) return u;
  if (image && /^data:image\/(png|gif|jpeg|webp|svg\+xml);base64,[a-z0-9+/=\s]*$/i.test(u)) return u;
  if (/^[a-z][a-z0-9+.-]*:/i.test(u) || u.startsWith("//")) return null; // another scheme or host
  return u;
}

export function parseInline(src: string, asset: (name: string) => string | null): Inline[] {
  const out: Inline[] = [];
  let text = "";
  const flush = () => {
    if (text) out.push({ t: "text", text });
    text = "";
  };
  let i = 0;
  while (i < src.length) {
    const rest = src.slice(i);
    let m: RegExpExecArray | null;
    if (rest[0] === "\\" && rest.length > 1) {
      text += rest[1];
      i += 2;
    } else if ((m = /^`([^`]+)`/.exec(rest))) {
      flush();
      out.push({ t: "code", text: m[1] });
      i += m[0].length;
    } else if ((m = /^!\[([^\]]*)\]\(([^)\s]+)(?:\s+"[^"]*")?\)/.exec(rest))) {
      flush();
      const src2 = asset(m[2]) ?? safeUrl(m[2], true);
      if (src2) out.push({ t: "img", src: src2, alt: m[1] });
      else text += m[1];
      i += m[0].length;
    } else if ((m = /^\[([^\]]+)\]\(([^)\s]+)\)/.exec(rest))) {
      flush();
      const href = safeUrl(m[2], false);
      const children = parseInline(m[1], asset);
      if (href) out.push({ t: "link", href, children });
      else out.push(...children);
      i += m[0].length;
    } else if ((m = /^(\*\*|__)(.+?)\1/.exec(rest))) {
      flush();
      out.push({ t: "strong", children: parseInline(m[2], asset) });
      i += m[0].length;
    } else if ((m = /^([*_])([^*_\s](?:.*?[^*_\s])?)\1/.exec(rest))) {
      flush();
      out.push({ t: "em", children: parseInline(m[2], asset) });
      i += m[0].length;
    } else {
      text += rest[0];
      i += 1;
    }
  }
  flush();
  return out;
}

export function parseMarkdown(src: string, asset: (name: string) => string | null = () => null): Block[] {
  const lines = src.replace(/\r\n?/g, "\n").split("\n");
  const blocks: Block[] = [];
  let para: string[] = [];
  const endPara = () => {
    if (para.length) blocks.push({ t: "p", children: parseInline(para.join(" "), asset) });
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    let m: RegExpExecArray | null;
    if ((m = /^\s*(```|~~~)/.exec(line))) {
      endPara();
      const fence = m[1];
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i].trim().startsWith(fence); i++) body.push(lines[i]);
      blocks.push({ t: "pre", text: body.join("\n") });
    } else if ((m = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line))) {
      endPara();
      blocks.push({ t: "h", level: m[1].length, children: parseInline(m[2], asset) });
    } else if (line.trim() === "") {
      endPara();
    } else if (/^( {4}|\t)/.test(line) && para.length === 0) {
      const body: string[] = [];
      for (; i < lines.length && (/^( {4}|\t)/.test(lines[i]) || lines[i].trim() === ""); i++) body.push(lines[i].replace(/^( {4}|\t)/, ""));
      i--;
      while (body.length && body[body.length - 1].trim() === "") body.pop();
      blocks.push({ t: "pre", text: body.join("\n") });
    } else if (/^\s*>/.test(line)) {
      endPara();
      const body: string[] = [];
      for (; i < lines.length && /^\s*>/.test(lines[i]); i++) body.push(lines[i].replace(/^\s*>\s?/, ""));
      i--;
      blocks.push({ t: "quote", children: parseMarkdown(body.join("\n"), asset) });
    } else if (/^\s*([-*+]|\d+[.)])\s+/.test(line)) {
      endPara();
      const ordered = /^\s*\d/.test(line);
      const items: Inline[][] = [];
      for (; i < lines.length && /^\s*([-*+]|\d+[.)])\s+/.test(lines[i]); i++) {
        items.push(parseInline(lines[i].replace(/^\s*([-*+]|\d+[.)])\s+/, ""), asset));
      }
      i--;
      blocks.push({ t: "list", ordered, items });
    } else {
      para.push(line.trim());
    }
  }
  endPara();
  return blocks;
}
