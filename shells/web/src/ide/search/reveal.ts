// Puts the cursor at a line and column of a file in the code editor once its tab shows it:
// the IDE opens the file (which may load it), and the editor swaps its model in a later render,
// so this waits (one check per frame, at most 5 s) for the editor to show that file's model.
import { monaco } from "../editor/monaco";

/** The URI CodeEditor gives a file's model. */
function uriOf(path: string): string {
  return monaco.Uri.from({ scheme: "codeyard", path: "/" + path }).toString();
}

export function revealInEditor(path: string, line: number, column: number, length = 0): Promise<boolean> {
  const uri = uriOf(path);
  const deadline = Date.now() + 5000;
  return new Promise((resolve) => {
    const attempt = () => {
      const editor = monaco.editor.getEditors().find((e) => e.getModel()?.uri.toString() === uri);
      if (editor) {
        const end = column + length;
        editor.setSelection(new monaco.Selection(line, end, line, column));
        editor.revealLineInCenter(line);
        editor.focus();
        resolve(true);
      } else if (Date.now() > deadline) {
        resolve(false);
      } else {
        requestAnimationFrame(attempt);
      }
    };
    attempt();
  });
}
