"""Submissions and progress over HTTP (issue 16): every example problem of examples/problems,
imported into the server's storage with `codeyard problems import`, graded through
POST /api/v1/problems/{id}/submissions with each of its submissions/<verdict>/ programs giving
the verdict (and, where submissions.yaml says, the score) the package expects; no hidden test's
input or expected output appears in any response body; progress after accepted and wrong
submissions; another user's submission is 404; the queue's 503 and 429 on submissions. Every
grading runs for real in the local sandbox."""

import os
import pathlib
import subprocess

import pytest
import yaml

from api_client import call, error_code, register
from storage_choice import fresh_storage_uri, start_server, storage_args
from test_server import SERVER_BIN

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples" / "problems"
CLI_BIN = os.path.join(os.path.dirname(SERVER_BIN), "codeyard")
LANGUAGES = {".py": "python", ".c": "c", ".cpp": "cpp"}


def import_examples(data_dir, storage_uri=None):
    problems = sorted(str(p) for p in EXAMPLES.iterdir() if p.is_dir())
    done = subprocess.run([CLI_BIN, "problems", "import", *problems, "--data", str(data_dir),
                           *storage_args(storage_uri), "--time-limit", "2"],
                          capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode(errors="replace")


def start(tmp_path, *settings):
    """A server with the example problems, on SQLite or a fresh PostgreSQL database."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    storage_uri = fresh_storage_uri()
    import_examples(tmp_path / "data", storage_uri)
    args = []
    for s in settings:
        args += ["--set", s]
    return start_server(tmp_path, *args, storage_uri=storage_uri or "")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = start(tmp_path_factory.mktemp("submissions"))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def token(server):
    return register(server)["access_token"]


def examples():
    """(problem, verdict folder, file, expected score or None) for every example submission."""
    out = []
    for problem in sorted(p for p in EXAMPLES.iterdir() if p.is_dir()):
        scores = {}
        listing = problem / "submissions" / "submissions.yaml"
        if listing.exists():
            for name, spec in (yaml.safe_load(listing.read_text()) or {}).items():
                if isinstance(spec, dict) and "score" in spec:
                    scores[name] = spec["score"]
        for verdict_dir in sorted((problem / "submissions").iterdir()):
            if not verdict_dir.is_dir():
                continue
            for f in sorted(verdict_dir.iterdir()):
                out.append((problem.name, verdict_dir.name, f,
                            scores.get(f"{verdict_dir.name}/{f.name}")))
    return out


def hidden_strings():
    """Hidden test data distinctive enough that its presence in a body would be a leak."""
    public, hidden = set(), set()
    for problem in EXAMPLES.iterdir():
        for f in problem.rglob("*"):
            if not f.is_file() or f.suffix not in (".in", ".ans", ".out"):
                continue
            rel = f.relative_to(problem).parts
            text = f.read_text(errors="replace")
            if rel[:2] == ("data", "secret") or (rel[0] == "tests" and len(rel) > 2):
                hidden.add(text)
            else:
                public.add(text)
    return [h for h in hidden
            if len(h.strip()) >= 8 and not any(h in p for p in public)]


HIDDEN = hidden_strings()


def strings(doc):
    if isinstance(doc, str):
        yield doc
    elif isinstance(doc, dict):
        for k, v in doc.items():
            yield k
            yield from strings(v)
    elif isinstance(doc, list):
        for v in doc:
            yield from strings(v)


def assert_no_hidden(doc):
    """Checks the decoded strings of a body (JSON escapes would hide a newline in raw text)."""
    text = "\0".join(strings(doc))
    for h in HIDDEN:
        assert h not in text and h.strip() not in text, "a hidden test's data leaked"


def submit(server, token, problem, language, files):
    return call(server, "POST", f"/problems/{problem}/submissions", token=token,
                json_body={"language": language, "files": files})


def graded(server, token, sub_id):
    for _ in range(10):  # each wait is at most 30 s; a big problem on 2 shared cores takes more
        status, _, doc = call(server, "GET", f"/submissions/{sub_id}?wait=30", token=token)
        assert status == 200, doc
        assert_no_hidden(doc)
        if doc["state"] == "done":
            return doc
    pytest.fail(f"submission {sub_id} not graded")


def matches(expected, doc):
    if expected in ("run_time_error",):
        expected = "runtime_error"
    if expected == "partially_accepted":
        return 0 < doc["score"] < doc["max_score"]
    if expected == "rejected":
        return doc["verdict"] != "accepted"
    return doc["verdict"] == expected


def test_every_example_submission_gets_its_expected_verdict(server):
    tok = register(server)["access_token"]
    pending = []
    for problem, expected, path, score in examples():
        files = {path.name: path.read_text()}
        status, headers, doc = submit(server, tok, problem, LANGUAGES[path.suffix], files)
        assert status == 202, doc
        assert set(doc) >= {"id"} and headers["Location"] == f"/api/v1/submissions/{doc['id']}"
        pending.append((problem, expected, path, score, doc["id"]))
    for problem, expected, path, score, sub_id in pending:
        doc = graded(server, tok, sub_id)
        assert {"id", "problem", "state", "verdict", "score", "max_score", "tests"} <= set(doc)
        assert doc["problem"] == problem
        assert matches(expected, doc), (problem, expected, path.name, doc["verdict"],
                                        doc.get("message"), doc.get("compile_output"))
        if score is not None:
            assert doc["score"] == score, (path, doc["score"])
        for t in doc["tests"]:
            assert {"name", "group", "verdict", "time_ms", "memory_kb", "public"} <= set(t)
            if not t["public"]:
                assert "output" not in t and "feedback" not in t
    # The lists and progress hold no hidden data either.
    status, _, listed = call(server, "GET", "/submissions?limit=200", token=tok)
    assert status == 200 and len(listed["items"]) == len(pending)
    assert_no_hidden(listed)
    status, _, progress = call(server, "GET", "/progress", token=tok)
    assert status == 200
    assert_no_hidden(progress)
    solved = {p["problem"] for p in progress["problems"] if p["solved"]}
    assert solved == {p.name for p in EXAMPLES.iterdir() if p.is_dir()}
    assert progress["overall"]["solved"] == len(solved)


def test_progress_counts_attempts_and_the_best_score(server, token):
    wrong = submit(server, token, "hello", "python", {"a.py": "print('hello world')\n"})[2]
    assert graded(server, token, wrong["id"])["verdict"] == "wrong_answer"
    status, _, progress = call(server, "GET", "/progress", token=token)
    assert status == 200
    [hello] = progress["problems"]
    assert hello["problem"] == "hello" and hello["attempts"] == 1 and not hello["solved"]
    assert hello["first_solved_at"] is None and progress["overall"]["solved"] == 0
    right = submit(server, token, "hello", "python", {"a.py": "print('Hello, World!')\n"})[2]
    done = graded(server, token, right["id"])
    assert done["verdict"] == "accepted" and done["score"] == done["max_score"]
    status, _, progress = call(server, "GET", "/progress", token=token)
    [hello] = progress["problems"]
    assert hello["attempts"] == 2 and hello["solved"] and hello["best_score"] == done["score"]
    assert hello["first_solved_at"] == done["created_at"]
    assert progress["overall"] == {"attempted": 1, "solved": 1, "points": done["score"]}
    # Per problem, newest first.
    status, _, mine = call(server, "GET", "/submissions?problem=hello", token=token)
    assert [s["id"] for s in mine["items"]] == [right["id"], wrong["id"]]
    status, _, none = call(server, "GET", "/submissions?problem=sum", token=token)
    assert none["items"] == []


def test_other_users_and_unknown_problems_are_404(server, token):
    status, _, doc = submit(server, token, "hello", "python", {"a.py": "print(1)\n"})
    assert status == 202
    other = register(server)["access_token"]
    status, _, err = call(server, "GET", f"/submissions/{doc['id']}", token=other)
    assert status == 404 and error_code(err) == "not_found"
    status, _, err = submit(server, token, "no-such-problem", "python", {"a.py": "print(1)"})
    assert status == 404 and error_code(err) == "not_found"
    status, _, err = submit(server, token, "hello", "cobol", {"a.cob": "x"})
    assert status == 400 and error_code(err) == "invalid_argument"
    status, _, err = submit(server, token, "hello", "python", {})
    assert status == 400
    status, _, err = call(server, "GET", "/submissions/x?wait=31", token=token)
    assert status == 400
    status, _, err = call(server, "GET", "/progress")
    assert status == 401


def test_a_full_queue_is_503_and_a_user_over_the_limit_429(tmp_path):
    full = start(tmp_path / "a", "jobs.workers=0", "jobs.max_queue_depth=1")
    try:
        tok = register(full)["access_token"]
        body = {"a.py": "print('Hello, World!')\n"}
        assert submit(full, tok, "hello", "python", body)[0] == 202
        status, headers, err = submit(full, tok, "hello", "python", body)
        assert status == 503 and error_code(err) == "unavailable", err
        assert int(headers["Retry-After"]) >= 1
    finally:
        full.stop()
    limited = start(tmp_path / "b", "jobs.workers=0", "limits.jobs_per_minute=2")
    try:
        tok = register(limited)["access_token"]
        for _ in range(2):
            assert submit(limited, tok, "hello", "python", body)[0] == 202
        status, headers, err = submit(limited, tok, "hello", "python", body)
        assert status == 429 and error_code(err) == "resource_exhausted", err
        assert int(headers["Retry-After"]) >= 1 and headers["RateLimit-Remaining"] == "0"
    finally:
        limited.stop()
