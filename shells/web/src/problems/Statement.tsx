// A problem statement rendered from Markdown as React elements (markdown.ts): no HTML string
// ever reaches the DOM. Images the statement names by file come from the problem's assets.
import type { ReactNode } from "react";
import { parseMarkdown, type Block, type Inline } from "./markdown";

function inline(nodes: Inline[]): ReactNode[] {
  return nodes.map((n, i) => {
    switch (n.t) {
      case "text":
        return n.text;
      case "code":
        return <code key={i}>{n.text}</code>;
      case "em":
        return <em key={i}>{inline(n.children)}</em>;
      case "strong":
        return <strong key={i}>{inline(n.children)}</strong>;
      case "link":
        return (
          <a key={i} href={n.href} target="_blank" rel="noopener noreferrer">
            {inline(n.children)}
          </a>
        );
      case "img":
        return <img key={i} src={n.src} alt={n.alt} />;
    }
  });
}

function block(b: Block, i: number): ReactNode {
  switch (b.t) {
    case "h": {
      const Tag = `h${Math.min(6, b.level + 1)}` as "h2"; // the page's title is the h1
      return <Tag key={i}>{inline(b.children)}</Tag>;
    }
    case "p":
      return <p key={i}>{inline(b.children)}</p>;
    case "pre":
      return (
        <pre key={i}>
          <code>{b.text}</code>
        </pre>
      );
    case "quote":
      return <blockquote key={i}>{b.children.map(block)}</blockquote>;
    case "list": {
      const items = b.items.map((it, j) => <li key={j}>{inline(it)}</li>);
      return b.ordered ? <ol key={i}>{items}</ol> : <ul key={i}>{items}</ul>;
    }
  }
}

export function Statement({ markdown, assets }: { markdown: string; assets: Record<string, string> }) {
  const asset = (name: string) => assets[name] ?? assets[name.replace(/^\.\//, "")] ?? null;
  return (
    <article className="statement" data-testid="statement">
      {parseMarkdown(markdown, asset).map(block)}
    </article>
  );
}
