// What the editor area shows beside or instead of the source: an image (PNG, JPEG, GIF, SVG,
// WebP) as a picture, Markdown as rendered text next to its source. The editor (children)
// stays mounted in the same place whatever the file, so Monaco keeps its models and views.
// Images are fetched with the access token and shown from a data: URL typed by extension (the
// page's CSP allows data: images, not blob:), so an SVG is only ever an <img> (which runs no
// script and loads nothing), never inline markup;
// Markdown goes through the problem statements' renderer (problems/markdown.ts), which makes
// React elements and never HTML; its images with paths relative to the .md file (or to the
// workspace, with a leading "/") are workspace files, fetched the same way as an image tab.
import { useEffect, useState, type ReactNode } from "react";
import "./viewers.css";
import type { ApiClient } from "../../api/client";
import { encodePath } from "../../api/client";
import { describeError } from "../../api/errors";
import { Statement } from "../../problems/Statement";

const IMAGE_TYPES: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  svg: "image/svg+xml",
  webp: "image/webp",
};

export type ViewKind = "image" | "markdown" | "source";

export function viewKind(path: string | null): ViewKind {
  if (!path) return "source";
  const ext = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
  if (ext in IMAGE_TYPES && path.includes(".")) return "image";
  if ((ext === "md" || ext === "markdown") && path.includes(".")) return "markdown";
  return "source";
}

export function imageType(path: string): string | null {
  return IMAGE_TYPES[path.slice(path.lastIndexOf(".") + 1).toLowerCase()] ?? null;
}

interface Props {
  client: ApiClient;
  workspaceId: string;
  path: string | null;
  /** The open file's text as edited (Markdown previews what is typed). */
  text: string;
  /** The stored version: an image is fetched again when it changes (plt.savefig again). */
  version: number;
  children: ReactNode;
}

/** A workspace image as a data: URL typed by its extension (the files API, with the token). */
async function fetchImage(client: ApiClient, workspaceId: string, path: string): Promise<string> {
  const res = await client.call("GET", `/workspaces/${encodeURIComponent(workspaceId)}/files/${encodePath(path)}`);
  const blob = new Blob([await res.arrayBuffer()], { type: imageType(path) ?? "application/octet-stream" });
  return new Promise<string>((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error("cannot read the image"));
    reader.readAsDataURL(blob);
  });
}

/**
 * The workspace path an image reference of the Markdown file `mdPath` names: relative to the
 * file's folder ("plot.png", "./img/a.png", "../b.png"), or to the workspace with a leading "/".
 * Null for a URL with a scheme, a path leaving the workspace, or not an image type.
 */
export function resolveImagePath(mdPath: string, ref: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(ref) || ref.startsWith("//")) return null;
  let clean = ref.split(/[?#]/)[0];
  try {
    clean = decodeURIComponent(clean);
  } catch {
    return null;
  }
  const base = clean.startsWith("/") ? [] : mdPath.split("/").slice(0, -1);
  const parts = [...base];
  for (const part of clean.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) return null;
      parts.pop();
    } else parts.push(part);
  }
  const path = parts.join("/");
  return path && imageType(path) ? path : null;
}

const MAX_MARKDOWN_IMAGES = 32; // fetched for one preview

/** The images a Markdown text names inside the workspace, as data: URLs keyed by reference. */
function useMarkdownImages(client: ApiClient, workspaceId: string, mdPath: string | null, text: string): Record<string, string> {
  const [assets, setAssets] = useState<Record<string, string>>({});
  const refs = mdPath ? [...new Set([...text.matchAll(/!\[[^\]]*\]\(([^)\s]+)/g)].map((m) => m[1]))].slice(0, MAX_MARKDOWN_IMAGES) : [];
  const key = refs.join("\n");
  useEffect(() => {
    if (!mdPath) return;
    let cancelled = false;
    void Promise.all(
      key.split("\n").map(async (ref): Promise<[string, string] | null> => {
        const path = ref ? resolveImagePath(mdPath, ref) : null;
        if (!path) return null;
        try {
          return [ref, await fetchImage(client, workspaceId, path)];
        } catch {
          return null; // missing or unreadable: the alt text shows
        }
      }),
    ).then((found) => {
      if (!cancelled) setAssets(Object.fromEntries(found.filter((f): f is [string, string] => f !== null)));
    });
    return () => {
      cancelled = true;
    };
  }, [client, workspaceId, mdPath, key]);
  return assets;
}

function MarkdownView({ client, workspaceId, path, text }: { client: ApiClient; workspaceId: string; path: string; text: string }) {
  const assets = useMarkdownImages(client, workspaceId, path, text);
  return (
    <aside className="markdown-view" aria-label="Markdown preview" data-testid="markdown-view">
      <Statement markdown={text} assets={assets} />
    </aside>
  );
}

function ImageView({ client, workspaceId, path, version }: { client: ApiClient; workspaceId: string; path: string; version: number }) {
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    (async () => {
      try {
        const data = await fetchImage(client, workspaceId, path);
        if (cancelled) return;
        setUrl(data);
        setError(null);
      } catch (err) {
        if (!cancelled) setError(describeError(err));
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [client, workspaceId, path, version]);
  const name = path.slice(path.lastIndexOf("/") + 1);
  return (
    <div className="image-view" data-testid="image-view">
      {error && <p className="error">Cannot show {name}: {error}</p>}
      {url && <img src={url} alt={name} />}
    </div>
  );
}

export function FileView({ client, workspaceId, path, text, version, children }: Props) {
  const kind = viewKind(path);
  return (
    <div className={`file-view file-view-${kind}`}>
      <div className="file-view-source" hidden={kind === "image"}>
        {children}
      </div>
      {kind === "image" && path && <ImageView client={client} workspaceId={workspaceId} path={path} version={version} />}
      {kind === "markdown" && path && <MarkdownView client={client} workspaceId={workspaceId} path={path} text={text} />}
    </div>
  );
}
