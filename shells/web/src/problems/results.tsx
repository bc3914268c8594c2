// What Run and Submit show: the job's state (queued, running) while it waits, then the run's
// output and verdict line, or the submission's score and per-test table (grouped).
import type { ReactNode } from "react";
import type { RunResult, Submission } from "./api";

export function stateLabel(state: string): string {
  return state === "queued" ? "Queued…" : state === "running" ? "Running…" : "Done";
}

export function formatMemory(kb: number): string {
  return kb >= 1024 ? `${(kb / 1024).toFixed(1)} MiB` : `${kb} KiB`;
}

// A job's state line (`<kind>-state`): "Queued…" or "Running…" while it waits; once done, its
// verdict badge (`<kind>-verdict`) followed by `children`.
function StateLine({
  kind,
  state,
  verdict,
  children,
}: {
  kind: "run" | "submission";
  state: string;
  verdict?: string | null;
  children?: ReactNode;
}) {
  if (state !== "done") {
    return (
      <p className="muted" role="status" data-testid={`${kind}-state`} data-state={state}>
        {stateLabel(state)}
      </p>
    );
  }
  return (
    <p data-testid={`${kind}-state`} data-state="done">
      <span className={`badge verdict-${verdict}`} data-testid={`${kind}-verdict`}>
        {verdict}
      </span>{" "}
      {children}
    </p>
  );
}

export function RunView({ run }: { run: RunResult }) {
  if (run.state !== "done") return <StateLine kind="run" state={run.state} />;
  return (
    <div className="run-result" data-testid="run-result">
      <StateLine kind="run" state="done" verdict={run.verdict}>
        cpu {run.cpu_ms ?? 0} ms · wall {run.wall_ms ?? 0} ms · memory {formatMemory(run.memory_kb ?? 0)}
        {run.exit_code !== undefined && run.exit_code !== null ? ` · exit ${run.exit_code}` : ""}
      </StateLine>
      {run.message ? <p className="error">{run.message}</p> : null}
      {run.compile_output ? (
        <>
          <h3>Compiler</h3>
          <pre className="output">{run.compile_output}</pre>
        </>
      ) : null}
      <h3>stdout</h3>
      <pre className="output" data-testid="run-stdout">
        {run.stdout ?? ""}
      </pre>
      {run.stderr ? (
        <>
          <h3>stderr</h3>
          <pre className="output" data-testid="run-stderr">
            {run.stderr}
          </pre>
        </>
      ) : null}
    </div>
  );
}

export function SubmissionView({ submission }: { submission: Submission }) {
  const s = submission;
  if (s.state !== "done") return <StateLine kind="submission" state={s.state} />;
  return (
    <div className="submission-result" data-testid="submission-result">
      <StateLine kind="submission" state="done" verdict={s.verdict}>
        score <span data-testid="submission-score">{s.score}</span> / {s.max_score}
      </StateLine>
      {s.message ? <p className="error">{s.message}</p> : null}
      {s.compile_output ? <pre className="output">{s.compile_output}</pre> : null}
      {s.groups.length > 1 && (
        <p className="muted" data-testid="submission-groups">
          {s.groups.map((g) => `${g.name} ${g.score} / ${g.max_score}`).join(" · ")}
        </p>
      )}
      <table className="ws-table" aria-label="Test results">
        <thead>
          <tr>
            <th scope="col">Group</th>
            <th scope="col">Test</th>
            <th scope="col">Verdict</th>
            <th scope="col">Time</th>
            <th scope="col">Memory</th>
          </tr>
        </thead>
        <tbody>
          {s.tests.map((t, i) => (
            <tr key={`${t.group}/${t.name}/${i}`} data-test={t.name} data-verdict={t.verdict}>
              <td>{t.group || "—"}</td>
              <td>
                {t.name}
                {t.public ? "" : " (hidden)"}
              </td>
              <td>
                <span className={`badge verdict-${t.verdict}`}>{t.verdict}</span>
              </td>
              <td>{t.time_ms} ms</td>
              <td>{formatMemory(t.memory_kb)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
