// Downloads through short-lived signed links (POST .../downloads): the browser follows a plain
// <a href download>, so a large zip streams to disk instead of through the page's memory, and
// the access token never goes into a URL.
import type { ApiClient } from "../../api/client";

export type DownloadKind = "file" | "archive";

/** Asks for a link to `path` ("" with "archive": the whole workspace) and follows it. */
export async function startDownload(client: ApiClient, workspaceId: string, path: string, kind: DownloadKind): Promise<void> {
  const res = await client.call("POST", `/workspaces/${encodeURIComponent(workspaceId)}/downloads`, { json: { path, kind } });
  const { url } = (await res.json()) as { url: string; expires_at: number };
  const a = document.createElement("a");
  a.href = url;
  a.download = "";
  a.rel = "noopener";
  a.style.display = "none";
  document.body.appendChild(a);
  a.click();
  a.remove();
}
