// The IDE page's handle on Run: one RunController for the page (its run is dropped when the
// page goes), the state it publishes, the server's languages, and starting a run of a file
// once the page has saved what the editors show.
import { useCallback, useEffect, useMemo, useRef, useSyncExternalStore } from "react";
import type { ApiClient } from "../../api/client";
import { revealWhenShown } from "./goTo";
import type { Location } from "./links";
import { RunController, type RunView, rememberedRun } from "./runController";
import { runUrl } from "./runSocket";
import { languageFor, runtimeName } from "./runtime";
import { useLanguages } from "./useLanguages";

export interface RunHandle {
  controller: RunController;
  view: RunView;
  /** The runtime's name for `path` (the Run button's tooltip), or null: Run cannot run it. */
  runtimeFor(path: string | null): string | null;
  /** Starts a run of `path` (already saved); `onEnded` once its socket closed. */
  start(path: string, onEnded: () => void): Promise<void>;
  /** Picks up the run this tab had before a reload, if any; true when there was one. */
  resume(onEnded: () => void): Promise<boolean>;
  /** Opens a place of the output in the editor (`open` opens or activates the file's tab). */
  openLocation(loc: Location, open: (path: string) => Promise<void>): void;
}

export function useRun(client: ApiClient, workspaceId: string): RunHandle {
  const controller = useMemo(() => new RunController(), []);
  useEffect(() => () => controller.dispose(), [controller]);
  const view = useSyncExternalStore(controller.subscribe, controller.snapshot);
  const languages = useLanguages(client);
  const languagesRef = useRef(languages);
  languagesRef.current = languages;

  const runtimeFor = useCallback((path: string | null) => {
    const language = path ? languageFor(path, languagesRef.current) : null;
    return language ? runtimeName(language) : null;
  }, []);

  const start = useCallback(
    async (path: string, onEnded: () => void) => {
      const token = await client.accessToken(false);
      if (!token) return; // the client has sent the person to log in
      controller.start({ url: runUrl(window.location, workspaceId), token, path, onEnded, ...reconnects() });
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [client, controller, workspaceId],
  );

  const storageKey = `codeyard.run.${workspaceId}`;
  const reconnects = () => ({ storageKey, freshToken: () => client.accessToken(false) });
  const resume = useCallback(
    async (onEnded: () => void) => {
      const runId = rememberedRun(storageKey);
      if (!runId || controller.active) return false;
      const token = await client.accessToken(false);
      if (!token) return false;
      controller.resume({ url: runUrl(window.location, workspaceId), token, runId, onEnded, ...reconnects() });
      return true;
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [client, controller, workspaceId],
  );

  const openLocation = useCallback((loc: Location, open: (path: string) => Promise<void>) => {
    void open(loc.path).then(() => revealWhenShown(loc));
  }, []);

  // languages in the deps: runtimeFor reads the ref, but the button must re-render when they come.
  return useMemo(
    () => ({ controller, view, runtimeFor, start, resume, openLocation }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [controller, view, runtimeFor, start, resume, openLocation, languages],
  );
}
