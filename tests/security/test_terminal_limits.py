"""Issue 13, item 11 and the terminal part of item 6: terminal viewers are capped per terminal
and per user (close 4029), the memory slow viewers hold is bounded by the caps, and a viewer
whose access token stops verifying (revoked, expired) is closed with 4001.

The server here runs with small caps, so that the tests open few connections; the defaults
(16 per terminal, 32 per user) are the same code with other numbers."""

import asyncio
import base64
import hashlib
import hmac
import json
import time

import pytest

from api_client import call, create_workspace, register
from raw_http import rss_kib
from terminal_client import Terminal, marker_echo
from test_server import TEST_SECRET, Server

PER_TERMINAL = 4
PER_USER = 6
QUEUE_BYTES = 256 << 10
REAUTH_S = 1


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("terminal_limits"),
               "--set", f"terminal.max_viewers_per_terminal={PER_TERMINAL}",
               "--set", f"terminal.max_viewers_per_user={PER_USER}",
               "--set", f"terminal.viewer_queue_bytes={QUEUE_BYTES}",
               "--set", f"terminal.reauth_interval_s={REAUTH_S}")
    yield s
    s.stop()


def run(coro):
    return asyncio.run(coro)


async def attach(server, ws, token, **kw):
    t = await Terminal.open(server, ws, token, **kw)
    await t.read_until(lambda t: any(s.get("state") == "running" for s in t.statuses)
                       or t.close_code is not None)
    return t


async def refused(server, ws, token):
    t = await Terminal.open(server, ws, token)
    return await t.wait_closed()


def metric(server, line_start):
    status, _, text = call(server, "GET", "/metrics")
    assert status == 200
    for line in text.decode().splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_viewers_past_the_per_terminal_cap_are_refused_with_4029(server):
    token = register(server)["access_token"]
    ws = create_workspace(server, token, "cap")["id"]
    before = metric(server, 'codeyard_terminal_refusals_total{limit="terminal.max_viewers_per_terminal"}')

    async def scenario():
        viewers = [await attach(server, ws, token) for _ in range(PER_TERMINAL)]
        for _ in range(3):
            code, reason = await refused(server, ws, token)
            assert code == 4029 and "terminal.max_viewers_per_terminal" in reason, reason
        # A slot freed is a slot usable again.
        await viewers.pop().close()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while True:
            t = await Terminal.open(server, ws, token)
            await t.read_until(lambda t: bool(t.statuses) and t.statuses[-1].get("state")
                               in ("running", "starting") or t.close_code is not None)
            try:
                await t.wait_state("running", timeout=5)
                viewers.append(t)
                break
            except AssertionError:
                assert loop.time() < deadline, "the freed slot never came back"
        for v in viewers:
            await v.close()

    run(scenario())
    after = metric(server, 'codeyard_terminal_refusals_total{limit="terminal.max_viewers_per_terminal"}')
    assert after - before >= 3


def test_viewers_past_the_per_user_cap_are_refused_with_4029(server):
    token = register(server)["access_token"]
    first = create_workspace(server, token, "one")["id"]
    second = create_workspace(server, token, "two")["id"]
    other = register(server)["access_token"]
    others_ws = create_workspace(server, other, "theirs")["id"]

    async def scenario():
        viewers = [await attach(server, first, token) for _ in range(PER_TERMINAL)]
        viewers += [await attach(server, second, token) for _ in range(PER_USER - PER_TERMINAL)]
        assert all(v.close_code is None for v in viewers)
        code, reason = await refused(server, second, token)
        assert code == 4029 and "terminal.max_viewers_per_user" in reason, reason
        # Another user is not held back by this one's viewers.
        theirs = await attach(server, others_ws, other)
        assert theirs.close_code is None
        await theirs.close()
        for v in viewers:
            await v.close()

    run(scenario())


def test_slow_viewers_of_a_flooding_shell_hold_bounded_memory(server):
    token = register(server)["access_token"]
    ws = create_workspace(server, token, "flood")["id"]

    async def scenario():
        writer = await attach(server, ws, token)
        await marker_echo(writer, "ready")
        # The cap's worth of viewers that read nothing (the writer is one of them).
        slow = [await attach(server, ws, token, max_queue=1) for _ in range(PER_TERMINAL - 1)]
        extra = [await refused(server, ws, token) for _ in range(4)]
        assert all(code == 4029 for code, _ in extra)
        rss_before = rss_kib(server.proc.pid)
        start = len(writer.output)
        # 24 MiB: a server that kept every slow viewer's backlog would hold 3 x 24 MiB, four
        # times the bound below. (The flood itself takes a quarter of a second.)
        await writer.type("head -c 24M /dev/zero | tr '\\0' '\\170'; echo; echo flood_$((40+2))\r")
        await writer.wait_output("flood_42", after=start, timeout=180)
        peak = rss_kib(server.proc.pid)
        # Each slow viewer holds at most its queue (plus a frame and a scrollback replay).
        bound_kib = PER_TERMINAL * (QUEUE_BYTES + (64 << 10) + (16 << 10)) // 1024
        assert peak - rss_before < bound_kib + 16 * 1024, (rss_before, peak, bound_kib)
        # The slow viewers vanish: closing them politely would wait 30 s each for a closing
        # handshake behind the output in flight (90 s, which was this file's whole cost).
        for v in slow:
            v.abort()
        await writer.close()

    run(scenario())


def mint(access_token, lifetime_s):
    """The same claims as `access_token` (signed with the test server's secret), expiring in
    `lifetime_s` seconds: a token that verifies now and stops verifying soon."""
    header, payload, _ = access_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["exp"] = int(time.time()) + lifetime_s
    body = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = header + "." + body.decode().rstrip("=")
    signature = hmac.new(TEST_SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(signature).decode().rstrip("=")


def test_a_viewer_whose_token_expires_is_closed_with_4001(server):
    session = register(server)
    ws = create_workspace(server, session["access_token"], "expiring")["id"]
    short = mint(session["access_token"], 4)
    status, _, _ = call(server, "GET", "/me", token=short)
    assert status == 200  # the minted token is accepted while it lasts

    async def scenario():
        t = await attach(server, ws, short)
        assert t.close_code is None
        code, reason = await t.wait_closed(timeout=4 + REAUTH_S + 10)
        assert code == 4001 and "revoked or expired" in reason, reason
        # A fresh token reconnects to the same shell.
        again = await attach(server, ws, session["access_token"])
        assert again.close_code is None
        await again.close()

    run(scenario())


def test_logging_out_closes_the_sessions_terminals_with_4001(server):
    # Needs access-token revocation (issue 13 item 6, the accounts change): once logout
    # revokes the session, the next re-check closes its terminal.
    session = register(server)
    token = session["access_token"]
    ws = create_workspace(server, token, "logout")["id"]

    async def scenario():
        t = await attach(server, ws, token)
        assert t.close_code is None
        status, _, _ = call(server, "POST", "/auth/logout", token=token,
                            json_body={"refresh_token": session["refresh_token"]})
        assert status == 204
        code, reason = await t.wait_closed(timeout=REAUTH_S + 10)
        assert code == 4001, (code, reason)

    run(scenario())
