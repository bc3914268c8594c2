// A link to one of the app's pages: a real <a href> (open in a new tab, copy the address) that
// moves within the app without a reload when simply clicked.
import type { ReactNode } from "react";
import { navigate } from "../router";

export function PageLink({ path, children }: { path: string; children: ReactNode }) {
  return (
    <a
      href={path}
      onClick={(e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(path);
      }}
    >
      {children}
    </a>
  );
}
