"""Issue 13's file-read goal: with SQLite storage on a file, file reads and tree pages are
answered on the server's event thread, without a hand-off to a request worker
(server.inline_reads, docs/architecture.md "Server threading"); otherwise a worker runs them.

Which thread served a request is read from /proc: the request workers are the threads named
"cy-quick", and a worker that takes a task is woken for it (a context switch the kernel
counts). Reads served inline leave those counts unchanged; handed-off reads raise them by at
least one per request, since each one is sent after the answer to the one before.
"""

import os
import sqlite3
import time

import pytest

from api_client import call, create_workspace, error_code, register
from test_server import Server

READS = 40
CONTENT = b"x" * 64


def worker_threads(server):
    """(context switches so far, all asleep) over the request workers ("cy-quick")."""
    task_dir = f"/proc/{server.proc.pid}/task"
    total, threads, asleep = 0, 0, True
    for tid in os.listdir(task_dir):
        try:
            with open(f"{task_dir}/{tid}/comm") as f:
                if f.read().strip() != "cy-quick":
                    continue
            with open(f"{task_dir}/{tid}/stat") as f:
                asleep = asleep and f.read().rsplit(")", 1)[1].split()[0] == "S"
            with open(f"{task_dir}/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
        except FileNotFoundError:  # a thread that ended meanwhile
            continue
        threads += 1
    assert threads > 0, "no request worker threads named cy-quick"
    return total, asleep


def worker_switches(server):
    """The workers' context switches once every worker is back asleep: a worker that has
    handed back its last answer still switches once more when it goes back to wait."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        first, asleep = worker_threads(server)
        if asleep:
            time.sleep(0.01)
            second, still = worker_threads(server)
            if still and second == first:
                return second
        time.sleep(0.01)
    pytest.fail("the request workers did not settle asleep within 10 s")


def workspace_with_file(server):
    session = register(server)
    token = session["access_token"]
    ws = create_workspace(server, token)
    path = f"/workspaces/{ws['id']}/files/small.txt"
    status, _, doc = call(server, "PUT", path, token=token, body=CONTENT)
    assert status == 200, doc
    return session, ws, path


def read_many(server, token, ws, path):
    for _ in range(READS // 2):
        status, headers, body = call(server, "GET", path, token=token)
        assert status == 200 and body == CONTENT
        assert headers["ETag"] == '"1"'
        status, _, doc = call(server, "GET", f"/workspaces/{ws['id']}/tree", token=token)
        assert status == 200 and [i["path"] for i in doc["items"]] == ["small.txt"]


@pytest.fixture(scope="module")
def file_server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("inline_file"))
    yield s
    s.stop()


def test_reads_of_sqlite_on_a_file_are_not_handed_to_workers(file_server):
    session, ws, path = workspace_with_file(file_server)
    token = session["access_token"]
    before = worker_switches(file_server)
    read_many(file_server, token, ws, path)
    assert worker_switches(file_server) == before
    # The measure sees hand-offs: a write still goes to a worker.
    status, _, doc = call(file_server, "PUT", path, token=token, body=CONTENT,
                          headers={"If-Match": '"1"'})
    assert status == 200, doc
    assert worker_switches(file_server) > before


def test_inline_reads_still_refuse_a_revoked_token_at_once(file_server):
    session, ws, path = workspace_with_file(file_server)
    assert call(file_server, "GET", path, token=session["access_token"])[0] == 200
    status, _, _ = call(file_server, "POST", "/auth/logout",
                        json_body={"refresh_token": session["refresh_token"]})
    assert status == 204
    status, _, doc = call(file_server, "GET", path, token=session["access_token"])
    assert status == 401 and error_code(doc) == "unauthenticated"
    assert "log in again" in doc["error"]["message"]

    # Disabled by another process writing the database (an operator, another replica).
    other, ws2, path2 = workspace_with_file(file_server)
    assert call(file_server, "GET", path2, token=other["access_token"])[0] == 200
    db = sqlite3.connect(file_server.data_dir / "codeyard.db", timeout=10)
    try:
        with db:
            db.execute("UPDATE users SET disabled = 1 WHERE id = ?", (other["user"]["id"],))
    finally:
        db.close()
    status, _, doc = call(file_server, "GET", path2, token=other["access_token"])
    assert status == 401 and error_code(doc) == "unauthenticated"


def test_a_read_of_someone_elses_workspace_is_refused_inline(file_server):
    _, ws, path = workspace_with_file(file_server)
    stranger = register(file_server)["access_token"]
    status, _, doc = call(file_server, "GET", path, token=stranger)
    assert status == 404, doc
    status, _, doc = call(file_server, "GET", f"/workspaces/{ws['id']}/tree", token=stranger)
    assert status == 404, doc


@pytest.mark.parametrize("args", [
    ("--set", "server.inline_reads=false"),
    ("--storage", "sqlite::memory:"),  # reads share the writer's lock: never inline
], ids=["inline_reads=false", "in-memory"])
def test_otherwise_reads_go_to_the_workers(tmp_path, args):
    server = Server(tmp_path, *args)
    try:
        session, ws, path = workspace_with_file(server)
        before = worker_switches(server)
        read_many(server, session["access_token"], ws, path)
        assert worker_switches(server) - before >= READS
    finally:
        server.stop()
