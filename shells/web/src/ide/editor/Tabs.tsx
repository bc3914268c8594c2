// The open files as tabs: the active one highlighted, a dot on unsaved ones, a warning on ones
// changed on the server or in conflict. Arrow keys move between tabs; middle click or the ×
// closes (a tab with unsaved edits asks first, in the IDE page).
import { useRef, type KeyboardEvent } from "react";
import { onTabKey } from "../../ui/tabs";
import { baseName } from "../tree/paths";
import { isDirty, type DocsState } from "./documents";

interface Props {
  state: DocsState;
  onActivate(path: string): void;
  onClose(path: string): void;
}

export function Tabs({ state, onActivate, onClose }: Props) {
  const list = useRef<HTMLDivElement>(null);
  // WAI-ARIA tabs (ui/tabs.ts): arrows, Home and End select a tab and keep the focus on it.
  const onKey = (e: KeyboardEvent, index: number) => {
    const arrowing = () => {
      // Tells the editor not to take the focus for this change of tab (CodeEditor).
      list.current?.setAttribute("data-arrowing", "");
      setTimeout(() => list.current?.removeAttribute("data-arrowing"), 200);
    };
    if (onTabKey(e, list.current, index, state.order.length, (next) => (arrowing(), onActivate(state.order[next])))) return;
    if (e.key === "Delete") {
      e.preventDefault();
      onClose(state.order[index]);
    }
  };
  if (state.order.length === 0) return <div className="tabs empty" />;
  return (
    <div className="tabs" role="tablist" aria-label="Open files" ref={list}>
      {state.order.map((path, index) => {
        const doc = state.docs[path];
        const active = path === state.active;
        const dirty = isDirty(doc);
        const flags = [dirty ? "unsaved" : "", doc.remoteChanged ? "changed on the server" : "", doc.conflict ? "conflict" : ""]
          .filter(Boolean)
          .join(", ");
        return (
          <div
            key={path}
            role="tab"
            tabIndex={active ? 0 : -1}
            aria-selected={active}
            title={path + (flags ? ` (${flags})` : "")}
            data-path={path}
            data-dirty={dirty ? "true" : "false"}
            className={`tab${active ? " active" : ""}${doc.deleted ? " deleted" : ""}`}
            onClick={() => onActivate(path)}
            onAuxClick={(e) => e.button === 1 && onClose(path)}
            onKeyDown={(e) => onKey(e, index)}
          >
            <span className="tab-name">{baseName(path)}</span>
            {(doc.remoteChanged || doc.conflict) && (
              <span className="tab-warn" aria-label="changed on the server">
                !
              </span>
            )}
            {dirty && (
              <span className="tab-dirty" aria-label="unsaved">
                ●
              </span>
            )}
            <button
              className="tab-close"
              aria-label={`Close ${baseName(path)}`}
              tabIndex={-1}
              onClick={(e) => {
                e.stopPropagation();
                onClose(path);
              }}
            >
              ×
            </button>
          </div>
        );
      })}
    </div>
  );
}
