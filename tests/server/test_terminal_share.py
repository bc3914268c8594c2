"""Shared terminals against the real server (issue 15, docs/api.md "Terminal WebSocket"): the
author shares a workspace's terminal with PUT /workspaces/{id}/terminal/share, the assigned
reviewer of its in_review review watches it read-only over the terminal WebSocket and sees
what the author's shell prints, the reviewer's input reaches no shell, turning sharing off
closes the watcher with 4003, and everyone else gets 404 / 4004."""

import asyncio

import pytest

from api_client import call, create_workspace, error_code, register
from terminal_client import Terminal, marker_echo
from test_server import Server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # A re-check every second: the unshare test waits on its close, with a deadline.
    s = Server(tmp_path_factory.mktemp("terminal_share"), "--set",
               "auth.registrations_per_address=0", "--set", "terminal.reauth_interval_s=1")
    yield s
    s.stop()


def run(coro):
    return asyncio.run(coro)


class User:
    def __init__(self, server, level=0):
        doc = register(server)
        self.token = doc["access_token"]
        self.id = doc["user"]["id"]
        if level:
            status, _, body = call(server, "PATCH", "/me", token=self.token,
                                   json_body={"reviewer_level": level})
            assert status == 200, body


def share(server, user, ws, shared):
    return call(server, "PUT", f"/workspaces/{ws}/terminal/share", token=user.token,
                json_body={"shared": shared})


def reviewed_workspace(server, claim=True, reviewer_server=None):
    """An author's workspace under review, claimed by a reviewer (in_review) unless not. The
    reviewer registers and claims through `reviewer_server` (another replica) when given."""
    reviewer_server = reviewer_server or server
    author, reviewer = User(server), User(reviewer_server, level=1)
    ws = create_workspace(server, author.token)["id"]
    status, _, review = call(server, "POST", "/reviews", token=author.token,
                             json_body={"workspace_id": ws, "title": "t", "description": "d",
                                        "priority": "normal", "required_level": 1})
    assert status == 201, review
    if claim:
        status, _, doc = call(reviewer_server, "POST", f"/reviews/{review['id']}/claim",
                              token=reviewer.token)
        assert status == 200 and doc["status"] == "in_review", doc
    return author, reviewer, ws, review


def test_the_share_route_sets_the_flag_for_the_owner_only(server):
    author, reviewer, ws, _ = reviewed_workspace(server)
    status, _, doc = call(server, "GET", f"/workspaces/{ws}", token=author.token)
    assert status == 200 and doc["terminal_shared"] is False, doc
    status, _, doc = share(server, author, ws, True)
    assert status == 200 and doc["id"] == ws and doc["terminal_shared"] is True, doc
    status, _, doc = call(server, "GET", f"/workspaces/{ws}", token=author.token)
    assert doc["terminal_shared"] is True
    # The reviewer (and anyone else) cannot flip it: the workspace is not theirs.
    status, _, doc = share(server, reviewer, ws, False)
    assert status == 404 and error_code(doc) == "not_found", doc
    for bad in ({}, {"shared": "yes"}, {"shared": 1}):
        status, _, doc = call(server, "PUT", f"/workspaces/{ws}/terminal/share",
                              token=author.token, json_body=bad)
        assert status == 400 and error_code(doc) == "invalid_argument", (bad, doc)
    status, _, doc = share(server, author, ws, False)
    assert status == 200 and doc["terminal_shared"] is False, doc


def test_the_reviewer_watches_read_only_and_unsharing_closes_the_watcher(server):
    author, reviewer, ws, _ = reviewed_workspace(server)
    assert share(server, author, ws, True)[0] == 200

    async def scenario():
        mine = await Terminal.open(server, ws, author.token)
        await mine.wait_state("running")
        # Asks for a writable terminal: a watcher is read-only whatever it asks.
        watcher = await Terminal.open(server, ws, reviewer.token, readonly=False)
        await watcher.read_until(lambda t: any(s.get("state") == "running" for s in t.statuses))
        assert any(s.get("readonly") is True for s in watcher.statuses), watcher.statuses

        start = len(watcher.output)
        await marker_echo(mine, "from_author")
        await watcher.wait_output("from_author_42", after=start)

        # The reviewer's input reaches no shell: typed text then the author's marker, and
        # the author's shell saw only the marker.
        await watcher.type("echo from_reviewer_$((5*5))\r")
        await watcher.resize(40, 10)
        await marker_echo(mine, "after_reviewer")
        assert b"from_reviewer" not in mine.output
        assert b"from_reviewer_25" not in watcher.output

        assert share(server, author, ws, False)[0] == 200
        code, reason = await watcher.wait_closed()
        assert code == 4003, (code, reason)
        # The author's own shell goes on.
        await marker_echo(mine, "still_mine")
        await mine.close()

    run(scenario())


def test_others_are_refused_and_nothing_is_granted_without_sharing_or_review(server):
    author, reviewer, ws, _ = reviewed_workspace(server)
    stranger = User(server, level=4)

    async def refused(user, expected=4004):
        t = await Terminal.open(server, ws, user.token)
        code, reason = await t.wait_closed()
        assert code == expected, (code, reason)

    async def scenario():
        mine = await Terminal.open(server, ws, author.token)
        await mine.wait_state("running")
        await refused(reviewer)  # not shared yet
        assert share(server, author, ws, True)[0] == 200
        await refused(stranger)  # shared, but not their review
        await mine.close()

    run(scenario())

    # A pending review (nobody claimed it) grants nothing, even shared.
    author2, eligible, ws2, _ = reviewed_workspace(server, claim=False)
    assert share(server, author2, ws2, True)[0] == 200

    async def pending():
        mine = await Terminal.open(server, ws2, author2.token)
        await mine.wait_state("running")
        t = await Terminal.open(server, ws2, eligible.token)
        code, _ = await t.wait_closed()
        assert code == 4004
        await mine.close()

    run(pending())


def test_a_watcher_never_starts_the_authors_workspace(server):
    author, reviewer, ws, _ = reviewed_workspace(server)
    assert share(server, author, ws, True)[0] == 200

    async def scenario():
        t = await Terminal.open(server, ws, reviewer.token)
        code, reason = await t.wait_closed()
        assert code == 4003 and "not running" in reason, (code, reason)

    run(scenario())
    status, _, doc = call(server, "GET", f"/workspaces/{ws}", token=author.token)
    assert status == 200 and doc["state"] == "stopped", doc
