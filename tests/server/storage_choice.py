"""The storage a server suite runs on. By default a server keeps SQLite in its data directory.
With CODEYARD_SERVER_TEST_STORAGE=postgres (the "server: pytest on postgres test_*.py" ctest entries,
tests/server/CMakeLists.txt), every server these helpers start gets a fresh database on the
PostgreSQL server named by CODEYARD_TEST_POSTGRES_URI (scripts/test starts one), so the suites
that use them (test_jobs, test_submissions, test_problems, test_problems_admin) run on both
backends. A missing URI fails the variant, never skips it."""

import os
import re
import sqlite3
import subprocess
import uuid
from urllib.parse import urlsplit, urlunsplit

from test_server import Server


def on_postgres():
    return os.environ.get("CODEYARD_SERVER_TEST_STORAGE", "") == "postgres"


def fresh_storage_uri():
    """None for SQLite in the data directory; else a fresh PostgreSQL database's URI."""
    if not on_postgres():
        return None
    server_uri = os.environ.get("CODEYARD_TEST_POSTGRES_URI", "")
    assert server_uri, "CODEYARD_TEST_POSTGRES_URI must name a PostgreSQL server (scripts/test)"
    name = "srv_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", server_uri, "-q", "-c", f"CREATE DATABASE {name}"], check=True,
                   capture_output=True)
    return urlunsplit(urlsplit(server_uri)._replace(path="/" + name))


def storage_args(storage_uri):
    """Arguments of codeyard-server and `codeyard problems` naming the storage."""
    return ["--storage", storage_uri] if storage_uri else []


def start_server(tmp_path, *args, storage_uri=None, **kwargs):
    """A Server on `storage_uri` (or a fresh one of the chosen backend); .storage_uri says which
    (None: SQLite in its data directory)."""
    uri = storage_uri if storage_uri is not None else fresh_storage_uri()
    server = Server(tmp_path, *storage_args(uri), *args, **kwargs)
    server.storage_uri = uri
    return server


def set_role(server, user_id, role):
    """Sets a user's role in the server's storage, as an operator would."""
    assert re.fullmatch(r"[0-9a-f-]{36}", user_id) and role in ("admin", "user"), user_id
    if getattr(server, "storage_uri", None):
        subprocess.run(["psql", server.storage_uri, "-q", "-c",
                        f"UPDATE users SET role = '{role}' WHERE id = '{user_id}'"],
                       check=True, capture_output=True)
        return
    db = sqlite3.connect(server.data_dir / "codeyard.db", timeout=10)
    with db:
        db.execute("UPDATE users SET role = ? WHERE id = ?", (role, user_id))
    db.close()


def password_hash(server, user_id):
    """The stored argon2id hash of a user's password (PHC string), from the server's storage."""
    assert re.fullmatch(r"[0-9a-f-]{36}", user_id), user_id
    if getattr(server, "storage_uri", None):
        out = subprocess.run(["psql", server.storage_uri, "-qAt", "-c",
                              f"SELECT password_hash FROM users WHERE id = '{user_id}'"],
                             check=True, capture_output=True, text=True)
        return out.stdout.strip()
    db = sqlite3.connect(server.data_dir / "codeyard.db", timeout=10)
    try:
        return db.execute("SELECT password_hash FROM users WHERE id = ?",
                          (user_id,)).fetchone()[0]
    finally:
        db.close()
