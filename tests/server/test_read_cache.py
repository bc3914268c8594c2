"""The SQLite read cache (libplatform/storage/sqlite/sqlite_read_cache.hpp) never serves a
stale answer: a file read answered from memory becomes the new content, a 404 or a 401 on the
very next request after a write through this server, through another server process on the
same database file, or by another process writing the file directly. The cache's hit counter
(codeyard_storage_read_cache_hits_total) proves the reads before each change were answered
from memory, so each check is of the cache, not of a cold read. On PostgreSQL there is no
cache: the same scenario passes with the counter at zero.
"""

import os
import re
import sqlite3
import subprocess
import uuid

import pytest

from api_client import call, create_workspace, error_code, register
from test_server import TEST_SECRET, Server, clean_env


def metric(server, name):
    status, _, text = server.request("GET", "/api/v1/metrics")
    assert status == 200
    m = re.search(r"^%s (\S+)$" % re.escape(name), text.decode(), re.M)
    assert m, f"no {name} in the metrics"
    return float(m.group(1))


def hits(server):
    return metric(server, "codeyard_storage_read_cache_hits_total")


def put(server, token, path, content, version):
    status, headers, doc = call(server, "PUT", path, token=token, body=content,
                                headers={"If-Match": f'"{version}"'})
    assert status == 200, doc
    return headers["ETag"]


def read(server, token, path):
    return call(server, "GET", path, token=token)


def warm(server, token, path, content, etag):
    """Reads until the cache answers, and checks what it answers."""
    before = hits(server)
    for _ in range(3):
        status, headers, body = read(server, token, path)
        assert status == 200 and body == content and headers["ETag"] == etag
    assert hits(server) >= before + 2  # the standing, the workspace and the file each read


def user_with_file(server, content=b"v1"):
    session = register(server)
    ws = create_workspace(server, session["access_token"])
    path = f"/workspaces/{ws['id']}/files/notes.txt"
    status, _, doc = call(server, "PUT", path, token=session["access_token"], body=content,
                          headers={"If-None-Match": "*"})
    assert status == 200, doc
    return session, ws, path


def db_path(server):
    return server.data_dir / "codeyard.db"


def write_db(server, sql, params):
    """Another process writing the database file (an operator's sqlite3, a script)."""
    db = sqlite3.connect(db_path(server), timeout=10)
    try:
        with db:
            assert db.execute(sql, params).rowcount == 1
    finally:
        db.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("read_cache"))
    yield s
    s.stop()


def test_an_overwrite_and_a_delete_are_seen_at_once(server):
    session, _, path = user_with_file(server)
    token = session["access_token"]
    warm(server, token, path, b"v1", '"1"')
    assert put(server, token, path, b"v2", 1) == '"2"'
    status, headers, body = read(server, token, path)
    assert (status, body, headers["ETag"]) == (200, b"v2", '"2"')

    warm(server, token, path, b"v2", '"2"')
    status, _, _ = call(server, "DELETE", path, token=token)
    assert status == 204
    status, _, doc = read(server, token, path)
    assert status == 404 and error_code(doc) == "not_found"


def test_logout_refuses_the_token_at_once(server):
    session, _, path = user_with_file(server)
    warm(server, session["access_token"], path, b"v1", '"1"')
    status, _, _ = call(server, "POST", "/auth/logout",
                        json_body={"refresh_token": session["refresh_token"]})
    assert status == 204
    status, _, doc = read(server, session["access_token"], path)
    assert status == 401 and error_code(doc) == "unauthenticated"


def test_another_process_writing_the_file_is_seen_at_once(server):
    session, ws, path = user_with_file(server)
    token = session["access_token"]
    warm(server, token, path, b"v1", '"1"')
    write_db(server, "DELETE FROM workspace_items WHERE workspace_id = ? AND path = ?",
             (ws["id"], "notes.txt"))
    status, _, doc = read(server, token, path)
    assert status == 404 and error_code(doc) == "not_found"

    status, _, _ = call(server, "PUT", path, token=token, body=b"again",
                        headers={"If-None-Match": "*"})
    assert status == 200
    warm(server, token, path, b"again", '"1"')
    write_db(server, "UPDATE users SET disabled = 1 WHERE id = ?", (session["user"]["id"],))
    status, _, doc = read(server, token, path)
    assert status == 401 and error_code(doc) == "unauthenticated"


def test_a_second_server_on_the_same_file_is_seen_at_once(tmp_path):
    """Two replicas on one SQLite file: each one's writes reach the other's cached reads."""
    env = clean_env(TEST_SECRET)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = Server(tmp_path / "a", env=env)
    try:
        storage = f"sqlite://{db_path(a)}"
        b = Server(tmp_path / "b", "--storage", storage, env=env)
        try:
            session, _, path = user_with_file(a)
            token = session["access_token"]
            warm(a, token, path, b"v1", '"1"')
            warm(b, token, path, b"v1", '"1"')
            assert put(b, token, path, b"from b", 1) == '"2"'
            status, headers, body = read(a, token, path)
            assert (status, body, headers["ETag"]) == (200, b"from b", '"2"')

            warm(a, token, path, b"from b", '"2"')
            assert call(b, "DELETE", path, token=token)[0] == 204
            assert read(a, token, path)[0] == 404

            status, _, _ = call(b, "PUT", path, token=token, body=b"v3",
                                headers={"If-None-Match": "*"})
            assert status == 200
            warm(a, token, path, b"v3", '"1"')
            status, _, _ = call(b, "POST", "/auth/logout",
                                json_body={"refresh_token": session["refresh_token"]})
            assert status == 204
            status, _, doc = read(a, token, path)
            assert status == 401 and error_code(doc) == "unauthenticated"
        finally:
            b.stop()
    finally:
        a.stop()


def postgres_schema_uri():
    """A fresh schema on the test PostgreSQL (CODEYARD_TEST_POSTGRES_URI; required)."""
    server_uri = os.environ.get("CODEYARD_TEST_POSTGRES_URI")
    assert server_uri, "CODEYARD_TEST_POSTGRES_URI must name a PostgreSQL server (scripts/test)"
    schema = "rc_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", server_uri, "-q", "-c", f"CREATE SCHEMA {schema}"], check=True,
                   capture_output=True)
    sep = "&" if "?" in server_uri else "?"
    return f"{server_uri}{sep}options=-csearch_path%3D{schema}"


def test_postgres_has_no_cache_and_sees_every_change(tmp_path):
    s = Server(tmp_path, "--storage", postgres_schema_uri())
    try:
        session, _, path = user_with_file(s)
        token = session["access_token"]
        for _ in range(3):
            assert read(s, token, path)[2] == b"v1"
        assert put(s, token, path, b"v2", 1) == '"2"'
        assert read(s, token, path)[2] == b"v2"
        status, _, _ = call(s, "POST", "/auth/logout",
                            json_body={"refresh_token": session["refresh_token"]})
        assert status == 204
        assert read(s, token, path)[0] == 401
        assert hits(s) == 0
    finally:
        s.stop()
