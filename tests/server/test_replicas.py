"""Two codeyard-server replicas on one PostgreSQL database and one executor state (a shared
--data directory), with distinct server.replica_id: a workspace opened through one is served
through the other, the running limits count both, and after kill -9 of one the other serves
its workspaces within the lease time with no stored file lost. Needs
CODEYARD_TEST_POSTGRES_URI (./scripts/test starts a server); fails, never skips, without it."""

import os
import signal
import subprocess
import time
import urllib.parse
import uuid

import pytest

from api_client import call, create_workspace, error_code, register
from test_server import Server

PSQL = "/usr/lib/postgresql/15/bin/psql"


@pytest.fixture
def database():
    """A fresh schema on the test PostgreSQL server; yields the URI that selects it."""
    base = os.environ.get("CODEYARD_TEST_POSTGRES_URI", "")
    assert base, "CODEYARD_TEST_POSTGRES_URI is not set: the replica tests need PostgreSQL"
    schema = "r_" + uuid.uuid4().hex[:16]
    subprocess.run([PSQL, base, "-qc", f"CREATE SCHEMA {schema}"], check=True,
                   capture_output=True)
    sep = "&" if "?" in base else "?"
    yield base + sep + "options=" + urllib.parse.quote(f"-csearch_path={schema}")
    subprocess.run([PSQL, base, "-qc", f"DROP SCHEMA {schema} CASCADE"], capture_output=True)


def replica(tmp_path, name, database, *extra):
    """One replica: its own port and log, the shared data directory and database."""
    own = tmp_path / name
    own.mkdir()
    return Server(own, "--data-dir", str(tmp_path / "shared"), "--storage", database,
                  "--set", f"server.replica_id={name}", *extra, data_flag=False)


def sh(server, token, wid, script):
    status, _, run = call(server, "POST", f"/workspaces/{wid}/exec", token=token,
                          json_body={"argv": ["sh", "-c", script]})
    return status, run


def test_a_workspace_opened_through_one_replica_is_served_through_the_other(tmp_path, database):
    a = replica(tmp_path, "a", database)
    b = replica(tmp_path, "b", database)
    try:
        token = register(a)["access_token"]
        wid = create_workspace(a, token)["id"]
        status, run = sh(a, token, wid, "echo from-a > a.txt; echo ok")
        assert status == 200 and run["stdout"] == "ok\n", run
        status, run = sh(b, token, wid, "cat a.txt; echo from-b > b.txt")
        assert status == 200 and run["stdout"] == "from-a\n", run
        status, _, body = call(a, "GET", f"/workspaces/{wid}/files/b.txt", token=token)
        assert status == 200 and body == b"from-b\n"
        status, _, doc = call(b, "GET", f"/workspaces/{wid}", token=token)
        assert status == 200 and doc["state"] == "running", doc
    finally:
        a.stop()
        b.stop()


def test_running_limits_hold_across_replicas(tmp_path, database):
    limit = ("--set", "workspace.max_running_per_user=1")
    a = replica(tmp_path, "a", database, *limit)
    b = replica(tmp_path, "b", database, *limit)
    try:
        token = register(a)["access_token"]
        first = create_workspace(a, token)["id"]
        second = create_workspace(a, token)["id"]
        status, run = sh(a, token, first, "true")
        assert status == 200, run
        status, run = sh(b, token, second, "true")
        assert status == 429 and error_code(run) == "resource_exhausted", run
        assert "workspace.max_running_per_user" in run["error"]["message"]
        status, _, doc = call(b, "POST", f"/workspaces/{first}/stop", token=token)
        assert status in (200, 204), doc
        status, run = sh(a, token, second, "true")
        assert status == 200, run
    finally:
        a.stop()
        b.stop()


def test_after_kill_9_of_a_replica_the_other_serves_its_workspaces(tmp_path, database):
    lease = ("--set", "workspace.lease_s=2", "--set", "workspace.lease_renew_s=1")
    a = replica(tmp_path, "a", database, *lease)
    b = replica(tmp_path, "b", database, *lease)
    try:
        token = register(a)["access_token"]
        wid = create_workspace(a, token)["id"]
        status, run = sh(a, token, wid, "echo kept > kept.txt")
        assert status == 200, run
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait()
        started = time.monotonic()
        status, run = sh(b, token, wid, "cat kept.txt")
        took = time.monotonic() - started
        assert status == 200 and run["stdout"] == "kept\n", run
        assert took < 2 + 10, f"takeover took {took:.1f}s"  # the lease, plus a pod start
        status, _, body = call(b, "GET", f"/workspaces/{wid}/files/kept.txt", token=token)
        assert status == 200 and body == b"kept\n"
    finally:
        a.stop()
        b.stop()
