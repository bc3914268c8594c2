// The file explorer's model: the API's flat item list (GET /tree) turned into a sorted tree,
// the rows a person sees for a set of expanded folders, and what changed between two lists.
import type { FileInfo, ItemKind } from "../../api/types";
import { baseName, parentOf } from "./paths";

export interface TreeNode {
  name: string;
  path: string;
  kind: ItemKind;
  size: number;
  version: number;
  children: TreeNode[];
}

export interface TreeRow {
  node: TreeNode;
  depth: number;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

function compareNodes(a: TreeNode, b: TreeNode): number {
  if (a.kind !== b.kind) return a.kind === "dir" ? -1 : 1;
  return collator.compare(a.name, b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/**
 * Builds the tree under the workspace root from a flat list in any order. A folder that is not
 * listed but holds listed items is made up (so nothing is lost); folders come before files,
 * then names in natural order ("a2" before "a10").
 */
export function buildTree(items: readonly FileInfo[]): TreeNode[] {
  const root: TreeNode = { name: "", path: "", kind: "dir", size: 0, version: 0, children: [] };
  const byPath = new Map<string, TreeNode>([["", root]]);

  const ensureDir = (path: string): TreeNode => {
    const found = byPath.get(path);
    if (found) return found;
    const node: TreeNode = { name: baseName(path), path, kind: "dir", size: 0, version: 0, children: [] };
    byPath.set(path, node);
    ensureDir(parentOf(path)).children.push(node);
    return node;
  };

  for (const item of items) {
    const path = item.path.replace(/^\/+|\/+$/g, "");
    if (!path) continue;
    const existing = byPath.get(path);
    if (existing) {
      // listed after a child made it up: take the real details
      existing.version = item.version;
      existing.size = item.size;
      continue;
    }
    const node: TreeNode = {
      name: baseName(path),
      path,
      kind: item.kind,
      size: item.size,
      version: item.version,
      children: [],
    };
    if (item.kind === "dir") byPath.set(path, node);
    ensureDir(parentOf(path)).children.push(node);
  }

  const sort = (node: TreeNode) => {
    node.children.sort(compareNodes);
    node.children.forEach(sort);
  };
  sort(root);
  return root.children;
}

/** The rows shown, depth-first, descending only into expanded folders. */
export function visibleRows(nodes: readonly TreeNode[], expanded: ReadonlySet<string>, depth = 0): TreeRow[] {
  const rows: TreeRow[] = [];
  for (const node of nodes) {
    rows.push({ node, depth });
    if (node.kind === "dir" && expanded.has(node.path)) rows.push(...visibleRows(node.children, expanded, depth + 1));
  }
  return rows;
}

/** Every folder that holds `path`, outermost first ("a/b/c.py" -> ["a", "a/b"]). */
export function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  let p = parentOf(path);
  while (p) {
    out.unshift(p);
    p = parentOf(p);
  }
  return out;
}

export interface TreeChanges {
  added: string[];
  removed: string[];
  changed: string[]; // files whose version differs
}

/** What differs between two listings (paths of files and folders). */
export function diffItems(before: readonly FileInfo[], after: readonly FileInfo[]): TreeChanges {
  const old = new Map(before.map((i) => [i.path, i]));
  const now = new Map(after.map((i) => [i.path, i]));
  const changes: TreeChanges = { added: [], removed: [], changed: [] };
  for (const [path, item] of now) {
    const prev = old.get(path);
    if (!prev) changes.added.push(path);
    else if (item.kind === "file" && prev.version !== item.version) changes.changed.push(path);
  }
  for (const path of old.keys()) if (!now.has(path)) changes.removed.push(path);
  return changes;
}
