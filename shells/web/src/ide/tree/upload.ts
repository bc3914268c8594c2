// Uploads from the desktop: files picked with the Upload button (files, or a whole folder),
// or dropped on the explorer (onto a folder to put them there). Each file goes through the
// ordinary file write route (PUT .../files/{path}, raw bytes, so binary files arrive as they
// are), one at a time, with progress in bytes over the whole batch (XMLHttpRequest, which
// reports upload progress, unlike fetch). The workspace's caps are the library's: the batch is
// first checked against the caps the server says (refusalBeforeUpload: a file too big is named
// before anything is sent), and a refusal (429 or 413, naming the cap) still stops the batch
// with the server's message.
import type { ApiClient } from "../../api/client";
import { encodePath } from "../../api/client";

export interface UploadItem {
  path: string; // relative, with '/' separators: where it goes under the target folder
  file: File;
}

export interface UploadProgress {
  done: number; // bytes sent
  total: number;
  files: number; // files finished
  count: number;
  current: string;
}

/** The items of an <input type=file> (a folder picker gives each file its webkitRelativePath). */
export function itemsFromInput(list: FileList | null): UploadItem[] {
  const out: UploadItem[] = [];
  for (const file of Array.from(list ?? [])) {
    const rel = (file as File & { webkitRelativePath?: string }).webkitRelativePath;
    out.push({ path: rel && rel.length > 0 ? rel : file.name, file });
  }
  return out;
}

type Entry = FileSystemEntry;

function readAll(reader: FileSystemDirectoryReader): Promise<Entry[]> {
  // readEntries answers in batches (100 in Chromium) until an empty one.
  return new Promise((resolve, reject) => {
    const all: Entry[] = [];
    const next = () =>
      reader.readEntries((batch) => {
        if (batch.length === 0) resolve(all);
        else {
          all.push(...batch);
          next();
        }
      }, reject);
    next();
  });
}

async function walk(entry: Entry, prefix: string, out: UploadItem[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ path: prefix + entry.name, file });
  } else if (entry.isDirectory) {
    const children = await readAll((entry as FileSystemDirectoryEntry).createReader());
    for (const child of children) await walk(child, `${prefix}${entry.name}/`, out);
  }
}

/** The files of a drop from the desktop, folders walked (their paths kept). */
export async function itemsFromDrop(data: DataTransfer): Promise<UploadItem[]> {
  const entries: Entry[] = [];
  for (const item of Array.from(data.items)) {
    const entry = item.kind === "file" ? item.webkitGetAsEntry?.() : null;
    if (entry) entries.push(entry);
  }
  if (entries.length === 0) return itemsFromInput(data.files);
  const out: UploadItem[] = [];
  for (const entry of entries) await walk(entry, "", out);
  return out;
}

export class UploadError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

function put(url: string, token: string | null, file: File, onBytes: (n: number) => void): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.upload.onprogress = (e) => onBytes(e.loaded);
    xhr.onload = () => resolve({ status: xhr.status, body: xhr.responseText });
    xhr.onerror = () => reject(new Error("the connection failed"));
    xhr.send(file);
  });
}

function messageOf(body: string): string {
  try {
    const doc = JSON.parse(body) as { error?: { message?: string } };
    if (doc.error?.message) return doc.error.message;
  } catch {
    // not JSON
  }
  return body.slice(0, 200) || "the server refused it";
}

function mib(n: number): string {
  return `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MiB`;
}

/** The server's caps an upload is checked against before anything is sent. */
export interface UploadCaps {
  max_file_bytes: number;
  max_workspace_bytes: number;
  max_workspace_entries?: number;
}

/** What the workspace holds now (GET /workspaces/{id} "usage"), and its entries by path. */
export interface WorkspaceUsage {
  bytes: number;
  entries: number;
  /** The tree as the explorer has it: a file replaced counts only its growth, a folder that exists nothing. */
  existing?: ReadonlyMap<string, { kind: "file" | "dir"; size: number }>;
}

/**
 * Why `items` cannot be uploaded, before anything is sent: the first file over the file cap
 * (named at once); then, with the workspace's usage, a batch that would take it past its bytes
 * or its entries (files and new folders); without it, a batch larger than a whole workspace may
 * be. Null when it may go (the server enforces all of it anyway).
 */
export function refusalBeforeUpload(dir: string, items: UploadItem[], caps: UploadCaps, usage?: WorkspaceUsage): UploadError | null {
  const full = (p: string) => (dir ? `${dir}/${p}` : p);
  for (const item of items) {
    if (item.file.size > caps.max_file_bytes) {
      return new UploadError(full(item.path), `${mib(item.file.size)} is over the ${mib(caps.max_file_bytes)} a file may be (files.max_file_bytes); nothing was uploaded`);
    }
  }
  const total = items.reduce((n, it) => n + it.file.size, 0);
  if (!usage) {
    if (total > caps.max_workspace_bytes) {
      return new UploadError(
        dir || "the workspace",
        `these ${items.length} files are ${mib(total)}, over the ${mib(caps.max_workspace_bytes)} a workspace may hold (files.max_workspace_bytes); nothing was uploaded`,
      );
    }
    return null;
  }
  const existing = usage.existing ?? new Map();
  let grow = 0;
  const added = new Set<string>();
  for (const item of items) {
    const path = full(item.path);
    const had = existing.get(path);
    grow += item.file.size - (had?.kind === "file" ? had.size : 0);
    if (!had) added.add(path);
    for (let at = path.lastIndexOf("/"); at > 0; at = path.lastIndexOf("/", at - 1)) {
      const folder = path.slice(0, at);
      if (!existing.has(folder)) added.add(folder);
    }
  }
  if (grow > 0 && usage.bytes + grow > caps.max_workspace_bytes) {
    return new UploadError(
      dir || "the workspace",
      `the workspace holds ${mib(usage.bytes)} of the ${mib(caps.max_workspace_bytes)} it may (files.max_workspace_bytes), and ${items.length === 1 ? "this file adds" : `these ${items.length} files add`} ${mib(grow)}; nothing was uploaded`,
    );
  }
  const maxEntries = caps.max_workspace_entries;
  if (maxEntries !== undefined && added.size > 0 && usage.entries + added.size > maxEntries) {
    return new UploadError(
      dir || "the workspace",
      `the workspace has ${usage.entries} of the ${maxEntries} files and folders it may (files.max_workspace_entries), and this upload adds ${added.size}; nothing was uploaded`,
    );
  }
  return null;
}

/** Uploads `items` under `dir` ("" = the top level), in order; rejects with UploadError. */
export async function uploadAll(
  client: ApiClient,
  workspaceId: string,
  dir: string,
  items: UploadItem[],
  onProgress: (p: UploadProgress) => void,
): Promise<string[]> {
  const total = items.reduce((n, it) => n + it.file.size, 0);
  let done = 0;
  const written: string[] = [];
  for (const [i, item] of items.entries()) {
    const path = dir ? `${dir}/${item.path}` : item.path;
    const url = `/api/v1/workspaces/${encodeURIComponent(workspaceId)}/files/${encodePath(path)}`;
    const report = (sent: number) => onProgress({ done: done + sent, total, files: i, count: items.length, current: path });
    report(0);
    let res = await put(url, await client.accessToken(false), item.file, report);
    if (res.status === 401) res = await put(url, await client.accessToken(true), item.file, report);
    if (res.status < 200 || res.status >= 300) {
      const why = messageOf(res.body);
      throw new UploadError(path, res.status === 429 || res.status === 413 ? `${why} (the workspace's size limits)` : why);
    }
    done += item.file.size;
    written.push(path);
    onProgress({ done, total, files: i + 1, count: items.length, current: path });
  }
  return written;
}
