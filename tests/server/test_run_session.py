"""The IDE's Run over the real server: /api/v1/workspaces/{id}/run, a WebSocket that runs one
file of the workspace in its pod on a terminal (docs/api.md, "Run WebSocket"). The library's
rules are tested in tests/services/run_session_test.cpp; here the transport: the hello, input
and output, Stop, the verdict and the close, refusals, the plain GET, and a reconnect after
the socket dropped."""

import asyncio
import time
import uuid
from urllib.parse import quote

import pytest
import websockets

from api_client import API, call, create_workspace, register
from terminal_client import DEADLINE_S, Terminal


def run(coro):
    return asyncio.run(coro)


class RunClient(Terminal):
    @classmethod
    async def start(cls, server, workspace_id, token, path, cols=80, rows=24, run_id=None):
        ws = await websockets.connect(
            f"ws://127.0.0.1:{server.port}{API}/workspaces/{workspace_id}/run",
            open_timeout=DEADLINE_S, max_size=None, ping_interval=None)
        client = cls(ws)
        hello = {"token": token, "path": path, "cols": cols, "rows": rows}
        if run_id is not None:
            hello["run_id"] = run_id
        await client.send_json(hello)
        return client

    @classmethod
    async def reconnect(cls, server, workspace_id, token, run_id, seen=0):
        ws = await websockets.connect(
            f"ws://127.0.0.1:{server.port}{API}/workspaces/{workspace_id}/run",
            open_timeout=DEADLINE_S, max_size=None, ping_interval=None)
        client = cls(ws)
        await client.send_json({"token": token, "run_id": run_id, "seen": seen})
        return client

    async def stop(self):
        await self.send(b"3")

    def verdict(self):
        return next(s for s in reversed(self.statuses) if s.get("state") == "exited")


def put(server, token, ws, path, text):
    status, _, _ = call(server, "PUT", f"/workspaces/{ws}/files/{quote(path)}", token=token,
                        body=text.encode())
    assert status in (200, 201)


@pytest.fixture(scope="module")
def owner(server):
    token = register(server)["access_token"]
    return token, create_workspace(server, token, "runs")["id"]


def test_a_program_reads_two_lines_and_prints_their_sum(server, owner):
    token, ws = owner
    put(server, token, ws, "sum.py", "a = int(input())\nb = int(input())\nprint('sum', a + b)\n")

    async def scenario():
        r = await RunClient.start(server, ws, token, "sum.py")
        await r.wait_state("running")
        assert r.statuses[0]["argv"] == ["python3", "sum.py"]
        assert r.statuses[0]["command"] == "python3 sum.py"
        await r.type("20\r")
        await r.type("22\r")
        await r.wait_output("sum 42")
        code, _ = await r.wait_closed()
        assert code == 1000
        v = r.verdict()
        assert v["verdict"] == "ok" and v["exit_code"] == 0
        assert {"cpu_ms", "wall_ms", "memory_kb"} <= v.keys()

    run(scenario())


def test_stop_ends_an_endless_loop_at_once(server, owner):
    token, ws = owner
    put(server, token, ws, "loop.py", "while True: print(1)\n")

    async def scenario():
        r = await RunClient.start(server, ws, token, "loop.py")
        await r.wait_output("1\r\n1\r\n1\r\n")
        stopped = time.monotonic()
        await r.stop()
        code, _ = await r.wait_closed()
        assert code == 1000
        v = r.verdict()
        assert v["verdict"] == "stopped" and v["reason"] == "stop" and v["signal"] == 9
        # Generous for a loaded CI machine; the browser test asks for a second.
        assert time.monotonic() - stopped < 10

    run(scenario())


def test_stop_during_a_flood_reaches_a_client_that_acks_every_message(server, owner):
    """The page acknowledges each output message as it is drawn, and goes on acknowledging
    what still arrives after its Stop: the verdict and the close 1000 must reach it, not a
    connection reset (which the page would take for a drop, and reconnect to a run gone)."""
    token, ws = owner
    put(server, token, ws, "loop.py", "while True: print(1)\n")

    async def once():
        r = await RunClient.start(server, ws, token, "loop.py")
        await r.send(b"4", b"0")
        stopped = False
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DEADLINE_S
        while True:
            assert loop.time() < deadline, "no close within the deadline"
            try:
                message = await asyncio.wait_for(r.ws.recv(), deadline - loop.time())
            except websockets.ConnectionClosed as closed:
                r._closed(closed)
                break
            r._take(message)
            if message[:1] == b"0":
                try:
                    await r.send(b"4", str(len(message) - 1).encode())
                except websockets.ConnectionClosed:
                    pass  # closing: what was received before the close is still read
            if not stopped and r.output.count(b"1\r\n") >= 200:
                await r.stop()
                stopped = True
        assert r.close_code == 1000, (r.close_code, r.close_reason, r.statuses[-1:])
        v = r.verdict()
        assert v["verdict"] == "stopped" and v["reason"] == "stop"

    async def scenario():
        for _ in range(10):
            await once()

    run(scenario())


def test_a_compile_error_is_labelled_with_the_compilers_output(server, owner):
    token, ws = owner
    put(server, token, ws, "my prog.c", "int main(void) {\n  return x;\n}\n")

    async def scenario():
        r = await RunClient.start(server, ws, token, "my prog.c")
        code, _ = await r.wait_closed()
        assert code == 1000
        compiling = r.statuses[0]
        assert compiling["state"] == "compiling"
        assert compiling["argv"][0] == "gcc" and "my prog.c" in compiling["argv"]
        assert "'my prog.c'" in compiling["command"]
        assert not compiling["command"].startswith("sh -c")
        v = r.verdict()
        assert v["phase"] == "compile" and v["verdict"] == "compile_error"
        assert b"my prog.c:2:" in r.output

    run(scenario())


def test_refusals_close_with_clear_codes(server, owner):
    token, ws = owner
    other = register(server)["access_token"]
    put(server, token, ws, "notes.txt", "hi\n")

    async def refused(workspace, tok, path):
        r = await RunClient.start(server, workspace, tok, path)
        code, reason = await r.wait_closed()
        return code, reason

    assert run(refused(ws, other, "sum.py"))[0] == 4004
    assert run(refused(ws, "not a token", "sum.py"))[0] == 4001
    code, reason = run(refused(ws, token, "notes.txt"))
    assert code == 1007 and "no runtime" in reason
    assert run(refused(ws, token, "../etc/passwd"))[0] == 1007


def test_a_plain_get_of_the_run_path_is_426(server, owner):
    token, ws = owner
    status, headers, doc = call(server, "GET", f"/workspaces/{ws}/run", token=token)
    assert status == 426
    assert headers.get("Upgrade") == "websocket"
    assert "WebSocket" in doc["error"]["message"]


def test_a_run_survives_a_dropped_socket_and_a_reconnect_gets_what_it_missed(server, owner):
    token, ws = owner
    put(server, token, ws, "count.py",
        "import time\nfor i in range(20):\n    print('n', i, flush=True)\n    time.sleep(0.05)\n")

    async def scenario():
        r = await RunClient.start(server, ws, token, "count.py")
        await r.wait_output("n 2\r\n")
        run_id = r.statuses[0]["run_id"]
        r.ws.transport.abort()  # no close handshake: a dropped connection, as a reload's
        # Someone else's token does not take it over.
        other = register(server)["access_token"]
        stranger = await RunClient.reconnect(server, ws, other, run_id)
        code, _ = await stranger.wait_closed()
        assert code == 4004
        back = await RunClient.reconnect(server, ws, token, run_id)
        await back.wait_output("n 19\r\n")
        code, _ = await back.wait_closed()
        assert code == 1000
        assert back.statuses[0]["run_id"] == run_id
        assert back.verdict()["verdict"] == "ok"
        text = back.output.decode()
        assert all(text.count(f"n {i}\r\n") == 1 for i in range(20))

    run(scenario())


def test_a_run_named_by_the_client_is_found_again_after_a_drop_right_after_the_hello(server, owner):
    """The page chooses the run's id: a drop before anything came back still leads to the run."""
    token, ws = owner
    put(server, token, ws, "later.py",
        "import time\nfor i in range(10):\n    print('m', i, flush=True)\n    time.sleep(0.05)\n")

    async def scenario():
        run_id = str(uuid.uuid4())
        r = await RunClient.start(server, ws, token, "later.py", run_id=run_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DEADLINE_S
        while r.ws.transport.get_write_buffer_size() > 0:  # the hello is on the wire
            assert loop.time() < deadline
            await asyncio.sleep(0.001)
        r.ws.transport.abort()  # dropped right after the hello, nothing read
        while True:  # until the server has the hello (a 4004 before it does)
            back = await RunClient.reconnect(server, ws, token, run_id)
            try:
                await back.wait_output("m 0\r\n")
                break
            except AssertionError:
                assert back.close_code == 4004, (back.close_code, back.close_reason)
                assert loop.time() < deadline, "the run never appeared"
        # While the run is known, its id is its own: a new run naming it is refused.
        dup = await RunClient.start(server, ws, token, "later.py", run_id=run_id)
        code, _ = await dup.wait_closed()
        assert code == 1008
        await back.wait_output("m 9\r\n")
        code, _ = await back.wait_closed()
        assert code == 1000
        assert back.statuses[0]["run_id"] == run_id
        assert back.verdict()["verdict"] == "ok"
        assert all(back.output.decode().count(f"m {i}\r\n") == 1 for i in range(10))

    run(scenario())
