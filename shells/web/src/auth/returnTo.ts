// A deep link survives signing in: the page a visitor (or someone whose session ended) asked
// for is remembered for this tab while they log in, and the login goes there instead of the
// workspace list. Only the app's own paths are kept (never a URL from elsewhere).
import type { KeyValueStorage } from "./tokens";

const KEY = "codeyard.return_to";

/** Whether `path` is worth coming back to: an app page other than the list and the forms. */
export function isReturnPath(path: string): boolean {
  return path.startsWith("/") && !path.startsWith("//") && !["/", "/login", "/signup", "/workspaces"].includes(path);
}

function tabStorage(): KeyValueStorage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

export function rememberReturn(path: string, storage: KeyValueStorage | null = tabStorage()): void {
  if (!storage || !isReturnPath(path)) return;
  try {
    storage.setItem(KEY, path);
  } catch {
    // storage refused: the login goes to the list
  }
}

/** The remembered page (forgotten once taken), or "/". */
export function takeReturn(storage: KeyValueStorage | null = tabStorage()): string {
  if (!storage) return "/";
  try {
    const path = storage.getItem(KEY);
    storage.removeItem(KEY);
    return path && isReturnPath(path) ? path : "/";
  } catch {
    return "/";
  }
}
