"""The events WebSocket against the real server: GET /api/v1/events pushes the changes a
user may read, each one JSON text message (docs/api.md, "Events"). Files written through
the API and by a command in the pod (found by the sync) arrive; another user's never do;
?after= resumes without a gap; bad hellos and tokens are closed, and a logout closes the
channel at once; a deleted workspace's event reaches its owner only. On PostgreSQL: an event made through one replica reaches a page
connected to the other, and a session left idle in a transaction in another database delays
events by events.horizon_wait_ms only."""

import asyncio
import json
import os
import subprocess
import time
import uuid

import pytest
import websockets

from api_client import API, call, create_workspace, register
from terminal_client import Terminal
from test_server import Server, TEST_SECRET, clean_env

DEADLINE_S = 20.0
FAST = ("--set", "events.poll_interval_ms=20", "--set", "terminal.reauth_interval_s=1")


def run(coro):
    return asyncio.run(coro)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("events"), *FAST)
    yield s
    s.stop()


class Events:
    """One /api/v1/events connection: the events received, and the close once closed."""

    def __init__(self, ws):
        self.ws = ws
        self.ready = None
        self.events = []
        self.close_code = None
        self.close_reason = None

    @classmethod
    async def open(cls, server, token, after=None, hello=None):
        query = "" if after is None else f"?after={after}"
        ws = await websockets.connect(f"ws://127.0.0.1:{server.port}{API}/events{query}",
                                      open_timeout=DEADLINE_S, ping_interval=None)
        conn = cls(ws)
        await ws.send(json.dumps({"token": token}) if hello is None else hello)
        return conn

    async def _read(self):
        try:
            message = await asyncio.wait_for(self.ws.recv(), DEADLINE_S)
        except websockets.ConnectionClosed as closed:
            self.close_code, self.close_reason = closed.code, closed.reason
            return False
        assert isinstance(message, str), "events are text messages"
        doc = json.loads(message)
        if doc.get("type") == "ready":
            assert self.ready is None and not self.events, "ready comes first, once"
            self.ready = doc
        else:
            self.events.append(doc)
        return True

    async def until(self, done):
        """Reads until done(self) holds; fails on a close or after the deadline."""
        deadline = asyncio.get_running_loop().time() + DEADLINE_S
        while not done(self):
            assert asyncio.get_running_loop().time() < deadline, self.events
            assert await self._read(), f"closed {self.close_code} {self.close_reason}"

    async def wait_ready(self):
        await self.until(lambda c: c.ready is not None)
        return self

    async def wait_closed(self):
        while await self._read():
            pass
        return self.close_code, self.close_reason

    def of(self, *types):
        return [e for e in self.events if e["type"] in types]

    async def close(self):
        await self.ws.close()


def user_with_workspace(server):
    token = register(server)["access_token"]
    return token, create_workspace(server, token)["id"]


def put(server, token, ws, path, content=b"x"):
    status, _, doc = call(server, "PUT", f"/workspaces/{ws}/files/{path}", token=token, body=content)
    assert status in (200, 201), doc
    return doc


def test_file_changes_through_the_api_arrive_in_order(server):
    token, ws = user_with_workspace(server)

    async def scenario():
        conn = await (await Events.open(server, token)).wait_ready()
        assert set(conn.ready) == {"type", "id"}
        put(server, token, ws, "src/main.py", b"print(1)\n")
        put(server, token, ws, "src/main.py", b"print(2)\n")
        status, _, _ = call(server, "POST", f"/workspaces/{ws}/files:move", token=token,
                            json_body={"from": "src/main.py", "to": "app.py"})
        assert status == 200
        status, _, _ = call(server, "DELETE", f"/workspaces/{ws}/files/app.py", token=token)
        assert status in (200, 204)
        await conn.until(lambda c: len(c.of("file.deleted")) == 1)
        files = conn.of("file.created", "file.changed", "file.moved", "file.deleted")
        assert [e["type"] for e in files] == ["file.created", "file.changed", "file.moved",
                                              "file.deleted"]
        created, changed, moved, deleted = files
        assert set(created) == {"id", "type", "workspace_id", "at", "path", "kind", "size",
                                "version", "mtime"}
        assert (created["workspace_id"], created["path"], created["kind"]) == (ws, "src/main.py",
                                                                              "file")
        assert (changed["path"], changed["version"], changed["size"]) == ("src/main.py", 2, 9)
        assert (moved["from"], moved["to"]) == ("src/main.py", "app.py")
        assert deleted["path"] == "app.py"
        assert len({e["id"] for e in conn.events}) == len(conn.events)
        await conn.close()

    run(scenario())


def test_a_file_made_by_a_command_in_the_pod_arrives_with_the_state(server):
    token, ws = user_with_workspace(server)

    async def scenario():
        conn = await (await Events.open(server, token)).wait_ready()
        status, _, doc = call(server, "POST", f"/workspaces/{ws}/exec", token=token,
                              json_body={"argv": ["sh", "-c", "echo made > made-in-pod.txt"]})
        assert status == 200, doc
        await conn.until(lambda c: any(e.get("path") == "made-in-pod.txt"
                                       for e in c.of("file.created")))
        states = [e["state"] for e in conn.of("workspace.state") if e["workspace_id"] == ws]
        assert states[:2] == ["starting", "running"], states
        await conn.close()

    run(scenario())


def metric(server, name):
    status, _, body = server.request("GET", "/metrics")
    assert status == 200
    for line in body.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not exported")


def test_metrics_count_subscribers_and_deliveries(server):
    token, ws = user_with_workspace(server)

    async def scenario():
        delivered = metric(server, "codeyard_events_delivered_total")
        conn = await (await Events.open(server, token)).wait_ready()
        assert metric(server, "codeyard_events_subscribers") >= 1
        put(server, token, ws, "counted.txt")
        await conn.until(lambda c: len(c.events) == 1)
        assert metric(server, "codeyard_events_delivered_total") >= delivered + 1
        await conn.close()

    run(scenario())


def test_another_users_events_never_arrive(server):
    alice, alice_ws = user_with_workspace(server)
    bob, bob_ws = user_with_workspace(server)

    async def scenario():
        watcher = await (await Events.open(server, bob)).wait_ready()
        for i in range(5):
            put(server, alice, alice_ws, f"secret-{i}.txt")
        put(server, bob, bob_ws, "mine.txt")  # written after all of alice's
        await watcher.until(lambda c: len(c.events) >= 1)
        assert [(e["workspace_id"], e["path"]) for e in watcher.events] == [(bob_ws, "mine.txt")]
        await watcher.close()

    run(scenario())


def test_deleting_a_workspace_reaches_its_owner_and_nobody_else(server):
    token, ws = user_with_workspace(server)
    name = call(server, "GET", f"/workspaces/{ws}", token=token)[2]["name"]
    other, _ = user_with_workspace(server)

    async def scenario():
        owner = await (await Events.open(server, token)).wait_ready()
        watcher = await (await Events.open(server, other)).wait_ready()
        put(server, token, ws, "doomed.txt")
        status, _, doc = call(server, "DELETE", f"/workspaces/{ws}", token=token)
        assert status in (200, 204), doc
        # The owner can no longer read the workspace, yet gets the event that says so.
        assert call(server, "GET", f"/workspaces/{ws}", token=token)[0] == 404
        await owner.until(lambda c: len(c.of("workspace.deleted")) == 1)
        deleted = owner.of("workspace.deleted")[0]
        assert set(deleted) == {"id", "type", "workspace_id", "at", "name"}
        assert (deleted["workspace_id"], deleted["name"]) == (ws, name)
        assert owner.events[-1] == deleted, "the deletion is the workspace's last event"
        # Written after the deletion, so had the deletion reached the other user, it would
        # be in front of this one.
        other_ws = create_workspace(server, other)["id"]
        put(server, other, other_ws, "mine.txt")
        await watcher.until(lambda c: len(c.of("file.created")) == 1)
        assert watcher.of("workspace.deleted") == []
        await owner.close()
        await watcher.close()

    run(scenario())


def test_after_resumes_without_a_gap_or_a_duplicate(server):
    token, ws = user_with_workspace(server)

    async def scenario():
        first = await (await Events.open(server, token)).wait_ready()
        put(server, token, ws, "one.txt")
        await first.until(lambda c: len(c.events) == 1)
        last = first.events[-1]["id"]
        await first.close()

        put(server, token, ws, "two.txt")  # while disconnected
        put(server, token, ws, "three.txt")
        second = await (await Events.open(server, token, after=last)).wait_ready()
        assert second.ready["id"] == last
        await second.until(lambda c: len(c.events) == 2)
        put(server, token, ws, "four.txt")  # live again
        await second.until(lambda c: len(c.events) == 3)
        assert [e["path"] for e in second.events] == ["two.txt", "three.txt", "four.txt"]
        await second.close()

        # Nothing received yet: the ready id is where to resume from.
        third = await (await Events.open(server, token)).wait_ready()
        resume = third.ready["id"]
        await third.close()
        put(server, token, ws, "five.txt")
        fourth = await (await Events.open(server, token, after=resume)).wait_ready()
        await fourth.until(lambda c: len(c.events) == 1)
        assert fourth.events[0]["path"] == "five.txt"
        await fourth.close()

    run(scenario())


@pytest.mark.parametrize("hello,code", [
    (json.dumps({"token": "not-a-token"}), 4001),
    (json.dumps({"tok": "x"}), 4001),
    ("hello", 4001),
])
def test_a_bad_hello_is_closed_unauthenticated(server, hello, code):
    async def scenario():
        conn = await Events.open(server, None, hello=hello)
        closed = await conn.wait_closed()
        assert closed[0] == code, closed
        assert conn.ready is None and conn.events == []

    run(scenario())


def test_a_bad_or_forgotten_after_is_closed_with_a_reason(server):
    token, _ = user_with_workspace(server)

    async def scenario():
        bad = await Events.open(server, token, after="abc")
        assert (await bad.wait_closed())[0] == 1008
        gone = await Events.open(server, token, after=10**15)
        code, reason = await gone.wait_closed()
        assert code == 4010 and "not kept" in reason, (code, reason)

    run(scenario())


def logout_closes_the_channel(server):
    """A user's channel, then a logout: the channel closes with 4001 within DEADLINE_S."""
    session = register(server)
    token = session["access_token"]

    async def scenario():
        conn = await (await Events.open(server, token)).wait_ready()
        status, _, _ = call(server, "POST", "/auth/logout", token=token,
                            json_body={"refresh_token": session["refresh_token"]})
        assert status in (200, 204)
        code, reason = await conn.wait_closed()
        assert code == 4001, (code, reason)

    run(scenario())


def test_a_logout_closes_the_channel_on_the_next_token_check(server):
    logout_closes_the_channel(server)


def test_a_logout_closes_the_channel_at_once_not_at_the_token_check(tmp_path):
    """meter20: the user.logins_ended event re-checks that user's channels at once, so a
    logout closes them although the periodic token check is an hour away."""
    slow = Server(tmp_path, "--set", "events.poll_interval_ms=20",
                  "--set", "terminal.reauth_interval_s=3600")
    try:
        logout_closes_the_channel(slow)  # within DEADLINE_S, far below an hour
    finally:
        slow.stop()


def test_after_resumes_across_a_server_restart(tmp_path):
    first = Server(tmp_path, *FAST)
    try:
        token, ws = user_with_workspace(first)

        async def before_restart():
            conn = await (await Events.open(first, token)).wait_ready()
            put(first, token, ws, "before.txt")
            await conn.until(lambda c: len(c.events) == 1)
            stopping = asyncio.create_task(conn.wait_closed())
            await asyncio.to_thread(first.stop)
            assert (await stopping)[0] == 1001
            return conn.events[-1]["id"]

        last = run(before_restart())
    finally:
        first.stop()
    second = Server(tmp_path, *FAST)  # the same data directory: the same database
    try:
        put(second, token, ws, "while-away.txt")

        async def after_restart():
            conn = await (await Events.open(second, token, after=last)).wait_ready()
            await conn.until(lambda c: len(c.events) == 1)
            assert [e["path"] for e in conn.events] == ["while-away.txt"]
            await conn.close()

        run(after_restart())
    finally:
        second.stop()


# ---- two replicas on one PostgreSQL ------------------------------------------------------

def postgres_schema_uri():
    """A fresh schema on the test PostgreSQL (CODEYARD_TEST_POSTGRES_URI; required)."""
    server_uri = os.environ.get("CODEYARD_TEST_POSTGRES_URI")
    assert server_uri, "CODEYARD_TEST_POSTGRES_URI must name a PostgreSQL server (scripts/test)"
    schema = "ev_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", server_uri, "-q", "-c", f"CREATE SCHEMA {schema}"], check=True,
                   capture_output=True)
    sep = "&" if "?" in server_uri else "?"
    return f"{server_uri}{sep}options=-csearch_path%3D{schema}"


def test_an_event_made_on_replica_a_reaches_a_page_on_replica_b(tmp_path):
    storage = postgres_schema_uri()
    env = clean_env(TEST_SECRET)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = Server(tmp_path / "a", "--storage", storage, *FAST, env=env)
    try:
        b = Server(tmp_path / "b", "--storage", storage, *FAST, env=env)
        try:
            token, ws = user_with_workspace(a)  # the token is good on both: one secret

            async def scenario():
                on_b = await (await Events.open(b, token)).wait_ready()
                put(a, token, ws, "from-a.txt")
                await on_b.until(lambda c: len(c.of("file.created")) == 1)
                assert on_b.of("file.created")[0]["path"] == "from-a.txt"
                # A file written from a terminal on A: A's sync stores it, B's page hears.
                term = await Terminal.open(a, ws, token)
                await term.wait_state("running")
                await term.type("echo hi > from-terminal-on-a.txt\r")
                await on_b.until(lambda c: any(e.get("path") == "from-terminal-on-a.txt"
                                               for e in c.of("file.created")))
                await term.close()
                states = [e["state"] for e in on_b.of("workspace.state")]
                assert "running" in states, states
                await on_b.close()

            run(scenario())
        finally:
            b.stop()
    finally:
        a.stop()


def other_database(server_uri):
    """Another database of the test server, made once (never template1: a session left there
    would make every CREATE DATABASE on the server fail, other suites' included)."""
    subprocess.run(["psql", server_uri, "-q", "-c", "CREATE DATABASE codeyard_elsewhere"],
                   capture_output=True)  # fails harmlessly when it exists
    base, _, query = server_uri.partition("?")
    return base.rsplit("/", 1)[0] + "/codeyard_elsewhere" + (f"?{query}" if query else "")


def test_a_transaction_left_open_elsewhere_on_the_server_delays_events_by_the_wait_only(tmp_path):
    server_uri = os.environ.get("CODEYARD_TEST_POSTGRES_URI")
    storage = postgres_schema_uri()
    s = Server(tmp_path, "--storage", storage, *FAST, "--set", "events.horizon_wait_ms=300")
    # Another database, another application: a session that wrote and went idle in its
    # transaction (psql waits on stdin; closing it ends the session at once).
    idle = subprocess.Popen(["psql", other_database(server_uri), "-q"], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    idle.stdin.write("BEGIN;\nSELECT pg_current_xact_id();\n")
    idle.stdin.flush()
    try:
        token, ws = user_with_workspace(s)

        def idle_holds_an_id():
            out = subprocess.run(["psql", server_uri, "-Atc",
                                  "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                  "'codeyard_elsewhere' AND backend_xid IS NOT NULL"],
                                 check=True, capture_output=True, text=True).stdout
            return int(out.strip()) > 0

        deadline = time.monotonic() + DEADLINE_S
        while not idle_holds_an_id():
            assert time.monotonic() < deadline, "the idle session never started"

        async def scenario():
            conn = await (await Events.open(s, token)).wait_ready()
            for name in ("one.txt", "two.txt", "three.txt"):
                put(s, token, ws, name)
            # Without the fallback these wait for the idle session, past the deadline.
            await conn.until(lambda c: len(c.of("file.created")) == 3)
            assert [e["path"] for e in conn.of("file.created")] == ["one.txt", "two.txt",
                                                                    "three.txt"]
            assert len({e["id"] for e in conn.events}) == len(conn.events)
            await conn.close()

        run(scenario())
        assert idle_holds_an_id(), "the idle session ended early: the test proved nothing"
        assert metric(s, "codeyard_events_horizon_fallbacks_total") >= 3
    finally:
        idle.stdin.close()
        idle.wait(timeout=DEADLINE_S)
        s.stop()


def test_a_plain_get_is_told_to_upgrade(server):
    status, headers, doc = call(server, "GET", "/events")
    assert status == 426 and headers["Upgrade"] == "websocket"
    assert doc["error"]["code"] == "failed_precondition"
