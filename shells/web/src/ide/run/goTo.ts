// Shows a place of the run's output in the editor: the file's tab is opened (or activated)
// by the caller, then once Monaco shows that file the cursor goes to the line (and column)
// and the line is scrolled into the middle. The editor is Monaco's own list of editors, so
// this needs nothing of the editor component.
import { monaco } from "../editor/monaco";
import type { Location } from "./links";

const WAIT_MS = 5000;

export function revealWhenShown(loc: Location): void {
  const deadline = Date.now() + WAIT_MS;
  const uriPath = "/" + loc.path;
  const tick = () => {
    const editor = monaco.editor.getEditors().find((e) => e.getModel()?.uri.path === uriPath);
    if (!editor) {
      if (Date.now() < deadline) requestAnimationFrame(tick);
      return;
    }
    const position = { lineNumber: loc.line, column: loc.column ?? 1 };
    editor.setPosition(position);
    editor.revealLineInCenter(loc.line);
    editor.focus();
  };
  tick();
}
