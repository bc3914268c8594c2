"""Several terminals per workspace (the IDE's terminal tabs): each hello's "terminal" number is
its own shell, a pod session of its own, kept across reconnects like the first; a hang-up
message ends one without touching the others; numbers past terminal.max_per_workspace are
refused. docs/api.md, "Terminal WebSocket"."""

import asyncio
import re

from api_client import create_workspace, register
from terminal_client import Terminal


def run(coro):
    return asyncio.run(coro)


async def open_terminal(server, ws, token, n):
    t = await Terminal.open(server, ws, token, hello=False)
    await t.send_json({"token": token, "cols": 80, "rows": 24, "terminal": n})
    return t


async def pid_of(t):
    start = len(t.output)
    await t.type("echo pid=$$\r")
    await t.read_until(lambda t: re.search(rb"pid=(\d+)\r\n", t.output[start:]))
    return re.search(rb"pid=(\d+)\r\n", t.output[start:]).group(1)


def test_each_terminal_is_its_own_shell_and_survives_a_reconnect(server):
    token = register(server)["access_token"]
    ws = create_workspace(server, token)["id"]

    async def scenario():
        first = await open_terminal(server, ws, token, 1)
        second = await open_terminal(server, ws, token, 2)
        await first.wait_state("running")
        await second.wait_state("running")
        assert first.statuses[-1]["started"] and second.statuses[-1]["started"]
        pid1, pid2 = await pid_of(first), await pid_of(second)
        assert pid1 != pid2
        await second.type("export ONLY_HERE=two; echo set_$ONLY_HERE\r")
        # The export runs before second closes (a line typed right before a close reaches the
        # shell too, test_terminal.py; here the reattach below would race it).
        await second.wait_output("set_two")
        start = len(first.output)
        await first.type("echo [$ONLY_HERE]\r")
        await first.wait_output("[]", after=start)
        await second.close()

        again = await open_terminal(server, ws, token, 2)
        await again.wait_state("running")
        assert again.statuses[-1]["started"] is False
        assert await pid_of(again) == pid2
        start = len(again.output)
        await again.type("echo [$ONLY_HERE]\r")
        await again.wait_output("[two]", after=start)

        # Hanging up ends that shell only: its viewers see it exit, the first goes on.
        await again.send(b"3")
        code, _ = await again.wait_closed()
        assert code == 1000
        assert await pid_of(first) == pid1
        fresh = await open_terminal(server, ws, token, 2)
        await fresh.wait_state("running")
        assert fresh.statuses[-1]["started"] is True
        await fresh.close()
        await first.close()

    run(scenario())


def test_a_terminal_number_past_the_cap_is_refused(server):
    token = register(server)["access_token"]
    ws = create_workspace(server, token)["id"]

    async def scenario():
        t = await open_terminal(server, ws, token, 5)  # terminal.max_per_workspace is 4
        code, reason = await t.wait_closed()
        assert code == 1008 and "terminal.max_per_workspace" in reason
        bad = await open_terminal(server, ws, token, "2")
        code, reason = await bad.wait_closed()
        assert code == 4001 and "terminal must be an integer" in reason

    run(scenario())
