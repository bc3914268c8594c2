// The output of the last run: the command, stdout and stderr, and the verdict line with time and
// memory.
import type { ExecResult } from "../../api/types";
import { verdictLine, verdictOk } from "./runtime";

export type RunState =
  | { status: "idle" }
  | { status: "running"; path: string; argv: string[] }
  | { status: "done"; path: string; argv: string[]; result: ExecResult }
  | { status: "failed"; path: string; argv: string[]; error: string };

export function RunPanel({ run }: { run: RunState }) {
  if (run.status === "idle") {
    return (
      <div className="run-panel muted" data-testid="run-output">
        Press <kbd>F5</kbd> or Run to save and run the current file.
      </div>
    );
  }
  return (
    <div className="run-panel" data-testid="run-output" aria-live="polite">
      <div className="run-command">$ {run.argv.join(" ")}</div>
      {run.status === "running" && <div className="muted">Running {run.path}…</div>}
      {run.status === "failed" && (
        <div className="error" role="alert">
          {run.error}
        </div>
      )}
      {run.status === "done" && (
        <>
          {run.result.stdout && <pre className="run-stdout">{run.result.stdout}</pre>}
          {run.result.stderr && <pre className="run-stderr">{run.result.stderr}</pre>}
          <div className={`verdict ${verdictOk(run.result) ? "ok" : "bad"}`} data-testid="verdict">
            {verdictLine(run.result)}
          </div>
        </>
      )}
    </div>
  );
}
