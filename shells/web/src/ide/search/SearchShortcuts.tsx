// The IDE's search and keyboard layer, mounted once by the IDE page: Ctrl+Shift+F (Cmd+Shift+F)
// opens the search panel, Ctrl+P (Cmd+P) go to file, wherever the focus is (the terminal
// included, as in VS Code; bash's previous-command is also on Up). It installs the Escape-then-
// Tab way out of the terminal and the editor (ui/focusEscape.ts). A jump from a search result
// opens the file and puts the cursor on the match.
import { useEffect, useMemo, useRef, useState } from "react";
import type { ApiClient } from "../../api/client";
import type { FileInfo } from "../../api/types";
import { installFocusEscape } from "../../ui/focusEscape";
import { restoreFocus } from "../../ui/focus";
import GoToFile from "./GoToFile";
import { revealInEditor } from "./reveal";
import SearchPanel from "./SearchPanel";

interface Props {
  workspaceId: string;
  client: ApiClient;
  items: readonly FileInfo[];
  open(path: string): Promise<unknown> | void;
}

export default function SearchShortcuts({ workspaceId, client, items, open }: Props) {
  const [searching, setSearching] = useState(false);
  const [goingTo, setGoingTo] = useState(false);
  const before = useRef<HTMLElement | null>(null); // focus when the panel opened

  useEffect(() => installFocusEscape(), []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = (e.ctrlKey || e.metaKey) && !e.altKey;
      if (!mod || document.querySelector(".modal")) return;
      const key = e.key.toLowerCase();
      if (e.shiftKey && key === "f") {
        e.preventDefault();
        e.stopPropagation();
        if (!searching) before.current = document.activeElement as HTMLElement | null;
        setSearching(true);
        // Already open: focus its box again.
        document.querySelector<HTMLInputElement>(".search-panel .search-input")?.focus();
      } else if (!e.shiftKey && key === "p") {
        e.preventDefault(); // the browser's print
        e.stopPropagation();
        setGoingTo(true);
      }
    };
    window.addEventListener("keydown", onKey, true);
    return () => window.removeEventListener("keydown", onKey, true);
  }, [searching]);

  const paths = useMemo(() => items.filter((i) => i.kind === "file").map((i) => i.path), [items]);

  return (
    <>
      {searching && (
        <SearchPanel
          workspaceId={workspaceId}
          client={client}
          onClose={() => {
            setSearching(false);
            restoreFocus(before.current);
          }}
          onJump={(path, line, column, length) => {
            void Promise.resolve(open(path)).then(() => revealInEditor(path, line, column, length));
          }}
        />
      )}
      {goingTo && (
        <GoToFile
          paths={paths}
          onClose={() => setGoingTo(false)}
          onOpen={(path) => {
            void open(path);
          }}
        />
      )}
    </>
  );
}
