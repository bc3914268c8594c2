"""Issue 13, item 4: request bodies are bounded per route and in total.

400 parallel 15 MiB login bodies once drove the server to 4.75 GB: every body up to
server.max_body_bytes (16 MiB) was buffered, on any route, with no bound on the sum. Now each
route caps its body before a byte of it is read (login takes 8 KiB: 413 at once, connection
closed), and all bodies in flight share server.max_inflight_body_bytes (503 with Retry-After
past it). docs/security/server.md."""

import concurrent.futures
import time

from api_client import call, create_workspace, limit_refusals as refusals, register
from raw_http import connect, read_until_closed, send_quietly, split_response
from test_server import Server, error_of

PARALLEL = 100
ANNOUNCED = 15 << 20
SENT = 256 << 10  # of each body, sent before waiting for the answer


def vm_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


def big_login(server):
    """Announces a 15 MiB login body, sends part of it; returns (status, body, how, seconds)."""
    with connect(server, timeout=10) as s:
        send_quietly(s, b"POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\n"
                        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                        % ANNOUNCED + b"{" + b" " * (SENT - 1))
        data, how, seconds = read_until_closed(s, 5.0)
    if not data:
        return None, b"", how, seconds
    status, _, body = split_response(data)
    return status, body, how, seconds


def test_parallel_large_login_bodies_get_413_at_once_and_memory_stays_bounded(server):
    hwm_before = vm_kib(server.proc.pid, "VmHWM")
    with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
        results = list(pool.map(lambda _: big_login(server), range(PARALLEL)))
    for status, body, how, seconds in results:
        assert status == 413, (status, body, how)
        assert error_of(body)["code"] == "resource_exhausted"
        assert how in ("eof", "reset")  # closed: the body is never read
        assert seconds < 3.0
    grown_mib = (vm_kib(server.proc.pid, "VmHWM") - hwm_before) / 1024
    assert grown_mib < 64, f"peak RSS grew by {grown_mib:.0f} MiB"
    # A normal login still works.
    session = register(server)
    status, _, doc = call(server, "POST", "/auth/login",
                          json_body={"username": session["user"]["username"],
                                     "password": "correct horse"})
    assert status == 200, doc



def test_bodies_in_flight_share_one_budget(tmp_path):
    body_max = 1 << 20
    s = Server(tmp_path, "--set", f"server.max_body_bytes={body_max}",
               "--set", f"server.max_inflight_body_bytes={2 * body_max}")
    holders = []
    try:
        token = register(s)["access_token"]
        wid = create_workspace(s, token)["id"]
        path = f"/api/v1/workspaces/{wid}/files/up.bin"
        head = (f"PUT {path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Length: {body_max}\r\n\r\n").encode()
        # Two bodies of the largest size, half sent: the budget is taken.
        holders += [connect(s, timeout=10) for _ in range(2)]
        for h in holders:
            assert send_quietly(h, head + b"x" * (body_max // 2))
        before = refusals(s, "server.max_inflight_body_bytes")
        # Once the server has read both headers a third body is refused at once; until then
        # it would wait for its body, so each try is closed unanswered and made again.
        refused = None
        deadline = time.monotonic() + 10
        while refused is None and time.monotonic() < deadline:
            with connect(s) as third:
                send_quietly(third, head + b"y" * 1024)
                data, how, _ = read_until_closed(third, 0.5)
            if data:
                status, headers, body = split_response(data)
                assert status == 503, data
                refused = (headers, body, how)
        assert refused is not None, "a body past the budget was never refused"
        headers, body, how = refused
        assert error_of(body)["code"] == "unavailable"
        assert int(headers["retry-after"]) >= 1
        assert how in ("eof", "reset")
        assert refusals(s, "server.max_inflight_body_bytes") == before + 1
        # A finished body gives its bytes back: the next one fits.
        send_quietly(holders[0], b"x" * (body_max // 2))
        data, _, _ = read_until_closed(holders[0], 5.0)
        assert split_response(data)[0] in (200, 201), data
        holders[0].close()
        status, _, doc = call(s, "PUT", f"/workspaces/{wid}/files/next.bin", token=token,
                              body=b"z" * body_max)
        assert status in (200, 201), doc
    finally:
        for h in holders:  # half-sent bodies would hold the server's drain past stop's wait
            h.close()
        s.stop()
