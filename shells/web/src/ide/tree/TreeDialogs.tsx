// The dialogs behind the explorer's actions: new file or folder, rename, move, delete. Each one
// calls the API, then tells the IDE what changed so the tree and open tabs follow.
import { useState } from "react";
import type { ApiClient } from "../../api/client";
import type { FileInfo, ItemKind } from "../../api/types";
import { ConfirmDialog, PromptDialog } from "../../ui/Dialog";
import type { TreeNode } from "./buildTree";
import { baseName, joinPath, locationChoices, nameProblem, parentOf, pathProblem } from "./paths";

export type TreeDialog =
  | { kind: "new"; itemKind: ItemKind; dir: string }
  | { kind: "rename"; node: TreeNode }
  | { kind: "move"; node: TreeNode }
  | { kind: "delete"; node: TreeNode; unsaved: boolean };

interface Props {
  dialog: TreeDialog;
  client: ApiClient;
  workspaceId: string;
  items: FileInfo[];
  onDone(): void;
  onCreated(path: string, kind: ItemKind): void;
  onMoved(from: string, to: string): void;
  onDeleted(path: string): void;
}

export function TreeDialogs({ dialog, client, workspaceId, items, onDone, onCreated, onMoved, onDeleted }: Props) {
  const exists = (path: string) => items.some((i) => i.path === path);
  switch (dialog.kind) {
    case "new":
      return (
        <NewItemDialog
          itemKind={dialog.itemKind}
          dir={dialog.dir}
          exists={exists}
          onCancel={onDone}
          onSubmit={async (path) => {
            if (dialog.itemKind === "file") await client.writeFile(workspaceId, path, "", "new");
            else await client.makeDir(workspaceId, path);
            onCreated(path, dialog.itemKind);
            onDone();
          }}
        />
      );
    case "rename": {
      const { node } = dialog;
      return (
        <PromptDialog
          title={`Rename ${node.path}`}
          label="New name"
          initial={node.name}
          confirm="Rename"
          validate={(name) => {
            const p = nameProblem(name);
            if (p) return p;
            const to = joinPath(parentOf(node.path), name);
            return to !== node.path && exists(to) ? `${name} already exists here.` : null;
          }}
          onCancel={onDone}
          onSubmit={async (name) => {
            const to = joinPath(parentOf(node.path), name);
            if (to !== node.path) {
              await client.move(workspaceId, node.path, to);
              onMoved(node.path, to);
            }
            onDone();
          }}
        />
      );
    }
    case "move": {
      const { node } = dialog;
      return (
        <PromptDialog
          title={`Move ${node.path}`}
          label="To folder (empty for the top level)"
          initial={parentOf(node.path)}
          confirm="Move"
          validate={(dir) => {
            const d = dir.trim().replace(/\/+$/, "");
            if (d && pathProblem(d)) return pathProblem(d);
            if (d === node.path || d.startsWith(node.path + "/")) return "A folder cannot move into itself.";
            const to = joinPath(d, baseName(node.path));
            return to !== node.path && exists(to) ? `${to} already exists.` : null;
          }}
          onCancel={onDone}
          onSubmit={async (dir) => {
            const to = joinPath(dir.trim().replace(/\/+$/, ""), baseName(node.path));
            if (to !== node.path) {
              await client.move(workspaceId, node.path, to);
              onMoved(node.path, to);
            }
            onDone();
          }}
        />
      );
    }
    case "delete": {
      const { node, unsaved } = dialog;
      return (
        <ConfirmDialog
          title={node.kind === "dir" ? "Delete folder" : "Delete file"}
          danger
          confirm="Delete"
          message={
            <>
              <p>
                Delete <strong>{node.path}</strong>
                {node.kind === "dir" ? " and everything in it" : ""}? This cannot be undone.
              </p>
              {unsaved && <p className="warn-text">It has unsaved edits, which will be lost.</p>}
            </>
          }
          onCancel={onDone}
          onConfirm={async () => {
            await client.deleteFile(workspaceId, node.path);
            onDeleted(node.path);
            onDone();
          }}
        />
      );
    }
  }
}

/** A location's name in the new-item dialog. */
export function locationLabel(dir: string): string {
  return dir ? `${dir}/` : "top level (/)";
}

interface NewItemProps {
  itemKind: ItemKind;
  dir: string; // the selected folder: the default location
  exists(path: string): boolean;
  onSubmit(path: string): Promise<void>;
  onCancel(): void;
}

/** New file or folder: a name, and where (the selected folder, one above it, or the top level). */
function NewItemDialog({ itemKind, dir, exists, onSubmit, onCancel }: NewItemProps) {
  const [location, setLocation] = useState(dir);
  const what = itemKind === "file" ? "file" : "folder";
  const where = location ? `in ${location}/` : "at the top level";
  return (
    <PromptDialog
      title={`New ${what} ${where}`}
      label={`${what[0].toUpperCase()}${what.slice(1)} name`}
      confirm="Create"
      extra={
        <label className="field">
          <span>Location</span>
          <select value={location} onChange={(e) => setLocation(e.target.value)}>
            {locationChoices(dir).map((d) => (
              <option key={d} value={d}>
                {locationLabel(d)}
              </option>
            ))}
          </select>
        </label>
      }
      validate={(name) => nameProblem(name) ?? (exists(joinPath(location, name)) ? `${name} already exists here.` : null)}
      onCancel={onCancel}
      onSubmit={(name) => onSubmit(joinPath(location, name))}
    />
  );
}
