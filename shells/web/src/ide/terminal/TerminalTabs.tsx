// Several terminals per workspace, as tabs: each tab is one of the workspace's shells on the
// server (the hello's "terminal" number; docs/api.md, "Terminal WebSocket"), kept while hidden
// so its shell and scrollback stay. "+" opens the next one (up to the server's terminal.max_per_workspace), × or Delete
// closes one and ends its shell, F2 or a double click renames it (names are kept in the
// browser per workspace, tabsState.ts). The tabs follow the WAI-ARIA tabs pattern (arrows,
// Home, End; a roving tabindex) and keep the focus in the tab list.
import { useEffect, useRef, useState } from "react";
import type { ApiClient } from "../../api/client";
import { PromptDialog } from "../../ui/Dialog";
import { onTabKey } from "../../ui/tabs";
import type { ConnectionState } from "./connection";
import type { TerminalStatus } from "./protocol";
import { settingsStore, useServerLimits } from "../../settings/settings";
import { addTab, closeTab, parseKept, renameTab, storageKey, type TerminalTabsState } from "./tabsState";
import TerminalPanel from "./TerminalPanel";

interface Props {
  workspaceId: string;
  client: ApiClient;
  podState: string;
  onConnection(state: ConnectionState): void;
  onStatus(status: TerminalStatus): void;
}

function load(workspaceId: string): TerminalTabsState {
  try {
    return parseKept(localStorage.getItem(storageKey(workspaceId)), settingsStore.limits.max_terminals);
  } catch {
    return parseKept(null);
  }
}

export default function TerminalTabs({ workspaceId, client, podState, onConnection, onStatus }: Props) {
  const [state, setState] = useState<TerminalTabsState>(() => load(workspaceId));
  const max = useServerLimits().max_terminals; // terminal.max_per_workspace
  const [renaming, setRenaming] = useState<number | null>(null);
  // Closed tabs whose shell was asked to hang up: kept connected (hidden) until the server
  // says the shell ended, at most 3 s, so the hang-up is not lost with the socket.
  const [ending, setEnding] = useState<number[]>([]);
  const ended = (n: number) => setEnding((e) => e.filter((x) => x !== n));
  const list = useRef<HTMLDivElement>(null);
  const newButton = useRef<HTMLButtonElement>(null);
  const hangUps = useRef(new Map<number, { current: (() => boolean) | null }>());
  const hangUpOf = (n: number) => {
    let ref = hangUps.current.get(n);
    if (!ref) {
      ref = { current: null };
      hangUps.current.set(n, ref);
    }
    return ref;
  };

  useEffect(() => {
    try {
      localStorage.setItem(storageKey(workspaceId), JSON.stringify(state));
    } catch {
      // storage full or off: the tabs are not kept across a reload
    }
  }, [workspaceId, state]);

  const focusTab = (n: number) =>
    requestAnimationFrame(() => {
      const tab = list.current?.querySelector<HTMLElement>(`[data-terminal="${n}"]`);
      (tab ?? newButton.current)?.focus();
    });

  const add = () => {
    const next = addTab({ ...state, tabs: [...state.tabs, ...ending.map((n) => ({ n, name: "" }))] }, max);
    if (next) next.tabs = next.tabs.filter((t) => t.name !== "");
    if (next) setState(next);
  };
  const close = (n: number) => {
    if (hangUpOf(n).current?.()) {
      setEnding((e) => [...e, n]);
      setTimeout(() => ended(n), 3000);
    }
    const next = closeTab(state, n);
    setState(next);
    focusTab(next.active);
  };

  const tabs = state.tabs;
  const renamingTab = tabs.find((t) => t.n === renaming);
  return (
    <div className="terminal-tabs">
      <div className="terminal-tabs-bar">
        <div className="terminal-tablist" role="tablist" aria-label="Terminals" ref={list}>
          {tabs.map((t, index) => {
            const selected = t.n === state.active;
            return (
              <div
                key={t.n}
                role="tab"
                id={`terminal-tab-${t.n}`}
                aria-controls={`terminal-tabpanel-${t.n}`}
                aria-selected={selected}
                tabIndex={selected ? 0 : -1}
                data-terminal={t.n}
                aria-label={t.name}
                className={selected ? "terminal-tab active" : "terminal-tab"}
                onClick={() => setState((s) => ({ ...s, active: t.n }))}
                onDoubleClick={() => setRenaming(t.n)}
                onKeyDown={(e) => {
                  if (onTabKey(e, list.current, index, tabs.length, (i) => setState((s) => ({ ...s, active: tabs[i].n })))) return;
                  if (e.key === "F2") {
                    e.preventDefault();
                    setRenaming(t.n);
                  } else if (e.key === "Delete") {
                    e.preventDefault();
                    close(t.n);
                  }
                }}
              >
                <span>{t.name}</span>
                <button
                  className="tab-close"
                  aria-label={`Close ${t.name}`}
                  title="Close this terminal (ends its shell)"
                  tabIndex={-1}
                  onClick={(e) => {
                    e.stopPropagation();
                    close(t.n);
                  }}
                >
                  ×
                </button>
              </div>
            );
          })}
        </div>
        <button
          ref={newButton}
          className="icon-btn"
          aria-label="New terminal"
          title={tabs.length >= max ? `At most ${max} terminals per workspace (terminal.max_per_workspace)` : "New terminal"}
          disabled={tabs.length >= max}
          onClick={add}
        >
          +
        </button>
        <button className="icon-btn" aria-label="Rename terminal" title="Rename terminal (F2)" disabled={!state.active} onClick={() => setRenaming(state.active)}>
          ✎
        </button>
        <span className="kbd-hint" data-testid="focus-hint">
          <kbd>Esc</kbd> then <kbd>Tab</kbd> leaves the terminal or editor
          <span className="kbd-hint-more">
            {" "}
            · <kbd>Ctrl</kbd>+<kbd>M</kbd>: Tab moves focus in the editor
          </span>
        </span>
      </div>
      {[...tabs.map((t) => t.n), ...ending.filter((n) => !tabs.some((t) => t.n === n))].map((n) => {
        // One list, keyed by number, so a closed tab's panel stays the same instance (and
        // socket) while its shell hangs up.
        const closing = !tabs.some((t) => t.n === n);
        return (
          <div
            key={n}
            role={closing ? undefined : "tabpanel"}
            id={closing ? undefined : `terminal-tabpanel-${n}`}
            aria-labelledby={closing ? undefined : `terminal-tab-${n}`}
            className="terminal-tabpanel"
            data-ending={closing ? n : undefined}
            hidden={closing || n !== state.active}
          >
            <TerminalPanel
              workspaceId={workspaceId}
              terminal={n}
              active={!closing && n === state.active}
              hangUp={hangUpOf(n)}
              client={client}
              podState={podState}
              onConnection={(s) => {
                if (closing) {
                  if (s === "closed") ended(n);
                } else if (n === state.active) onConnection(s);
              }}
              onStatus={closing ? () => {} : onStatus}
            />
          </div>
        );
      })}
      {tabs.length === 0 && (
        <div className="placeholder">
          <p>No terminal is open.</p>
          <p>
            <button onClick={add}>Open a terminal</button>
          </p>
        </div>
      )}
      {renamingTab && (
        <PromptDialog
          title="Rename terminal"
          label="Name"
          initial={renamingTab.name}
          confirm="Rename"
          validate={(v) => (v.trim() ? null : "Give it a name.")}
          onSubmit={(v) => {
            setState((s) => renameTab(s, renamingTab.n, v));
            setRenaming(null);
          }}
          onCancel={() => setRenaming(null)}
        />
      )}
    </div>
  );
}
