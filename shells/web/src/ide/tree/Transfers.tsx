// The explorer's files in and out: the Upload button (a menu of "Files…" and "Folder…", each a
// hidden <input type=file>), the Download button (the selected file or folder, or the whole
// workspace), the upload progress bar, and the state they share with drops from the desktop.
import { useRef, useState } from "react";
import type { ApiClient } from "../../api/client";
import type { FileInfo } from "../../api/types";
import { describeError } from "../../api/errors";
import { startDownload, type DownloadKind } from "./download";
import "./transfers.css";
import { settingsStore } from "../../settings/settings";
import { itemsFromInput, refusalBeforeUpload, uploadAll, UploadError, type UploadItem, type UploadProgress } from "./upload";

export interface TransferProps {
  client: ApiClient;
  workspaceId: string;
  /** Called with the written paths once an upload batch ends (also after a refusal part-way). */
  onUploaded(paths: string[]): void;
  onMessage(message: string): void;
}

export function useTransfers({ client, workspaceId, onUploaded, onMessage }: TransferProps, tree: readonly FileInfo[] = []) {
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const busy = useRef(false);

  const upload = async (dir: string, items: UploadItem[]) => {
    if (items.length === 0 || busy.current) return;
    // What the workspace holds now, fresh (another tab or the terminal may have added files):
    // without it, only the batch itself is checked.
    const usage = await client.getWorkspace(workspaceId).then(
      (w) => (w.usage ? { ...w.usage, existing: new Map(tree.map((f) => [f.path, f] as const)) } : undefined),
      () => undefined,
    );
    const refused = refusalBeforeUpload(dir, items, settingsStore.limits, usage);
    if (refused) {
      const where = refused.path === "the workspace" ? "" : ` ${refused.path}`;
      onMessage(`Cannot upload${where}: ${refused.message}`);
      return;
    }
    busy.current = true;
    const written: string[] = [];
    try {
      const done = await uploadAll(client, workspaceId, dir, items, (p) => {
        setProgress(p);
        if (p.files > written.length) written.push(p.current);
      });
      onUploaded(done);
    } catch (err) {
      onUploaded(written);
      if (err instanceof UploadError) onMessage(`Upload stopped at ${err.path}: ${err.message}`);
      else onMessage(`Upload failed: ${describeError(err)}`);
    } finally {
      busy.current = false;
      setProgress(null);
    }
  };

  const download = async (path: string, kind: DownloadKind) => {
    try {
      await startDownload(client, workspaceId, path, kind);
    } catch (err) {
      onMessage(`Cannot download ${path || "the workspace"}: ${describeError(err)}`);
    }
  };

  return { progress, upload, download };
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function UploadButton({ dir, onPick, disabled }: { dir: string; onPick(dir: string, items: UploadItem[]): void; disabled: boolean }) {
  const [open, setOpen] = useState(false);
  const filesInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);
  const where = dir ? `into ${dir}/` : "at the top level";
  const picked = (input: HTMLInputElement | null) => {
    if (!input) return;
    const items = itemsFromInput(input.files);
    input.value = ""; // the same file may be picked again
    setOpen(false);
    onPick(dir, items);
  };
  return (
    <span className="upload-menu">
      <button className="icon-btn" aria-haspopup="menu" aria-expanded={open} title={`Upload files or a folder ${where}`} disabled={disabled} onClick={() => setOpen((o) => !o)}>
        Upload
      </button>
      {open && (
        <span className="upload-choices" role="menu" onKeyDown={(e) => e.key === "Escape" && setOpen(false)}>
          <button role="menuitem" onClick={() => filesInput.current?.click()}>
            Files…
          </button>
          <button role="menuitem" onClick={() => folderInput.current?.click()}>
            Folder…
          </button>
        </span>
      )}
      <input ref={filesInput} type="file" multiple hidden data-testid="upload-files" onChange={(e) => picked(e.currentTarget)} />
      <input
        ref={folderInput}
        type="file"
        hidden
        data-testid="upload-folder"
        // A folder picker: not in React's typings.
        {...{ webkitdirectory: "", directory: "" }}
        onChange={(e) => picked(e.currentTarget)}
      />
    </span>
  );
}

export function UploadProgressBar({ progress }: { progress: UploadProgress | null }) {
  if (!progress) return null;
  const pct = progress.total > 0 ? Math.floor((progress.done / progress.total) * 100) : 100;
  return (
    <div className="upload-progress" role="status" data-testid="upload-progress">
      <progress max={100} value={pct} aria-label="Upload progress" />
      <span className="muted">
        {progress.files}/{progress.count} files · {formatBytes(progress.done)} of {formatBytes(progress.total)}
      </span>
    </div>
  );
}

export function DownloadButton({ path, kind, onDownload }: { path: string; kind: DownloadKind; onDownload(path: string, kind: DownloadKind): void }) {
  const what = path ? path : "the whole workspace";
  return (
    <button className="icon-btn" title={`Download ${what}${kind === "archive" ? " as a zip" : ""}`} onClick={() => onDownload(path, kind)}>
      Download
    </button>
  );
}
