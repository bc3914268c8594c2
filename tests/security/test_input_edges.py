"""Issue 13, item 16 (the server's input edges): ';' and '&' in a file path, NUL bytes and huge
argv in commands, WebSocket frames and versions RFC 6455 forbids, and the case of the
Authorization scheme. Raw sockets where a client library would not send the bytes."""

import base64
import json
import os

import pytest

from api_client import API, call, create_workspace, error_code, register
from raw_http import (client_frame, close_handshake, connect, first_close_frame, read_until,
                      read_until_closed, split_response, websocket_upgrade)


@pytest.fixture(scope="module")
def owner(server):
    token = register(server)["access_token"]
    return token, create_workspace(server, token, "edges")["id"]


def raw(server, method, target, headers=b"", body=b""):
    head = (f"{method} {target} HTTP/1.1\r\nHost: t\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n").encode() + headers + b"\r\n"
    with connect(server) as s:
        s.sendall(head + body)
        data, _, _ = read_until_closed(s, 10.0)
    return split_response(data)


# ---- ';' and '&' in a path ---------------------------------------------------------------

@pytest.mark.parametrize("name", ["a;b.txt", "a&b.txt", "x;y&z=1.txt", "semi;/in;dir.txt"])
def test_semicolons_and_ampersands_in_a_path_round_trip(server, owner, name):
    # libwebsockets split a raw ';' or '&' in the path like a query separator: the path came
    # out cut at it, with a stray byte.
    token, ws = owner
    auth = f"Authorization: Bearer {token}\r\n".encode()
    status, _, doc = raw(server, "PUT", f"{API}/workspaces/{ws}/files/{name}", auth,
                         name.encode())
    assert status in (200, 201), doc
    assert json.loads(doc)["path"] == name
    status, _, content = raw(server, "GET", f"{API}/workspaces/{ws}/files/{name}", auth)
    assert status == 200 and content == name.encode()
    _, _, tree = call(server, "GET", f"/workspaces/{ws}/tree", token=token)
    assert name in [item["path"] for item in tree["items"]]


# ---- argv -------------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [["echo", "a\0b"], ["ec\0ho", "x"], ["\0"]])
def test_a_nul_byte_in_an_argv_element_is_400(server, owner, argv):
    token, ws = owner
    status, _, doc = call(server, "POST", f"/workspaces/{ws}/exec", token=token,
                          json_body={"argv": argv})
    assert status == 400 and error_code(doc) == "invalid_argument", doc
    assert "NUL" in doc["error"]["message"] or "argv[0]" in doc["error"]["message"]


@pytest.mark.parametrize("argv,key", [
    (["echo", "x" * (5 << 20)], "exec.max_arg_bytes"),
    (["echo"] + ["y" * 100_000] * 50, "exec.max_total_bytes"),
    (["true"] + ["z"] * 5000, "exec.max_args"),
], ids=["one-5MB-element", "5MB-in-50", "5000-elements"])
def test_an_oversized_argv_is_400_naming_its_limit(server, owner, argv, key):
    token, ws = owner
    status, _, doc = call(server, "POST", f"/workspaces/{ws}/exec", token=token,
                          json_body={"argv": argv})
    assert status == 400 and error_code(doc) == "invalid_argument", str(doc)[:300]
    assert key in doc["error"]["message"]
    status, _, health = call(server, "GET", "/health")
    assert status == 200


def test_a_nul_byte_in_a_run_argument_is_400(server, owner):
    token, _ = owner
    status, _, doc = call(server, "POST", "/run", token=token,
                          json_body={"language": "python",
                                     "files": {"main.py": "import sys; print(sys.argv)"},
                                     "args": ["a\0b"]})
    assert status == 400 and error_code(doc) == "invalid_argument", doc


# ---- WebSocket ----------------------------------------------------------------------------

def handshake(server, ws, version=b"13"):
    return websocket_upgrade(server, f"{API}/workspaces/{ws}/terminal", version)


@pytest.mark.parametrize("version", [b"8", b"7", b"12", b"14"])
def test_a_websocket_version_other_than_13_is_refused_with_426(server, owner, version):
    _, ws = owner
    s, data = handshake(server, ws, version)
    with s:  # handshake() stops at the end of the headers: the body may come in a later segment
        status, headers, _ = split_response(data)
        need = data.index(b"\r\n\r\n") + 4 + int(headers.get("content-length", "0"))
        while len(data) < need:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    status, headers, body = split_response(data)
    assert status == 426, data[:300]
    assert headers.get("sec-websocket-version") == "13"
    assert error_code(json.loads(body)) == "invalid_argument"


def test_a_websocket_handshake_without_a_version_is_refused(server, owner):
    _, ws = owner
    key = base64.b64encode(os.urandom(16))
    status, headers, _ = raw(server, "GET", f"{API}/workspaces/{ws}/terminal",
                             b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                             b"Sec-WebSocket-Key: " + key + b"\r\n")
    assert status == 426 and headers.get("sec-websocket-version") == "13"


@pytest.mark.parametrize("opcode,payload", [(0x2, b"{}"), (0x1, b'{"token":"x"}'),
                                            (0x9, b"ping")], ids=["binary", "text", "ping"])
def test_an_unmasked_client_frame_closes_with_1002(server, owner, opcode, payload):
    _, ws = owner
    s, data = handshake(server, ws)
    with s:
        assert data.startswith(b"HTTP/1.1 101"), data[:200]
        s.sendall(client_frame(opcode, payload, masked=False))
        rest, how, _ = close_handshake(s, 10.0)
    assert how in ("eof", "reset")
    code = first_close_frame(rest)
    assert code is not None and code[0] == 1002, rest[:200]
    assert "masked" in code[1]


def test_masked_frames_are_still_served(server, owner):
    token, ws = owner
    s, data = handshake(server, ws)
    with s:
        assert data.startswith(b"HTTP/1.1 101")
        s.sendall(client_frame(0x2, json.dumps({"token": token}).encode()))
        got, how, _ = read_until(s, 20.0, lambda d: b'"running"' in d)
        assert how == "done", got[:300]


# ---- Authorization ---------------------------------------------------------------------

@pytest.mark.parametrize("template", ["bearer {t}", "BEARER {t}", "Bearer   {t}", "bEaReR {t}  ",
                                      "  Bearer\t{t}"])
def test_the_bearer_scheme_is_case_insensitive_and_spaces_are_tolerated(server, owner,
                                                                        template):
    token, _ = owner
    value = template.format(t=token)
    status, _, body = raw(server, "GET", f"{API}/me",
                          f"Authorization: {value}\r\n".encode())
    assert status == 200, body


@pytest.mark.parametrize("value", ["Basic dXNlcjpwYXNz", "Token {t}", "Bearer", "Bearer ",
                                   "Bearer {t} extra", "{t}"])
def test_other_schemes_are_401_naming_bearer(server, owner, value):
    token, _ = owner
    status, headers, body = raw(server, "GET", f"{API}/me",
                                f"Authorization: {value.format(t=token)}\r\n".encode())
    assert status == 401 and error_code(json.loads(body)) == "unauthenticated"
    assert "Bearer" in json.loads(body)["error"]["message"]
    assert headers.get("www-authenticate") == "Bearer"
