// A tiny history router: the app's pages are plain paths (/login, /signup, /, /w/<id>, /reviews,
// /reviews/<id>, /problems, /problems/<id>, /progress), which the
// server answers with index.html (SPA fallback), so links and reloads work.
import { useSyncExternalStore } from "react";

const CHANGE = "codeyard:navigate";

function subscribe(fn: () => void): () => void {
  window.addEventListener("popstate", fn);
  window.addEventListener(CHANGE, fn);
  return () => {
    window.removeEventListener("popstate", fn);
    window.removeEventListener(CHANGE, fn);
  };
}

export function usePath(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (path === window.location.pathname) return;
  if (options.replace) window.history.replaceState(null, "", path);
  else window.history.pushState(null, "", path);
  window.dispatchEvent(new Event(CHANGE));
}

export type Route =
  | { page: "login" }
  | { page: "signup" }
  | { page: "workspaces" }
  | { page: "ide"; id: string }
  | { page: "reviews" }
  | { page: "review"; id: string }
  | { page: "problems" }
  | { page: "problem"; id: string }
  | { page: "progress" }
  // web20: an organization's page and the list of mine.
  | { page: "orgs" }
  | { page: "org"; id: string }
  | { page: "missing" };

export function parseRoute(path: string): Route {
  if (path === "/login") return { page: "login" };
  if (path === "/signup") return { page: "signup" };
  if (path === "/" || path === "/workspaces") return { page: "workspaces" };
  const m = /^\/w\/([^/]+)\/?$/.exec(path);
  if (m) return { page: "ide", id: decodeURIComponent(m[1]) };
  if (path === "/reviews" || path === "/reviews/") return { page: "reviews" };
  const r = /^\/reviews\/([^/]+)\/?$/.exec(path);
  if (r) return { page: "review", id: decodeURIComponent(r[1]) };
  if (path === "/problems" || path === "/problems/") return { page: "problems" };
  const p = /^\/problems\/([^/]+)\/?$/.exec(path);
  if (p) return { page: "problem", id: decodeURIComponent(p[1]) };
  if (path === "/progress" || path === "/progress/") return { page: "progress" };
  // web20: /orgs and /orgs/<id or slug>.
  if (path === "/orgs" || path === "/orgs/") return { page: "orgs" };
  const o = /^\/orgs\/([^/]+)\/?$/.exec(path);
  if (o) return { page: "org", id: decodeURIComponent(o[1]) };
  return { page: "missing" };
}
