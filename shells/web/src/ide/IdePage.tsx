// The IDE for one workspace: explorer | editor tabs over the terminal and run output, with a
// status bar. Opening the page starts the workspace's pod. Ctrl/Cmd+S saves the current file,
// F5 saves every edited file and runs the current one; both work wherever the focus is. The
// panels resize with splitters. "Submit for review" saves every edited file and submits the
// workspace (reviews/SubmitReviewDialog).
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { ApiError, describeError } from "../api/errors";
import type { Workspace } from "../api/types";
import { useSession } from "../auth/session";
import { navigate } from "../router";
import { SubmitReviewDialog } from "../reviews/SubmitReviewDialog";
import { ConfirmDialog } from "../ui/Dialog";
import { ErrorBoundary } from "../ui/ErrorBoundary";
import { Splitter } from "../ui/Splitter";
import { TopBar } from "../ui/TopBar";
import { usePolling } from "../ui/usePolling";
import CodeEditor from "./editor/CodeEditor";
import ConflictView from "./editor/ConflictView";
import { isDirty, saveSummary } from "./editor/documents";
import { languageForPath } from "./editor/language";
import { Tabs } from "./editor/Tabs";
import LanguageServices from "./lsp/LanguageServices";
import PreviewPanel from "./preview/PreviewPanel";
import { DocBanners } from "./editor/DocBanners";
import { useUserSettings } from "../settings/settings";
import { RunPanel } from "./run/RunPanel";
import { useRun } from "./run/useRun";
import { WorkspaceActions } from "./statusbar/WorkspaceActions";
import { useAutosave } from "./sync/autosave";
import { runRefusal, saveBeforeRun } from "./sync/saveAll";
import { useDrafts } from "./sync/useDrafts";
import { StatusBar } from "./statusbar/StatusBar";
import { EventChannel, eventsUrl } from "./sync/events";
import { TREE_FALLBACK_POLL_MS, useWorkspaceFiles } from "./sync/useWorkspaceFiles";
import type { ConnectionState } from "./terminal/connection";
import ShareToggle from "./terminal/ShareToggle";
import TerminalTabs from "./terminal/TerminalTabs";
import SearchShortcuts from "./search/SearchShortcuts";
import { onTabKey } from "../ui/tabs";
import { FileTree } from "./tree/FileTree";
import { TreeDialogs, type TreeDialog } from "./tree/TreeDialogs";
import { isInside } from "./tree/paths";
import { FileView } from "./viewers/FileView";
import "./narrow.css";

const PANELS = ["terminal", "output", "preview"] as const;

export default function IdePage({ id }: { id: string }) {
  const { client, user } = useSession();
  const settings = useUserSettings();
  const [workspace, setWorkspace] = useState<Workspace | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [podState, setPodState] = useState("stopped");
  // Bumped by every pod state learned from an action or the terminal, so a poll that was under
  // way meanwhile (and may answer the state from before) is not applied over it.
  const podEpoch = useRef(0);
  const setPod = useCallback((state: string) => {
    podEpoch.current += 1;
    setPodState(state);
  }, []);
  const [message, setMessage] = useState<string | null>(null);
  const [terminal, setTerminal] = useState<ConnectionState>("connecting");
  const [bottom, setBottom] = useState<(typeof PANELS)[number]>("terminal");
  const run = useRun(client, id);
  const [treeDialog, setTreeDialog] = useState<TreeDialog | null>(null);
  const [closing, setClosing] = useState<string | null>(null);
  const [conflictPath, setConflictPath] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const [treeWidth, setTreeWidth] = useState(240);
  const [panelHeight, setPanelHeight] = useState(260);
  const files = useWorkspaceFiles(client, id, setMessage);
  const { docs, docsRef } = files;
  const drafts = useDrafts(files, user?.id, id); // tabs, folders and unsaved edits over a reload
  const autosaveNow = useAutosave({ enabled: settings.autosave, docs, docsRef, save: files.save });

  // Load the workspace and its files, then start its pod.
  useEffect(() => {
    let cancelled = false;
    (async () => {
      try {
        const w = await client.getWorkspace(id);
        if (cancelled) return;
        setWorkspace(w);
        setPod(w.state);
        await files.refresh();
        if (w.state !== "running") {
          setPod("starting");
          const started = await client.startWorkspace(id);
          if (cancelled) return;
          setWorkspace(started);
          setPod(started.state);
        }
      } catch (err) {
        if (cancelled) return;
        if (err instanceof ApiError && err.status === 404) setLoadError("This workspace does not exist, or it is not yours.");
        else if (err instanceof ApiError && err.status === 429) {
          setPod("stopped");
          setMessage(`The workspace could not start: ${describeError(err)}`);
        } else setMessage(describeError(err));
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [client, id, setPod]);

  // Changes pushed by the server (docs/api.md, "Events"); the polls below run only while the
  // channel is down.
  const [pushed, setPushed] = useState(false);
  const applyEvent = files.applyEvent;
  const refreshFiles = files.refresh;
  const setOnline = files.setOnline;
  useEffect(() => {
    if (loadError) return;
    const channel = new EventChannel({
      url: eventsUrl(window.location),
      getToken: (fresh) => client.accessToken(fresh),
      onConnected: (connected) => {
        setPushed(connected);
        // A drop may be the server going away: one read at once says so (the banner).
        if (connected) setOnline(true);
        else void refreshFiles().catch(() => {});
      },
      onReset: () => void refreshFiles().catch(() => {}),
      onEvent: (event) => {
        if (event.workspace_id !== id) return;
        if (event.type === "workspace.state" && event.state) setPod(event.state);
        // Deleted from another tab or device: nothing here can be saved any more.
        else if (event.type === "workspace.deleted") setLoadError("This workspace was deleted.");
        else void applyEvent(event);
      },
    });
    channel.start();
    return () => channel.stop();
  }, [client, id, loadError, applyEvent, refreshFiles, setOnline, setPod]);
  usePolling(
    () =>
      files.refresh().catch((err) => {
        setMessage(describeError(err));
        throw err; // a 429 pauses the poll for its Retry-After
      }),
    TREE_FALLBACK_POLL_MS,
    !loadError && !pushed,
  );
  usePolling(
    async () => {
      try {
        const epoch = podEpoch.current;
        const w = await client.getWorkspace(id);
        setWorkspace(w);
        if (epoch === podEpoch.current) setPodState((s) => (s === "starting" && w.state !== "running" ? s : w.state));
      } catch {
        // the tree poll reports connectivity
      }
    },
    10000,
    !loadError && !pushed,
  );

  const activePath = docs.active;
  const activeDoc = activePath ? docs.docs[activePath] : undefined;
  const conflictDoc = conflictPath ? docs.docs[conflictPath] : undefined;

  useEffect(() => {
    if (workspace) document.title = `${workspace.name} — Codeyard`;
    return () => {
      document.title = "Codeyard";
    };
  }, [workspace]);

  const save = useCallback(
    async (path: string | null) => {
      if (!path) return false;
      const outcome = await files.save(path);
      if (outcome.conflict) setConflictPath(path);
      if (outcome.ok) setMessage((m) => (m?.startsWith("Cannot save") ? null : m));
      return outcome.ok;
    },
    [files.save],
  );

  // A run starts a stopped pod: the status bar and the terminal follow once it ends, not at the
  // next poll; what it wrote shows in the tree.
  const runEnded = useCallback(() => {
    files.wrote();
    void files.refresh().catch(() => {});
    const epoch = podEpoch.current;
    client.getWorkspace(id).then(
      (w) => epoch === podEpoch.current && setPod(w.state),
      () => {}, // the tree poll reports connectivity
    );
  }, [client, id, files.wrote, files.refresh, setPod]);

  // Runs the current file after saving every open file with unsaved edits (what the editors
  // show, the last keystrokes included), so the file and everything it imports run as shown.
  // A file that cannot be saved, or is in conflict, stops the run with the reason.
  const runCurrent = useCallback(async () => {
    const path = docsRef.current.active;
    if (!path) {
      setMessage("Open a file to run it.");
      return;
    }
    if (!run.runtimeFor(path)) {
      setMessage(`There is no runtime for ${path}. Run it from the terminal instead.`);
      return;
    }
    const { refusal, conflict } = await saveBeforeRun(files);
    if (refusal) {
      setMessage(refusal);
      if (conflict) setConflictPath(conflict);
      return;
    }
    setMessage((m) => (m?.startsWith("Cannot save") || m?.startsWith("Not run") ? null : m));
    setBottom("output");
    await run.start(path, runEnded);
  }, [files.saveAll, docsRef, run.start, run.runtimeFor, runEnded]);

  // A run this tab started before a reload goes on in the pod for a while: show it again.
  useEffect(() => {
    void run.resume(runEnded).then((resumed) => resumed && setBottom("output"));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [run.resume]);

  // Ctrl/Cmd+S and F5 wherever the focus is (capture: before Monaco or the browser).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const modal = document.querySelector(".modal");
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "s") {
        e.preventDefault();
        e.stopPropagation();
        if (!modal) void save(docsRef.current.active);
      } else if (e.key === "F5" && !e.ctrlKey && !e.metaKey) {
        e.preventDefault();
        e.stopPropagation();
        if (!modal) void runCurrent();
      }
    };
    window.addEventListener("keydown", onKey, true);
    return () => window.removeEventListener("keydown", onKey, true);
  }, [save, runCurrent, docsRef]);

  const closeTab = (path: string) => {
    const doc = docs.docs[path];
    if (doc && isDirty(doc)) setClosing(path);
    else files.dispatch({ type: "close", path });
  };

  const summary = useMemo(() => saveSummary(docs), [docs]);

  if (loadError) {
    return (
      <div className="page">
        <TopBar />
        <main className="workspaces">
          <p className="error" role="alert">
            {loadError}
          </p>
          <button onClick={() => navigate("/")}>Back to workspaces</button>
        </main>
      </div>
    );
  }

  const runtime = run.runtimeFor(activePath);
  return (
    <div className="ide" style={{ gridTemplateColumns: `${treeWidth}px 5px 1fr` }}>
      <div className="ide-top">
        <TopBar>
          <span className="ws-name" data-testid="workspace-name">
            {workspace?.name ?? "…"}
          </span>
          <button
            className="primary run-btn"
            onClick={() => void runCurrent()}
            disabled={!activePath || !runtime}
            title={runtime ? `Save all and run with ${runtime} (F5)` : "Open a file with a known runtime to run it"}
          >
            <span aria-hidden="true">▶ </span>Run
          </button>
          <button onClick={() => setSubmitting(true)} disabled={!workspace}>
            Submit for review
          </button>
          <WorkspaceActions client={client} workspace={workspace} podState={podState} setPod={setPod} beforeStop={autosaveNow} report={setMessage} />
        </TopBar>
        {!files.online && (
          <div className="banner warn" role="status" data-testid="offline-banner">
            Lost the connection to the server — retrying…
          </div>
        )}
        {message && (
          <div className="banner error" role="alert" data-testid="message">
            {message}
            <button className="link" onClick={() => setMessage(null)} aria-label="Dismiss">
              Dismiss
            </button>
          </div>
        )}
      </div>
      <aside className="ide-tree">
        <ErrorBoundary where="the explorer">
          <FileTree
            items={files.items ?? []}
            activePath={activePath}
            initialExpanded={drafts.initialExpanded}
            onExpandedChange={drafts.onExpandedChange}
            onOpen={(p) => void files.open(p)}
            onNew={(itemKind, dir) => setTreeDialog({ kind: "new", itemKind, dir })}
            onRename={(node) => setTreeDialog({ kind: "rename", node })}
            onMoveDialog={(node) => setTreeDialog({ kind: "move", node })}
            onDelete={(node) =>
              setTreeDialog({
                kind: "delete",
                node,
                unsaved: Object.values(docs.docs).some((d) => isInside(d.path, node.path) && isDirty(d)),
              })
            }
            transfer={{ client, workspaceId: id, onMessage: setMessage, onUploaded: () => (files.wrote(), void files.refresh()) }}
            onMove={async (from, toDir) => {
              const to = toDir ? `${toDir}/${from.slice(from.lastIndexOf("/") + 1)}` : from.slice(from.lastIndexOf("/") + 1);
              try {
                files.wrote();
                await client.move(id, from, to);
                files.moved(from, to);
                await files.refresh();
              } catch (err) {
                setMessage(`Cannot move ${from}: ${describeError(err)}`);
              }
            }}
          />
        </ErrorBoundary>
      </aside>
      <Splitter orientation="vertical" size={treeWidth} min={160} max={560} label="Resize the explorer" onResize={setTreeWidth} />
      <section className="ide-center" style={{ gridTemplateRows: `auto 1fr 5px ${panelHeight}px` }}>
        <Tabs state={docs} onActivate={(p) => files.dispatch({ type: "activate", path: p })} onClose={closeTab} />
        <div className="editor-area">
        <ErrorBoundary where="the editor">
          <DocBanners
            doc={activeDoc}
            onCompare={(p) => void files.compare(p).then((ok) => ok && setConflictPath(p))}
            onShowConflict={setConflictPath}
          />
          <FileView client={client} workspaceId={id} path={activePath} text={activeDoc?.text ?? ""} version={activeDoc?.savedVersion ?? 0}>
            <CodeEditor
              state={docs}
              buffers={files.buffers.current}
              onEdit={(path, text) => files.dispatch({ type: "edit", path, text })}
              onBlur={() => void autosaveNow()}
            />
          </FileView>
        </ErrorBoundary>
        </div>
        <Splitter
          orientation="horizontal"
          size={panelHeight}
          min={100}
          max={Math.max(140, window.innerHeight - 220)}
          invert
          label="Resize the terminal"
          onResize={setPanelHeight}
        />
        <div className="bottom-panel">
          <div className="panel-tabs" role="tablist" aria-label="Panels" onKeyDown={(e) => onTabKey(e, e.currentTarget, PANELS.indexOf(bottom), PANELS.length, (i) => setBottom(PANELS[i]))}>
            <button role="tab" aria-selected={bottom === "terminal"} tabIndex={bottom === "terminal" ? 0 : -1} className={bottom === "terminal" ? "active" : ""} onClick={() => setBottom("terminal")}>
              Terminal
            </button>
            <button role="tab" aria-selected={bottom === "output"} tabIndex={bottom === "output" ? 0 : -1} className={bottom === "output" ? "active" : ""} onClick={() => setBottom("output")}>
              Output{run.controller.active ? " (running…)" : ""}
            </button>
            <button role="tab" aria-selected={bottom === "preview"} tabIndex={bottom === "preview" ? 0 : -1} className={bottom === "preview" ? "active" : ""} onClick={() => setBottom("preview")}>
              Preview
            </button>
            {workspace && bottom === "terminal" && <ShareToggle workspace={workspace} client={client} onChange={setWorkspace} />}
          </div>
          <div className="panel-body" hidden={bottom !== "terminal"}>
            <ErrorBoundary where="the terminal">
              <TerminalTabs
                workspaceId={id}
                client={client}
                podState={podState}
                onConnection={setTerminal}
                onStatus={(s) => {
                  // "starting", "running" and "stopped" say what the pod does; "exited" is the shell only.
                  if (s.state === "starting" || s.state === "running" || s.state === "stopped") setPod(s.state);
                }}
              />
            </ErrorBoundary>
          </div>
          <div className="panel-body" hidden={bottom !== "output"}>
            <RunPanel controller={run.controller} onOpenLocation={(loc) => run.openLocation(loc, files.open)} />
          </div>
          <div className="panel-body" hidden={bottom !== "preview"}><PreviewPanel workspaceId={id} client={client} /></div><LanguageServices workspaceId={id} client={client} running={podState === "running"} />
        </div>
      </section>
      <StatusBar
        podState={podState}
        online={files.online}
        terminal={terminal}
        save={summary}
        autosave={settings.autosave}
        language={activePath ? languageForPath(activePath) : null}
      />
      <SearchShortcuts workspaceId={id} client={client} items={files.items ?? []} open={files.open} />
      <p className="narrow-notice" role="status">
        The IDE needs a wider screen (at least 800 pixels). Your files are safe; open this workspace on a computer or turn the device sideways.
      </p>
      {treeDialog && (
        <TreeDialogs
          dialog={treeDialog}
          client={client}
          workspaceId={id}
          items={files.items ?? []}
          onDone={() => setTreeDialog(null)}
          onCreated={(path, kind) => {
            files.wrote();
            void files.refresh().then(() => {
              if (kind === "file") void files.open(path);
            });
          }}
          onMoved={(from, to) => {
            files.wrote();
            files.moved(from, to);
            void files.refresh();
          }}
          onDeleted={(path) => {
            files.wrote();
            files.removed(path);
            void files.refresh();
          }}
        />
      )}
      {submitting && workspace && (
        <SubmitReviewDialog
          workspaceId={id}
          workspaceName={workspace.name}
          beforeSubmit={async () => {
            const saved = await files.saveAll();
            const refusal = runRefusal(saved);
            if (refusal) {
              if (saved.conflicts.length > 0) setConflictPath(saved.conflicts[0]);
              throw new Error(refusal.replace(/^Not run: /, "Not submitted: ").replace(/run again\.$/, "submit again."));
            }
            files.wrote();
          }}
          onClose={() => setSubmitting(false)}
        />
      )}
      {closing && (
        <ConfirmDialog
          title="Unsaved changes"
          danger
          confirm="Close without saving"
          message={<p>{closing} has unsaved edits. Close it and lose them?</p>}
          onCancel={() => setClosing(null)}
          onConfirm={() => {
            files.dispatch({ type: "close", path: closing });
            setClosing(null);
          }}
        />
      )}
      {conflictDoc?.conflict && (
        <ConflictView
          doc={conflictDoc}
          onCancel={() => setConflictPath(null)}
          onTakeTheirs={() => {
            files.takeTheirs(conflictDoc.path);
            setConflictPath(null);
          }}
          onKeepMine={(text) => {
            const path = conflictDoc.path;
            setConflictPath(null);
            void files.keepMine(path, text).then(() => {
              if (docsRef.current.docs[path]?.conflict) setConflictPath(path);
            });
          }}
        />
      )}
    </div>
  );
}
