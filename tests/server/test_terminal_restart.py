"""Shells outlive the server (issue 14): a terminal's shell is a session in the workspace's
pod, so restarting codeyard-server (SIGTERM, or kill -9) with terminals open only drops their
WebSockets. A server started again on the same --data-dir (same storage, same executor
state) reattaches the browser's reconnect to the same shell: exported variables are kept and
the scrollback is replayed.

Needs Pod::OpenSession in the local backend, pods that outlive the server process, and a
server that adopts a running workspace's pod after a restart and does not stop pods on
SIGTERM. Several replicas sharing shells are tests/replicas."""

import asyncio
import re
import signal

import pytest

from api_client import call, create_workspace, register
from terminal_client import Terminal, marker_echo
from test_server import Server


def run(coro):
    return asyncio.run(coro)


def login(server, user):
    status, _, doc = call(server, "POST", "/auth/login", json_body={
        "username": user["user"]["username"], "password": "correct horse"})
    assert status == 200, doc
    return doc["access_token"]


async def open_running(server, ws, token):
    t = await Terminal.open(server, ws, token)
    await t.wait_state("running")
    return t


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "kill-9"])
def test_a_restart_keeps_every_shell_and_its_scrollback(tmp_path, sig):
    first = Server(tmp_path)
    try:
        user = register(first)
        token = user["access_token"]
        workspaces = [create_workspace(first, token, f"restart-{i}")["id"] for i in range(2)]

        async def before():
            open_terminals = []
            for i, ws in enumerate(workspaces):
                t = await open_running(first, ws, token)
                assert t.statuses[-1]["started"] is True
                await t.type(f"export SURVIVOR=value-{i}-$((6*7))\r")
                await marker_echo(t, f"before_restart_{i}")
                open_terminals.append(t)
            # Still open when the server goes: the restart, not the client, ends them.
            loop = asyncio.get_running_loop()
            code, _ = await loop.run_in_executor(None, lambda: first.stop(sig=sig))
            assert code == (0 if sig == signal.SIGTERM else -signal.SIGKILL)
            for t in open_terminals:
                closed, _ = await t.wait_closed()
                assert closed == (1001 if sig == signal.SIGTERM else None)

        run(before())
    finally:
        first.stop()

    again = Server(tmp_path)
    try:
        fresh = login(again, user)

        async def after():
            for i, ws in enumerate(workspaces):
                t = await open_running(again, ws, fresh)
                # The same shell, resumed: not started by this attach.
                assert t.statuses[-1]["started"] is False, t.statuses
                # Its scrollback, replayed from the pod after a terminal reset.
                assert t.output.startswith(b"\x1bc")
                await t.wait_output(f"before_restart_{i}_42")
                start = len(t.output)
                await t.type("echo got=$SURVIVOR\r")
                await t.wait_output(f"got=value-{i}-42", after=start)
                await t.close()

        run(after())
    finally:
        again.stop()


def test_a_terminal_open_across_a_restart_reconnects_to_the_same_shell(tmp_path):
    """The browser's view: one connection closed by the server going away (1001), the next
    one, to the restarted server, finds the shell with its history."""
    first = Server(tmp_path)
    try:
        user = register(first)
        token = user["access_token"]
        ws = create_workspace(first, token, "reconnect")["id"]

        async def before():
            t = await open_running(first, ws, token)
            start = len(t.output)
            await t.type("cd /workspace && mkdir -p deep && cd deep && export KEEP=yes\r")
            await t.type("echo cwd=$(pwd)\r")
            await t.read_until(lambda t: re.search(rb"cwd=\S+\r\n", t.output[start:]))
            first.proc.send_signal(signal.SIGTERM)
            code, _ = await t.wait_closed()
            assert code == 1001

        run(before())
        code, _ = first.stop()
        assert code == 0
    finally:
        first.stop()

    again = Server(tmp_path)
    try:
        async def after():
            t = await open_running(again, ws, login(again, user))
            assert t.statuses[-1]["started"] is False
            await t.wait_output("cwd=/workspace/deep")
            start = len(t.output)
            await t.type("echo keep=$KEEP in=$(pwd)\r")
            await t.wait_output("keep=yes in=/workspace/deep", after=start)
            await t.close()

        run(after())
    finally:
        again.stop()
