// My progress (GET /progress): per problem the attempts, best score, whether and when it was
// first solved, and a summary per level (solved, attempted, points).
import { useEffect, useMemo, useState } from "react";
import { describeError } from "../api/errors";
import { useSession } from "../auth/session";
import { ProblemsApi, type ProgressRow, type ServerLevel } from "../problems/api";
import { navigate } from "../router";
import { TopBar } from "../ui/TopBar";
import { levelSummary } from "./summary";

export function ProgressPage() {
  const { client } = useSession();
  const api = useMemo(() => new ProblemsApi(client), [client]);
  const [rows, setRows] = useState<ProgressRow[] | null>(null);
  const [serverLevels, setServerLevels] = useState<ServerLevel[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.progress().then(
      (p) => {
        setRows(p.rows);
        setServerLevels(p.levels);
      },
      (err) => setError(describeError(err)),
    );
  }, [api]);
  // The server's sums when it gives them (the library's rule); else summed here from the rows.
  const levels = useMemo(
    () => serverLevels?.map((l) => ({ ...l, max_score: null as number | null })) ?? levelSummary(rows ?? []),
    [rows, serverLevels],
  );

  return (
    <div className="page">
      <TopBar>
        <span>Progress</span>
      </TopBar>
      <main className="workspaces progress-page">
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        {rows === null && !error && <p className="muted">Loading…</p>}
        {rows && rows.length === 0 && <p className="muted">You have not submitted anything yet.</p>}
        {rows && rows.length > 0 && (
          <>
            <h2>By level</h2>
            <table className="ws-table" aria-label="Progress by level">
              <thead>
                <tr>
                  <th scope="col">Level</th>
                  <th scope="col">Solved</th>
                  <th scope="col">Attempted</th>
                  <th scope="col">Score</th>
                </tr>
              </thead>
              <tbody>
                {levels.map((l) => (
                  <tr key={l.level} data-level={l.level}>
                    <td>{l.level || "—"}</td>
                    <td>{l.solved}</td>
                    <td>{l.attempted}</td>
                    <td>
                      {l.score}
                      {l.max_score !== null ? ` / ${l.max_score}` : ""}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <h2>By problem</h2>
            <table className="ws-table" aria-label="Progress by problem">
              <thead>
                <tr>
                  <th scope="col">Problem</th>
                  <th scope="col">Level</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Best score</th>
                  <th scope="col">Solved</th>
                  <th scope="col">First solved</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.problem} data-problem={r.problem} data-solved={r.solved ? "yes" : "no"}>
                    <td>
                      <a
                        href={`/problems/${encodeURIComponent(r.problem)}`}
                        onClick={(e) => {
                          e.preventDefault();
                          navigate(`/problems/${encodeURIComponent(r.problem)}`);
                        }}
                      >
                        {r.title}
                      </a>
                    </td>
                    <td>{r.level || "—"}</td>
                    <td>{r.attempts}</td>
                    <td>
                      {r.best_score} / {r.max_score}
                    </td>
                    <td>{r.solved ? "yes" : "no"}</td>
                    <td>{r.first_solved_at ? new Date(r.first_solved_at).toLocaleString() : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </main>
    </div>
  );
}
