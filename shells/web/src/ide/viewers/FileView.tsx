// What the editor area shows beside or instead of the source: an image (PNG, JPEG, GIF, SVG,
// WebP) as a picture, Markdown as rendered text next to its source. The editor (children)
// stays mounted in the same place whatever the file, so Monaco keeps its models and views.
// Images are fetched with the access token and shown from a data: URL typed by extension (the
// page's CSP allows data: images, not blob:), so an SVG is only ever an <img> (which runs no
// script and loads nothing), never inline markup;
// Markdown goes through the problem statements' renderer (problems/markdown.ts), which makes
// React elements and never HTML.
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

function ImageView({ client, workspaceId, path, version }: { client: ApiClient; workspaceId: string; path: string; version: number }) {
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    (async () => {
      try {
        const res = await client.call("GET", `/workspaces/${encodeURIComponent(workspaceId)}/files/${encodePath(path)}`);
        const blob = new Blob([await res.arrayBuffer()], { type: imageType(path) ?? "application/octet-stream" });
        const data = await new Promise<string>((resolve, reject) => {
          const reader = new FileReader();
          reader.onload = () => resolve(String(reader.result));
          reader.onerror = () => reject(reader.error ?? new Error("cannot read the image"));
          reader.readAsDataURL(blob);
        });
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
      {kind === "markdown" && (
        <aside className="markdown-view" aria-label="Markdown preview" data-testid="markdown-view">
          <Statement markdown={text} assets={{}} />
        </aside>
      )}
    </div>
  );
}
