// One problem: its statement (Markdown, rendered safely, images from its assets), limits and
// public tests, an editor with the starter code of the chosen language (languages from
// GET /languages; the last code per problem and language kept in localStorage), Run with a
// custom input (a job) and Submit (a submission), both followed live.
import { lazy, Suspense, useEffect, useMemo, useRef, useState } from "react";
import { describeError } from "../api/errors";
import { useSession } from "../auth/session";
import { navigate } from "../router";
import { TopBar } from "../ui/TopBar";
import { ProblemsApi, type Language, type Problem, type RunResult, type Submission } from "./api";
import { RunView, SubmissionView } from "./results";
import { Statement } from "./Statement";
import { loadCode, saveCode } from "./storage";
import { useQueuedTask } from "./useQueuedTask";

const ProblemEditor = lazy(() => import("./ProblemEditor"));

const LANGUAGE_KEY = "codeyard:problem-language";

function Task({ label, refusal, error }: { label: string; refusal: string | null; error: string | null }) {
  return (
    <>
      {refusal && (
        <p className="notice" role="status" data-testid={`${label}-refusal`}>
          {refusal}
        </p>
      )}
      {error && (
        <p className="error" role="alert" data-testid={`${label}-error`}>
          {error}
        </p>
      )}
    </>
  );
}

export default function ProblemPage({ id }: { id: string }) {
  const { client } = useSession();
  const api = useMemo(() => new ProblemsApi(client), [client]);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [languages, setLanguages] = useState<Language[]>([]);
  const [language, setLanguage] = useState<string>(() => localStorage.getItem(LANGUAGE_KEY) ?? "python");
  const [error, setError] = useState<string | null>(null);
  const [stdin, setStdin] = useState("");
  const [resets, setResets] = useState(0);
  const reader = useRef<(() => string) | null>(null);
  const run = useQueuedTask<RunResult>();
  const submission = useQueuedTask<Submission>();

  useEffect(() => {
    Promise.all([api.get(id), api.languages()])
      .then(([p, langs]) => {
        setProblem(p);
        setLanguages(langs);
        setError(null);
      })
      .catch((err) => setError(describeError(err)));
  }, [api, id]);

  // A language this problem has starter code for, preferring the person's last choice.
  const offered = useMemo(() => {
    if (!problem) return languages;
    const withStarter = languages.filter((l) => l.id in problem.starter);
    return withStarter.length ? withStarter : languages;
  }, [languages, problem]);
  const current = offered.find((l) => l.id === language) ?? offered[0];

  const choose = (lang: string) => {
    setLanguage(lang);
    localStorage.setItem(LANGUAGE_KEY, lang);
  };
  const files = (): Record<string, string> => {
    const text = reader.current ? reader.current() : "";
    return { [current!.source_file]: text };
  };

  if (error && !problem) {
    return (
      <div className="page">
        <TopBar>
          <span>Problems</span>
        </TopBar>
        <main className="workspaces">
          <p className="error" role="alert">
            {error}
          </p>
          <button onClick={() => navigate("/problems")}>All problems</button>
        </main>
      </div>
    );
  }
  if (!problem || !current) {
    return (
      <div className="page">
        <TopBar>
          <span>Problems</span>
        </TopBar>
        <main className="workspaces">
          <p className="muted">Loading…</p>
        </main>
      </div>
    );
  }

  const initial = loadCode(problem.id, current.id) ?? problem.starter[current.id] ?? "";
  return (
    <div className="page">
      <TopBar>
        <a
          href="/problems"
          onClick={(e) => {
            e.preventDefault();
            navigate("/problems");
          }}
        >
          All problems
        </a>
        <span> / {problem.title}</span>
      </TopBar>
      <main className="problem-page">
        <section className="problem-statement" aria-labelledby="problem-title">
          <h1 id="problem-title">{problem.title}</h1>
          <p className="muted">
            {problem.level && <span className="badge">{problem.level}</span>} {problem.tags.join(", ")}
            {problem.time_limit_s ? ` · time limit ${problem.time_limit_s} s` : ""}
            {problem.memory_limit_mb ? ` · memory ${problem.memory_limit_mb} MB` : ""} · max score {problem.max_score}
            {problem.progress.attempts > 0 &&
              ` · you: ${problem.progress.solved ? "solved" : "attempted"}, best ${problem.progress.best_score}`}
          </p>
          <Statement markdown={problem.statement} assets={problem.assets} />
          {problem.public_tests.length > 0 && (
            <>
              <h2>Examples</h2>
              {problem.public_tests.map((t) => (
                <div className="example" key={t.name}>
                  <h3>{t.name}</h3>
                  <span className="muted">Input</span>
                  <pre className="output">{t.input}</pre>
                  <span className="muted">Output</span>
                  <pre className="output">{t.output}</pre>
                  <button onClick={() => setStdin(t.input)}>Use as input</button>
                </div>
              ))}
            </>
          )}
        </section>
        <section className="problem-work" aria-label="Solution">
          <div className="row">
            <label className="field inline">
              <span>Language</span>
              <select value={current.id} onChange={(e) => choose(e.target.value)} aria-label="Language">
                {offered.map((l) => (
                  <option key={l.id} value={l.id}>
                    {l.name}
                  </option>
                ))}
              </select>
            </label>
            <button
              onClick={() => {
                saveCode(problem.id, current.id, problem.starter[current.id] ?? "");
                setResets((n) => n + 1); // a new editor, seeded with the starter code
              }}
              title="Replace the editor's code with the starter code"
            >
              Reset to starter
            </button>
          </div>
          <Suspense fallback={<p className="muted">Loading the editor…</p>}>
            <ProblemEditor
              key={`${problem.id}:${current.id}:${resets}`}
              file={current.source_file}
              initial={initial}
              reader={reader}
              onChange={(text) => saveCode(problem.id, current.id, text)}
            />
          </Suspense>
          <label className="field">
            <span>Custom input</span>
            <textarea value={stdin} onChange={(e) => setStdin(e.target.value)} rows={4} aria-label="Custom input" spellCheck={false} />
          </label>
          <div className="row">
            <button disabled={run.view.busy} onClick={() => run.start(() => api.run(current.id, files(), stdin), (j) => api.job(j))}>
              Run
            </button>
            <button
              className="primary"
              disabled={submission.view.busy}
              onClick={() => submission.start(() => api.submit(problem.id, current.id, files()), (s) => api.submission(s))}
            >
              Submit
            </button>
          </div>
          <section aria-label="Run" data-testid="run-panel">
            <Task label="run" refusal={run.view.refusal} error={run.view.error} />
            {run.view.result && <RunView run={run.view.result} />}
          </section>
          <section aria-label="Submission" data-testid="submission-panel">
            <Task label="submission" refusal={submission.view.refusal} error={submission.view.error} />
            {submission.view.result && <SubmissionView submission={submission.view.result} />}
          </section>
        </section>
      </main>
    </div>
  );
}
