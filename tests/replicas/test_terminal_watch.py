"""Watching a shared terminal across replicas (issue 15): two codeyard-server replicas on one
PostgreSQL and one executor state. The author's terminal is served by replica a; the
reviewer's WebSocket lands on replica b, which attaches read-only to the shell session in the
workspace's pod without opening the workspace or touching its lease. The reviewer sees the
author's output live, their input and resizes reach no shell, unsharing through a closes the
watcher on b (4003, at b's next re-check), and a watcher never starts a stopped workspace nor
a shell in a running one."""

import asyncio
import subprocess

from api_client import call
from terminal_client import Terminal, marker_echo
from test_terminal_share import reviewed_workspace, share

# The re-check that closes watchers runs every second on each replica.
SETTINGS = ("--set", "terminal.reauth_interval_s=1", "--set", "auth.registrations_per_address=0")


def shared_under_review(a, b):
    """An author (on a) whose workspace is in_review, claimed by a reviewer through b, and
    its terminal shared."""
    author, reviewer, ws, _ = reviewed_workspace(a, reviewer_server=b)
    set_shared(a, author, ws, True)
    return author, reviewer, ws


def set_shared(server, user, ws, shared):
    status, _, doc = share(server, user, ws, shared)
    assert status == 200 and doc["terminal_shared"] is shared, doc


def lease_of(cluster, ws):
    """(replica, state) of the workspace's pods row, or None."""
    out = subprocess.run(
        ["psql", cluster.storage, "-At", "-c",
         f"SELECT replica || '|' || state FROM pods WHERE workspace_id = '{ws}'"],
        check=True, capture_output=True, text=True).stdout.strip()
    return tuple(out.split("|")) if out else None


def state_of(server, user, ws):
    status, _, doc = call(server, "GET", f"/workspaces/{ws}", token=user.token)
    assert status == 200, doc
    return doc["state"]


def test_the_reviewer_watches_through_b_the_shell_served_by_a(cluster):
    a, b = cluster.start("a", *SETTINGS), cluster.start("b", *SETTINGS)
    author, reviewer, ws = shared_under_review(a, b)

    async def scenario():
        mine = await Terminal.open(a, ws, author.token)
        await mine.wait_state("running")
        assert mine.statuses[-1]["started"] is True
        await marker_echo(mine, "before_watch")
        assert lease_of(cluster, ws) == ("a", "running")

        # Asks to write; a watcher is read-only whatever it asks.
        watcher = await Terminal.open(b, ws, reviewer.token, readonly=False)
        await watcher.wait_state("running")
        assert watcher.statuses[-1]["readonly"] is True, watcher.statuses
        assert watcher.statuses[-1]["started"] is False
        await watcher.wait_output("before_watch_42")  # the pod's scrollback
        start = len(watcher.output)
        await marker_echo(mine, "live_from_a")
        await watcher.wait_output("live_from_a_42", after=start)

        # The reviewer's input and resize reach no shell.
        await watcher.type("echo from_reviewer_$((5*5))\r")
        await watcher.resize(33, 7)
        await marker_echo(mine, "after_reviewer")
        size_at = len(mine.output)
        await mine.type("stty size\r")
        await mine.wait_output("24 80", after=size_at)  # the author's size, not 7 33
        assert b"from_reviewer" not in mine.output
        assert b"from_reviewer_25" not in watcher.output
        # Watching took nothing from a: its lease, its replica.
        assert lease_of(cluster, ws) == ("a", "running")

        # Unsharing through a closes the watcher on b.
        set_shared(a, author, ws, False)
        code, reason = await watcher.wait_closed()
        assert code == 4003, (code, reason)
        await marker_echo(mine, "still_mine")
        await mine.close()

    asyncio.run(scenario())
    assert len(cluster.pod_dirs()) == 1


def test_a_watcher_never_starts_a_workspace_or_a_shell(cluster):
    a, b = cluster.start("a", *SETTINGS), cluster.start("b", *SETTINGS)
    author, reviewer, ws = shared_under_review(a, b)

    async def refused():
        t = await Terminal.open(b, ws, reviewer.token)
        code, reason = await t.wait_closed()
        assert code == 4003 and "not running" in reason, (code, reason)

    # Stopped: nothing to watch, and nothing starts.
    asyncio.run(refused())
    assert state_of(a, author, ws) == "stopped"
    assert lease_of(cluster, ws) is None  # the workspace never had a pod
    assert cluster.pod_dirs() == []

    # Running, but the author has no shell open: the watcher starts none.
    status, _, doc = call(a, "POST", f"/workspaces/{ws}/start", token=author.token)
    assert status == 200, doc
    asyncio.run(refused())
    assert lease_of(cluster, ws) == ("a", "running")

    async def author_opens():
        mine = await Terminal.open(a, ws, author.token)
        await mine.wait_state("running")
        assert mine.statuses[-1]["started"] is True  # the first shell is the author's
        await mine.close()

    asyncio.run(author_opens())
