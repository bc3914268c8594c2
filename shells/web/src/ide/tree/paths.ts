// Workspace paths as the API spells them: relative, '/'-separated, no leading slash.

export function baseName(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? path : path.slice(i + 1);
}

/** The folder holding `path` ("" for the root). */
export function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

export function joinPath(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name;
}

/** True if `path` is `ancestor` or inside it. */
export function isInside(path: string, ancestor: string): boolean {
  return ancestor === "" || path === ancestor || path.startsWith(ancestor + "/");
}

/** Why a name typed by a person cannot be used, or null when it can. */
export function nameProblem(name: string): string | null {
  if (!name.trim()) return "A name is required.";
  if (name !== name.trim()) return "A name cannot start or end with spaces.";
  if (name === "." || name === "..") return "“.” and “..” are not names.";
  if (name.includes("/") || name.includes("\\")) return "A name cannot contain slashes.";
  if (name.includes("\0")) return "A name cannot contain NUL.";
  return null;
}

/** Why a relative path typed by a person (a move target) cannot be used, or null. */
export function pathProblem(path: string): string | null {
  if (!path.trim()) return "A path is required.";
  if (path.startsWith("/")) return "Paths are relative to the workspace (no leading /).";
  for (const segment of path.split("/")) {
    if (!segment) return "A path cannot have empty segments.";
    const p = nameProblem(segment);
    if (p) return p;
  }
  return null;
}

/** Where a new item may go from the selected folder `dir`: the top level, each folder above, `dir`. */
export function locationChoices(dir: string): string[] {
  const choices = [""];
  if (!dir) return choices;
  const parts = dir.split("/");
  for (let i = 1; i <= parts.length; i++) choices.push(parts.slice(0, i).join("/"));
  return choices;
}

/** The folder new items go into when `selected` is the selected row (null: the root). */
export function newItemDir(selected: { kind: "file" | "dir"; path: string } | null): string {
  if (!selected) return "";
  return selected.kind === "dir" ? selected.path : parentOf(selected.path);
}
