// The file explorer: a keyboard-navigable tree (ARIA tree pattern: arrows move and expand,
// Enter opens, F2 renames, Delete deletes) of the workspace's files, with the open file
// highlighted. Items move by drag and drop onto a folder (or the empty area for the root), or
// with the Move dialog. The IDE page does the API calls; this component only asks for them.
// New files and folders go into the selected row's folder; a click on the tree's empty space,
// or Escape, selects the root again, so a top-level item can always be made (issue 13, item
// 21), and the new-item dialog lets the person pick the top level as well. Files and folders
// dropped from the desktop are uploaded (onto a folder: into it), and Upload / Download
// (Transfers.tsx) bring files in and take a file, a folder or the workspace out.
import { useEffect, useMemo, useRef, useState, type DragEvent, type KeyboardEvent } from "react";
import type { FileInfo, ItemKind } from "../../api/types";
import { ancestorsOf, buildTree, visibleRows, type TreeNode } from "./buildTree";
import { iconForDir, iconForFile } from "./icons";
import { isInside, newItemDir, parentOf } from "./paths";
import { DownloadButton, UploadButton, UploadProgressBar, useTransfers, type TransferProps } from "./Transfers";
import { itemsFromDrop } from "./upload";

interface Props {
  items: FileInfo[];
  activePath: string | null;
  onOpen(path: string): void;
  onNew(kind: ItemKind, dir: string): void;
  onRename(node: TreeNode): void;
  onDelete(node: TreeNode): void;
  onMoveDialog(node: TreeNode): void;
  onMove(from: string, toDir: string): void;
  transfer: TransferProps;
  // The folders expanded when it mounts, and each change after (ide17: kept over a reload).
  initialExpanded?: string[];
  onExpandedChange?(paths: string[]): void;
}

const DRAG_TYPE = "application/x-codeyard-path";

export function FileTree({ items, activePath, onOpen, onNew, onRename, onDelete, onMoveDialog, onMove, transfer, initialExpanded, onExpandedChange }: Props) {
  const transfers = useTransfers(transfer, items);
  const nodes = useMemo(() => buildTree(items), [items]);
  const [expanded, setExpanded] = useState<Set<string>>(() => new Set(initialExpanded));
  const onExpandedRef = useRef(onExpandedChange);
  onExpandedRef.current = onExpandedChange;
  useEffect(() => onExpandedRef.current?.([...expanded]), [expanded]);
  const [focused, setFocused] = useState<string | null>(null);
  const [dropTarget, setDropTarget] = useState<string | null>(null);
  const treeRef = useRef<HTMLDivElement>(null);
  const rows = useMemo(() => visibleRows(nodes, expanded), [nodes, expanded]);

  // The open file's folders are expanded, and it becomes the focused row.
  useEffect(() => {
    if (!activePath) return;
    setExpanded((prev) => {
      const need = ancestorsOf(activePath).filter((p) => !prev.has(p));
      return need.length ? new Set([...prev, ...need]) : prev;
    });
    setFocused(activePath);
  }, [activePath]);

  const focusedNode = rows.find((r) => r.node.path === focused)?.node ?? null;
  const targetDir = newItemDir(focusedNode);
  const where = targetDir ? `in ${targetDir}/` : "at the top level";

  /** Selects the root: new items go to the top level. */
  const selectRoot = () => {
    setFocused(null);
    treeRef.current?.focus();
  };

  const toggle = (path: string, open?: boolean) =>
    setExpanded((prev) => {
      const next = new Set(prev);
      if (open ?? !next.has(path)) next.add(path);
      else next.delete(path);
      return next;
    });

  const focusRow = (path: string) => {
    setFocused(path);
    const find = () => treeRef.current?.querySelector<HTMLElement>(`[data-path="${CSS.escape(path)}"]`);
    const row = find();
    if (row) row.focus();
    else requestAnimationFrame(() => find()?.focus()); // a row that appears with this render
  };

  const activate = (node: TreeNode) => {
    if (node.kind === "dir") toggle(node.path);
    else onOpen(node.path);
  };

  const onKeyDown = (e: KeyboardEvent, node: TreeNode, index: number) => {
    switch (e.key) {
      case "ArrowDown":
        if (index + 1 < rows.length) focusRow(rows[index + 1].node.path);
        break;
      case "ArrowUp":
        if (index > 0) focusRow(rows[index - 1].node.path);
        break;
      case "ArrowRight":
        if (node.kind === "dir" && !expanded.has(node.path)) toggle(node.path, true);
        else if (node.kind === "dir" && node.children.length) focusRow(node.children[0].path);
        break;
      case "ArrowLeft":
        if (node.kind === "dir" && expanded.has(node.path)) toggle(node.path, false);
        else if (parentOf(node.path)) focusRow(parentOf(node.path));
        break;
      case "Home":
        if (rows.length) focusRow(rows[0].node.path);
        break;
      case "End":
        if (rows.length) focusRow(rows[rows.length - 1].node.path);
        break;
      case "Enter":
      case " ":
        activate(node);
        break;
      case "F2":
        onRename(node);
        break;
      case "Delete":
        onDelete(node);
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  const dragOver = (e: DragEvent, dir: string) => {
    const desktop = e.dataTransfer.types.includes("Files");
    if (!e.dataTransfer.types.includes(DRAG_TYPE) && !desktop) return;
    e.preventDefault();
    e.stopPropagation();
    e.dataTransfer.dropEffect = desktop ? "copy" : "move";
    setDropTarget(dir);
  };
  const drop = (e: DragEvent, dir: string) => {
    if (!e.dataTransfer.types.includes(DRAG_TYPE) && e.dataTransfer.types.includes("Files")) {
      e.preventDefault();
      e.stopPropagation();
      setDropTarget(null);
      void itemsFromDrop(e.dataTransfer).then((picked) => transfers.upload(dir, picked));
      return;
    }
    const from = e.dataTransfer.getData(DRAG_TYPE);
    setDropTarget(null);
    if (!from) return;
    e.preventDefault();
    e.stopPropagation();
    if (parentOf(from) === dir || isInside(dir, from)) return; // no-op, or into itself
    onMove(from, dir);
  };

  return (
    <div className="explorer">
      <div className="explorer-head">
        <span className="explorer-title">Files</span>
        <button className="icon-btn" title={`New file ${where}`} aria-label="New file" onClick={() => onNew("file", targetDir)}>
          + File
        </button>
        <button className="icon-btn" title={`New folder ${where}`} aria-label="New folder" onClick={() => onNew("dir", targetDir)}>
          + Folder
        </button>
        <UploadButton dir={targetDir} onPick={(dir, picked) => void transfers.upload(dir, picked)} disabled={transfers.progress !== null} />
        <DownloadButton
          path={focusedNode?.path ?? ""}
          kind={focusedNode?.kind === "file" ? "file" : "archive"}
          onDownload={(path, kind) => void transfers.download(path, kind)}
        />
      </div>
      <UploadProgressBar progress={transfers.progress} />
      <div
        ref={treeRef}
        className={`tree${dropTarget === "" ? " drop-root" : ""}`}
        role="tree"
        aria-label="Workspace files"
        tabIndex={-1}
        data-target={targetDir}
        onClick={(e) => {
          if (e.target === e.currentTarget) selectRoot(); // empty space below the rows
        }}
        onKeyDown={(e) => {
          if (e.key === "Escape" && focused !== null) {
            e.preventDefault();
            selectRoot();
          }
        }}
        onDragOver={(e) => dragOver(e, "")}
        onDragLeave={() => setDropTarget(null)}
        onDrop={(e) => drop(e, "")}
      >
        {rows.length === 0 && (
          <p className="muted tree-empty" onClick={selectRoot}>
            No files yet.
          </p>
        )}
        {rows.map(({ node, depth }, index) => {
          const open = expanded.has(node.path);
          const icon = node.kind === "dir" ? iconForDir(open) : iconForFile(node.name);
          const isActive = node.path === activePath;
          const tabbable = focused ? node.path === focused : index === 0;
          return (
            <div
              key={node.path}
              role="treeitem"
              aria-level={depth + 1}
              aria-expanded={node.kind === "dir" ? open : undefined}
              aria-selected={isActive}
              tabIndex={tabbable ? 0 : -1}
              data-path={node.path}
              data-kind={node.kind}
              className={`tree-row${isActive ? " active" : ""}${dropTarget === node.path ? " drop" : ""}`}
              style={{ paddingLeft: 8 + depth * 14 }}
              draggable
              onDragStart={(e) => {
                e.dataTransfer.setData(DRAG_TYPE, node.path);
                e.dataTransfer.effectAllowed = "move";
              }}
              onDragOver={node.kind === "dir" ? (e) => dragOver(e, node.path) : undefined}
              onDrop={node.kind === "dir" ? (e) => drop(e, node.path) : undefined}
              onFocus={() => setFocused(node.path)}
              onClick={() => {
                setFocused(node.path);
                activate(node);
              }}
              onKeyDown={(e) => onKeyDown(e, node, index)}
            >
              <span className={`file-icon icon-${icon.tone}`} title={icon.title} aria-hidden="true">
                {icon.label}
              </span>
              <span className="tree-name">{node.name}</span>
              <span className="row-actions">
                <button tabIndex={-1} title="Rename (F2)" aria-label={`Rename ${node.name}`} onClick={(e) => { e.stopPropagation(); onRename(node); }}>
                  ✎
                </button>
                <button tabIndex={-1} title="Move" aria-label={`Move ${node.name}`} onClick={(e) => { e.stopPropagation(); onMoveDialog(node); }}>
                  ⇄
                </button>
                <button
                  tabIndex={-1}
                  title={node.kind === "dir" ? "Download as a zip" : "Download"}
                  aria-label={`Download ${node.name}`}
                  onClick={(e) => {
                    e.stopPropagation();
                    void transfers.download(node.path, node.kind === "dir" ? "archive" : "file");
                  }}
                >
                  ⬇
                </button>
                <button tabIndex={-1} title="Delete (Del)" aria-label={`Delete ${node.name}`} onClick={(e) => { e.stopPropagation(); onDelete(node); }}>
                  ✕
                </button>
              </span>
            </div>
          );
        })}
      </div>
    </div>
  );
}

