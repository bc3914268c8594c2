"""The codeyard module end to end: real storage (SQLite, or PostgreSQL in the postgres
variant), the real local sandbox, the real job queue. Run by ctest "python: pytest (...)"."""
import gc
import os
import threading
import time

import pytest

import codeyard
from conftest import REPO

PASSWORD = "correct horse battery"


def user(cy, name="ada", **kwargs):
    return cy.accounts.register(name, PASSWORD, **kwargs)


def test_the_shapes_the_checks_rely_on(cy):
    u = user(cy)
    w = cy.workspaces.create(u.id, "hello")
    cy.files.write(w.id, "main.py", b"import sys\nprint(input()[::-1]); sys.exit(3)\n")
    assert cy.files.read(w.id, "main.py").startswith(b"import sys")
    r = cy.workspaces.exec(w.id, ["python3", "main.py"], stdin=b"olleh\n")
    assert (r.exit_code, r.stdout, r.stderr, r.verdict) == (3, b"hello\n", b"", "runtime_error")
    assert isinstance(r.stdout, bytes) and r.wall_ms >= 0 and r.cpu_ms >= 0
    ok = cy.workspaces.exec(w.id, ["sh", "-c", "echo out; echo err >&2"])
    assert (ok.exit_code, ok.stdout, ok.stderr, ok.verdict) == (0, b"out\n", b"err\n", "ok")
    assert "ExecResult" in repr(ok) and "hello" in repr(w) and "ada" in repr(u)

    other = user(cy, "bob")
    missing = codeyard.new_uuid()
    for call in (lambda: cy.files.read(missing, "main.py"),
                 lambda: cy.workspaces.exec(missing, ["true"]),
                 lambda: cy.files.read(w.id, "main.py", user_id=other.id),
                 lambda: cy.workspaces.exec(w.id, ["true"], user_id=other.id),
                 lambda: cy.workspaces.get(w.id, user_id=other.id),
                 lambda: cy.accounts.get_user(missing)):
        with pytest.raises(codeyard.NotFound) as e:
            call()
        assert e.value.code == "not_found" and e.value.message
        assert isinstance(e.value, codeyard.Error)
    assert [x.id for x in cy.workspaces.list(u.id)] == [w.id]
    assert cy.workspaces.list(other.id) == []


def test_errors_are_one_class_per_code(cy):
    u = user(cy)
    with pytest.raises(codeyard.AlreadyExists):
        user(cy, "ADA")
    with pytest.raises(codeyard.InvalidArgument):
        user(cy, "x")  # too short
    with pytest.raises(codeyard.Unauthenticated):
        cy.accounts.login("ada", "wrong password!")
    with pytest.raises(codeyard.PermissionDenied):
        cy.accounts.set_role(u.id, u.id, "admin")
    w = cy.workspaces.create(u.id, "w")
    cy.files.write(w.id, "a.txt", b"1")
    with pytest.raises(codeyard.Conflict):
        cy.files.write(w.id, "a.txt", b"2", expected_version=7)
    names = {cls.__name__ for cls in codeyard.Error.__subclasses__()}
    assert {"NotFound", "InvalidArgument", "Conflict", "PermissionDenied", "ResourceExhausted",
            "Unavailable", "Unauthenticated", "DeadlineExceeded", "Internal"} <= names


def test_configuration_keys_as_the_server_reads_them(open_codeyard):
    cy = open_codeyard(**{"workspace.max_per_user": 1})
    u = user(cy)
    cy.workspaces.create(u.id, "one")
    with pytest.raises(codeyard.ResourceExhausted) as e:
        cy.workspaces.create(u.id, "two")
    assert e.value.limit == "workspace.max_per_user"
    with pytest.raises(codeyard.InvalidArgument) as bad:
        open_codeyard(config={"workspace.max_per_user": "many"})
    assert "workspace.max_per_user" in bad.value.message


def test_files(cy):
    u = user(cy)
    w = cy.workspaces.create(u.id, "files")
    info = cy.files.write(w.id, "src/a.bin", bytes(range(256)))
    assert (info.path, info.kind, info.size, info.version) == ("src/a.bin", "file", 256, 1)
    assert cy.files.read(w.id, "src/a.bin") == bytes(range(256))
    cy.files.rename(w.id, "src/a.bin", "b.bin")
    assert [(f.path, f.kind) for f in cy.files.list(w.id)] == [("b.bin", "file"),
                                                              ("src", "dir")]
    cy.files.delete(w.id, "src")
    assert [f.path for f in cy.files.list(w.id)] == ["b.bin"]
    with pytest.raises(codeyard.NotFound):
        cy.files.read(w.id, "src/a.bin")
    # Files written by a command reach storage (the sync after each exec).
    cy.workspaces.exec(w.id, ["sh", "-c", "echo made > made.txt"])
    assert cy.files.read(w.id, "made.txt") == b"made\n"


def test_long_output_streams_through_an_iterator(cy):
    u = user(cy)
    w = cy.workspaces.create(u.id, "stream")
    stream = cy.workspaces.stream(w.id, ["sh", "-c", "head -c 3000000 /dev/zero; echo e >&2"])
    chunks = list(stream)
    out = b"".join(data for name, data in chunks if name == "stdout")
    assert len(out) == 3000000 and len(chunks) > 2
    assert (b"e\n") == b"".join(data for name, data in chunks if name == "stderr")
    assert stream.wait().exit_code == 0


def test_the_gil_is_released_while_a_command_runs(cy):
    # The command waits for a file that this thread makes by typing into the workspace's
    # shell, and this thread types only after it has seen (in Python) that the command runs.
    # Had exec kept the GIL, this thread could not go on from there before the command
    # ended, and it would end by its timeout without "seen".
    u = user(cy)
    w = cy.workspaces.create(u.id, "gil")
    cy.workspaces.start(w.id)
    session = cy.accounts.login("ada", PASSWORD)
    result = {}
    command = "touch running; while [ ! -e go ]; do sleep 0.05; done; echo seen"

    def run():
        result["r"] = cy.workspaces.exec(w.id, ["sh", "-c", command], timeout=30)

    with cy.terminals.attach(session.access_token, w.id) as term:
        t = threading.Thread(target=run)
        t.start()
        term.write("while [ ! -e running ]; do sleep 0.05; done; echo start-$((6*7))\n")
        read_until(term, b"start-42\r\n")
        term.write("touch go\n")
        t.join()
    assert (result["r"].stdout, result["r"].verdict) == (b"seen\n", "ok")


def test_objects_outlive_the_codeyard_that_made_them(open_codeyard):
    cy = open_codeyard()
    u = user(cy)
    w = cy.workspaces.create(u.id, "kept")
    session = cy.accounts.login("ada", PASSWORD)
    files, workspaces, terminals, jobs = cy.files, cy.workspaces, cy.terminals, cy.jobs
    term = terminals.attach(session.access_token, w.id)
    cy.close()
    with pytest.raises(codeyard.FailedPrecondition):
        cy.files
    del cy
    gc.collect()
    files.write(w.id, "x.py", b"print(6*7)\n")
    assert workspaces.exec(w.id, ["python3", "x.py"]).stdout == b"42\n"
    term.write("echo still-here\n")
    assert b"still-here" in read_until(term, b"still-here\r\n")
    job = jobs.submit(u.id, {"a.py": "print('job')"})
    assert jobs.wait(u.id, job.id).run.stdout == b"job\n"
    term.close()
    del files, workspaces, terminals, jobs, term
    gc.collect()


def read_until(term, marker, timeout=30):
    buf = b""
    deadline = time.monotonic() + timeout
    while marker not in buf and time.monotonic() < deadline and not term.closed:
        buf += term.read(timeout=1)
    assert marker in buf, buf[-500:]
    return buf


def test_terminal_attach_read_write(cy):
    u = user(cy)
    w = cy.workspaces.create(u.id, "term")
    session = cy.accounts.login("ada", PASSWORD)
    with pytest.raises(codeyard.Unauthenticated):
        cy.terminals.attach("not-a-token", w.id)
    with cy.terminals.attach(session.access_token, w.id, cols=100, rows=30) as term:
        term.write(b"echo $((6*7)) > t.txt; echo done-$((1+1))\n")
        read_until(term, b"done-2\r\n")
        term.resize(120, 40)
        term.write("exit\n")
        rest = b"".join(term)  # the iterator ends when the shell exits
        assert term.closed and term.close_code == 1000, (rest, term.close_reason)
    cy.workspaces.sync(w.id)
    assert cy.files.read(w.id, "t.txt") == b"42\n"


def test_jobs_submit_wait_iterate(cy):
    u = user(cy)
    other = user(cy, "bob")
    ids = [cy.jobs.submit(u.id, {"main.py": f"print({i})"}).id for i in range(3)]
    done = [cy.jobs.wait(u.id, i) for i in ids]
    assert [j.run.stdout for j in done] == [b"0\n", b"1\n", b"2\n"]
    assert all(j.done and j.verdict == "ok" and j.kind == "run" for j in done)
    assert sorted(j.id for j in cy.jobs.iter(u.id)) == sorted(ids)
    with pytest.raises(codeyard.NotFound):
        cy.jobs.get(other.id, ids[0])
    slow = cy.jobs.submit(u.id, {"s.py": "while True: pass"}, time_limit=0.5)
    assert cy.jobs.wait(u.id, slow.id).verdict == "time_limit_exceeded"


def test_problems_and_grading(cy):
    problem = cy.problems.import_folder(os.path.join(REPO, "examples/problems/sum"))
    assert problem.id == "sum" and len(problem.test_names) == 5
    assert [p.id for p in cy.problems.list()] == ["sum"]
    u = user(cy)
    assert cy.problems.get("sum", user_id=u.id).title == problem.title
    with pytest.raises(codeyard.NotFound):
        cy.problems.get("nope")
    subs = os.path.join(REPO, "examples/problems/sum/submissions")
    with open(os.path.join(subs, "accepted/sum.py"), "rb") as f:
        good = cy.submissions.submit(u.id, "sum", {"sum.py": f.read()})
    with open(os.path.join(subs, "wrong_answer/int32.c"), "rb") as f:
        bad = cy.submissions.submit(u.id, "sum", {"int32.c": f.read()})
    good, bad = cy.submissions.wait(u.id, good.id), cy.submissions.wait(u.id, bad.id)
    assert good.accepted and good.score == good.max_score == 100
    assert [t.verdict for t in good.tests] == ["accepted"] * 5
    assert bad.verdict == "wrong_answer" and not bad.accepted
    assert "wrong_answer" in [t.verdict for t in bad.tests]
    assert {s.id for s in cy.submissions.iter(u.id, problem="sum")} == {good.id, bad.id}
    progress = cy.submissions.progress(u.id)
    assert (progress.attempted, progress.solved, progress.points) == (1, 1, 100)
    assert [(x.problem, x.attempts, x.solved) for x in progress.problems] == [("sum", 2, True)]


def test_reviews(cy):
    author, reviewer = user(cy), user(cy, "rev")
    w = cy.workspaces.create(author.id, "review-me")
    cy.files.write(w.id, "main.py", b"print('hi')\n")
    review = cy.reviews.create(author.id, w.id, "Please look", required_level=1)
    assert review.status == "pending"
    with pytest.raises(codeyard.PermissionDenied):
        cy.reviews.claim(author.id, review.id)
    cy.reviews.set_reviewer_level(reviewer.id, reviewer.id, 1)
    assert [r.id for r in cy.reviews.list(reviewer.id, role="queue")] == [review.id]
    assert cy.reviews.claim(reviewer.id, review.id).status == "in_review"
    c = cy.reviews.comment(reviewer.id, review.id, "nice", path="main.py", line=1)
    assert [x.id for x in cy.reviews.comments(author.id, review.id)] == [c.id]
    done = cy.reviews.decide(reviewer.id, review.id, "approve")
    assert done.status == "approved" and done.reviewer_id == reviewer.id
    with pytest.raises(codeyard.Conflict):
        cy.reviews.decide(reviewer.id, review.id, "approve")
    actions = [e.action for e in cy.reviews.history(author.id, review.id)]
    assert actions[0] == "created" and "claimed" in actions and actions[-1] == "decided"
    cy.files.write(w.id, "main.py", b"print('hello')\n")
    [diff] = cy.reviews.diff(author.id, review.id)
    assert (diff.path, diff.change) == ("main.py", "changed")
    assert "-print('hi')" in diff.lines and "+print('hello')" in diff.lines
    assert cy.workspaces.set_terminal_shared(w.id, True).terminal_shared
