"""What every kind of WebSocket gets from the sockets' base (shells/server/lws_websocket): the
run, terminal, language-server and events sockets each close a connection that sends no hello
within 10 s with 4001, close one whose client frame is unmasked with 1002, refuse a handshake
in another protocol version than 13 with 426, and only their own paths upgrade."""

import asyncio

import pytest
import websockets

from api_client import API, create_workspace, register
from raw_http import (close_handshake, first_close_frame, read_until_closed, split_response,
                      websocket_upgrade)


@pytest.fixture(scope="module")
def paths(server):
    token = register(server)["access_token"]
    ws = create_workspace(server, token, "kinds")["id"]
    return {
        "terminal": f"{API}/workspaces/{ws}/terminal",
        "run": f"{API}/workspaces/{ws}/run",
        "lsp": f"{API}/workspaces/{ws}/lsp?language=python",
        "events": f"{API}/events",
    }


KINDS = ["terminal", "run", "lsp", "events"]


def test_every_kind_closes_a_connection_without_a_hello_after_ten_seconds(server, paths):
    async def silent(kind):
        async with websockets.connect(f"ws://127.0.0.1:{server.port}{paths[kind]}",
                                      open_timeout=10) as ws:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), timeout=20)
            return closed.value.rcvd.code, closed.value.rcvd.reason

    async def all_kinds():
        return await asyncio.gather(*(silent(kind) for kind in KINDS))

    for kind, got in zip(KINDS, asyncio.run(all_kinds())):
        assert got == (4001, "no hello within 10 s"), kind


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_closes_an_unmasked_client_frame_with_1002(server, paths, kind):
    s, data = websocket_upgrade(server, paths[kind])
    with s:
        assert data.startswith(b"HTTP/1.1 101"), data[:200]
        s.sendall(bytes([0x81, 13]) + b'{"token":"x"}')  # FIN text frame, mask bit clear
        rest, how, _ = close_handshake(s, 10.0)
    assert how in ("eof", "reset")
    close = first_close_frame(rest)
    assert close is not None and close[0] == 1002, (kind, rest[:200])
    assert "masked" in close[1]


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_refuses_another_protocol_version_with_426(server, paths, kind):
    s, data = websocket_upgrade(server, paths[kind], version=b"8")
    with s:
        rest, _, _ = read_until_closed(s, 10.0)
    status, headers, _ = split_response(data + rest)
    assert status == 426, (kind, data[:200])
    assert headers.get("sec-websocket-version") == "13"


@pytest.mark.parametrize("target", [f"{API}/workspaces/terminal", f"{API}/workspaces/lsp",
                                    f"{API}/workspaces/run", f"{API}/workspaces//terminal",
                                    f"{API}/workspaces/x/y/run", f"{API}/events/x"])
def test_a_path_without_one_workspace_id_does_not_upgrade(server, target):
    s, data = websocket_upgrade(server, target)
    with s:
        rest, _, _ = read_until_closed(s, 10.0)
    assert not (data + rest).startswith(b"HTTP/1.1 101"), (target, data[:200])
    assert server.request("GET", "/api/v1/health")[0] == 200
