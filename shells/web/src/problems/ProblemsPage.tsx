// The problem list: title, level, topics and my standing (solved, attempted, best score), with
// filters by level, tag and solved state that the server applies (GET /problems?level&tag&solved).
// The level and tag choices come from the unfiltered list, so a filter never hides its own
// options.
import { useCallback, useEffect, useMemo, useState } from "react";
import { describeError } from "../api/errors";
import { useSession } from "../auth/session";
import { navigate } from "../router";
import { TopBar } from "../ui/TopBar";
import { ProblemsApi, type ProblemFilter, type ProblemSummary } from "./api";

export function standing(p: ProblemSummary): string {
  if (p.progress.solved) return "solved";
  if (p.progress.attempts > 0) return "attempted";
  return "not tried";
}

export function ProblemsPage() {
  const { client } = useSession();
  const api = useMemo(() => new ProblemsApi(client), [client]);
  const [all, setAll] = useState<ProblemSummary[] | null>(null);
  const [shown, setShown] = useState<ProblemSummary[] | null>(null);
  const [filter, setFilter] = useState<ProblemFilter>({ level: "", tag: "", solved: "" });
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api.list({}).then(setAll, (err) => setError(describeError(err)));
  }, [api]);
  const load = useCallback(async () => {
    try {
      setShown(await api.list(filter));
      setError(null);
    } catch (err) {
      setError(describeError(err));
    }
  }, [api, filter]);
  useEffect(() => {
    void load();
  }, [load]);

  const levels = useMemo(() => [...new Set((all ?? []).map((p) => p.level).filter(Boolean))].sort(), [all]);
  const tags = useMemo(() => [...new Set((all ?? []).flatMap((p) => p.tags))].sort(), [all]);
  const open = (id: string) => navigate(`/problems/${encodeURIComponent(id)}`);

  return (
    <div className="page">
      <TopBar>
        <span>Problems</span>
      </TopBar>
      <main className="workspaces problems-page">
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="row">
          <h2>Problems</h2>
          <label className="field inline">
            <span>Level</span>
            <select aria-label="Level filter" value={filter.level} onChange={(e) => setFilter({ ...filter, level: e.target.value })}>
              <option value="">all</option>
              {levels.map((l) => (
                <option key={l} value={l}>
                  {l}
                </option>
              ))}
            </select>
          </label>
          <label className="field inline">
            <span>Topic</span>
            <select aria-label="Tag filter" value={filter.tag} onChange={(e) => setFilter({ ...filter, tag: e.target.value })}>
              <option value="">all</option>
              {tags.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </label>
          <label className="field inline">
            <span>Solved</span>
            <select
              aria-label="Solved filter"
              value={filter.solved}
              onChange={(e) => setFilter({ ...filter, solved: e.target.value as ProblemFilter["solved"] })}
            >
              <option value="">all</option>
              <option value="true">solved</option>
              <option value="false">not solved</option>
            </select>
          </label>
          <a
            href="/progress"
            onClick={(e) => {
              e.preventDefault();
              navigate("/progress");
            }}
          >
            My progress
          </a>
        </div>
        {shown === null && !error && <p className="muted">Loading…</p>}
        {shown && shown.length === 0 && <p className="muted">No problem matches.</p>}
        {shown && shown.length > 0 && (
          <table className="ws-table" aria-label="Problems">
            <thead>
              <tr>
                <th scope="col">Title</th>
                <th scope="col">Level</th>
                <th scope="col">Topics</th>
                <th scope="col">Status</th>
                <th scope="col">Best score</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((p) => (
                <tr key={p.id} data-problem={p.id} data-standing={standing(p)}>
                  <td>
                    <a
                      href={`/problems/${encodeURIComponent(p.id)}`}
                      onClick={(e) => {
                        e.preventDefault();
                        open(p.id);
                      }}
                    >
                      {p.title}
                    </a>
                  </td>
                  <td>{p.level || "—"}</td>
                  <td>{p.tags.join(", ") || "—"}</td>
                  <td>
                    <span className={`badge standing-${standing(p).replace(" ", "-")}`}>{standing(p)}</span>
                  </td>
                  <td>{p.progress.attempts > 0 ? `${p.progress.best_score} / ${p.max_score}` : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </main>
    </div>
  );
}
