"""The preview relay (api_ports.cpp, codeyard/port_relay.hpp): a web server started in a
workspace's pod, reached through /api/v1/workspaces/{id}/ports/{port}/ by its owner only, over
the pod's own loopback (the pod has no network)."""

import base64
import hashlib
import http.client
import json
import os
import socket
import time

import pytest

from api_client import API, call, create_workspace, error_code, make_server, register

APP = b'''
import http.server, sys

class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self, status, body, content_type="text/plain", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Frame-Options", "SAMEORIGIN")  # the relay's own policy wins
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        if self.path.startswith("/redirect"):
            return self.answer(302, b"", extra=[("Location", "/landing")])
        if self.path.startswith("/big"):
            return self.answer(200, bytes(range(256)) * 12288, "application/octet-stream")
        if self.path.startswith("/chunked"):
            return self.chunked([bytes([i]) * (100_000 + i) for i in range(40)])
        if self.path.startswith("/gated"):
            return self.chunked([b"first\\n", b"second\\n"], gate="go")
        seen = {"path": self.path, "cookie": self.headers.get("Cookie"),
                "authorization": self.headers.get("Authorization"),
                "host": self.headers.get("Host")}
        self.answer(200, json.dumps(seen).encode(), "application/json")

    do_HEAD = do_GET

    def chunked(self, pieces, gate=None):
        """Chunked pieces, flushed one by one; before the last, waits (20 s at most) for the
        file `gate` to exist."""
        self.protocol_version = "HTTP/1.1"
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        for i, piece in enumerate(pieces):
            if gate and i == len(pieces) - 1:
                deadline = time.monotonic() + 20
                while not os.path.exists(gate) and time.monotonic() < deadline:
                    time.sleep(0.02)
            self.wfile.write(b"%x\\r\\n%s\\r\\n" % (len(piece), piece))
            self.wfile.flush()
        self.wfile.write(b"0\\r\\n\\r\\n")

    def do_POST(self):
        if self.path.startswith("/sha256"):
            digest, left = hashlib.sha256(), int(self.headers["Content-Length"])
            while left:
                chunk = self.rfile.read(min(left, 1 << 20))
                if not chunk:
                    break
                digest.update(chunk)
                left -= len(chunk)
            return self.answer(200, digest.hexdigest().encode())
        data = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.answer(201, data[::-1], self.headers.get("Content-Type", "text/plain"))

    def do_DELETE(self):
        self.answer(204, b"")

    def log_message(self, *args):
        pass

http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
'''.replace(b"import http.server, sys", b"import hashlib, http.server, json, os, sys, time")

# Starts argv in its own session, so it outlives the exec that started it (as a server
# started in the terminal does).
DAEMON = ("import subprocess, sys; subprocess.Popen(sys.argv[1:], start_new_session=True, "
          "stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)")


def wait_serving(server, token, wid, port, deadline_s=20):
    deadline = time.monotonic() + deadline_s
    while True:
        status, _, body = call(server, "GET", f"/workspaces/{wid}/ports/{port}/", token=token)
        if status != 502 or time.monotonic() > deadline:
            return status, body
        time.sleep(0.05)


@pytest.fixture(scope="module")
def alice(server):
    return register(server)["access_token"]


@pytest.fixture(scope="module")
def bob(server):
    return register(server)["access_token"]


@pytest.fixture(scope="module")
def served(server, alice):
    """Alice's running workspace with app.py on 8000 and `python3 -m http.server` on 8001."""
    wid = create_workspace(server, alice)["id"]
    assert call(server, "PUT", f"/workspaces/{wid}/files/app.py", token=alice, body=APP)[0] == 200
    assert call(server, "PUT", f"/workspaces/{wid}/files/site/hello.txt", token=alice,
                body=b"hello from the pod\n")[0] == 200
    for argv in (["python3", "app.py", "8000"],
                 ["python3", "-m", "http.server", "8001", "--bind", "127.0.0.1",
                  "--directory", "site"]):
        status, _, run = call(server, "POST", f"/workspaces/{wid}/exec", token=alice,
                              json_body={"argv": ["python3", "-c", DAEMON, *argv]})
        assert status == 200 and run["exit_code"] == 0, run
    for port in (8000, 8001):
        status, body = wait_serving(server, alice, wid, port)
        assert status == 200, body
    return wid


def test_get_reaches_the_program_with_path_and_query(server, alice, served):
    status, headers, doc = call(server, "GET", f"/workspaces/{served}/ports/8000/a/b%20c/?x=1&y=%2F",
                                token=alice, headers={"Cookie": "mine=1"})
    assert status == 200, doc
    assert doc["path"] == "/a/b%20c/?x=1&y=%2F"
    # Neither the user's token nor the browser's cookies for Codeyard reach the program.
    assert doc["authorization"] is None and doc["cookie"] is None
    assert doc["host"] == "127.0.0.1:8000"
    # The answer is sandboxed (an opaque origin: it cannot read the IDE's tokens) and only the
    # IDE may frame it; the program's own X-Frame-Options is replaced.
    csp = headers["Content-Security-Policy"]
    assert csp.startswith("sandbox allow-scripts") and "allow-same-origin" not in csp
    assert "frame-ancestors 'self'" in csp
    assert headers.get_all("X-Frame-Options") == ["DENY"]


def test_python_http_server_serves_a_file_and_its_listing(server, alice, served):
    status, headers, body = call(server, "GET", f"/workspaces/{served}/ports/8001/hello.txt",
                                 token=alice)
    assert status == 200 and body == b"hello from the pod\n"
    assert headers["Content-Type"].startswith("text/plain")
    status, headers, body = call(server, "GET", f"/workspaces/{served}/ports/8001/", token=alice)
    assert status == 200 and b'href="hello.txt"' in body
    assert headers["Content-Type"].startswith("text/html")


def test_post_body_status_and_other_methods_pass_through(server, alice, served):
    status, headers, body = call(server, "POST", f"/workspaces/{served}/ports/8000/echo",
                                 token=alice, body=b"0123456789" * 1000,
                                 headers={"Content-Type": "text/x-digits"})
    assert status == 201 and body == (b"0123456789" * 1000)[::-1]
    assert headers["Content-Type"] == "text/x-digits"
    status, _, body = call(server, "DELETE", f"/workspaces/{served}/ports/8000/thing", token=alice)
    assert status == 204 and body == b""
    status, headers, body = call(server, "HEAD", f"/workspaces/{served}/ports/8000/x", token=alice)
    assert status == 200 and body == b""


def test_a_large_answer_arrives_whole(server, alice, served):
    status, _, body = call(server, "GET", f"/workspaces/{served}/ports/8000/big", token=alice)
    assert status == 200 and body == bytes(range(256)) * 12288


def test_a_streamed_answer_keeps_its_length(server, alice, served):
    # 3 MiB: over the 256 KiB held whole, so streamed, with the program's Content-Length.
    status, headers, body = call(server, "GET", f"/workspaces/{served}/ports/8000/big",
                                 token=alice)
    assert status == 200 and headers["Content-Length"] == str(256 * 12288) and len(body) == 256 * 12288


def test_relay_max_response_bytes_bounds_a_streamed_answer(make_server):
    small = make_server("relay.max_response_bytes=1048576")
    token = register(small)["access_token"]
    wid = create_workspace(small, token)["id"]
    assert call(small, "PUT", f"/workspaces/{wid}/files/app.py", token=token, body=APP)[0] == 200
    status, _, run = call(small, "POST", f"/workspaces/{wid}/exec", token=token,
                          json_body={"argv": ["python3", "-c", DAEMON, "python3", "app.py", "8000"]})
    assert status == 200 and run["exit_code"] == 0, run
    status, body = wait_serving(small, token, wid, 8000)
    assert status == 200, body
    # A Content-Length past the limit: refused before anything is sent.
    status, _, doc = call(small, "GET", f"/workspaces/{wid}/ports/8000/big", token=token)
    assert status == 502 and "relay.max_response_bytes" in doc["error"]["message"]
    # A chunked body (4 MB) has no length to check first: it is broken off at the limit, and
    # the server never holds more than the limit and its pipe.
    conn = http.client.HTTPConnection("127.0.0.1", small.port, timeout=30)
    try:
        conn.request("GET", f"{API}/workspaces/{wid}/ports/8000/chunked",
                     headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        assert response.status == 200
        got = b""
        while chunk := response.read1(65536):
            got += chunk
    finally:
        conn.close()
    full = b"".join(bytes([i]) * (100_000 + i) for i in range(40))
    assert 0 < len(got) <= 1048576 and full.startswith(got), len(got)


def test_an_upload_is_streamed_to_the_program(server, alice, served):
    # 64 MiB, over server.max_body_bytes: a server holding it whole would grow by as much.
    pieces = 64
    piece = os.urandom(1 << 20)
    expected = hashlib.sha256(piece * pieces).hexdigest()
    before = rss_bytes(server.proc.pid)
    peak = before

    def body():
        nonlocal peak
        for _ in range(pieces):
            peak = max(peak, rss_bytes(server.proc.pid))
            yield piece

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.request("POST", f"{API}/workspaces/{served}/ports/8000/sha256", body=body(),
                     headers={"Authorization": f"Bearer {alice}",
                              "Content-Length": str(pieces << 20)})
        response = conn.getresponse()
        got = response.read()
    finally:
        conn.close()
    assert response.status == 200 and got.decode() == expected, (response.status, got[:200])
    assert peak - before < 24 << 20, (before, peak)


def test_an_upload_over_ports_max_request_body_bytes_is_413(make_server):
    small = make_server("ports.max_request_body_bytes=1048576")
    token = register(small)["access_token"]
    wid = create_workspace(small, token)["id"]
    with socket.create_connection(("127.0.0.1", small.port), timeout=30) as sock:
        sock.sendall((f"POST {API}/workspaces/{wid}/ports/8000/up HTTP/1.1\r\n"
                      f"Host: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                      f"Content-Length: {(1 << 20) + 1}\r\n\r\n").encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), head
    doc = json.loads(body)
    assert error_code(doc) == "resource_exhausted"
    assert "ports.max_request_body_bytes" in doc["error"]["message"], doc


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_a_chunked_answer_is_decoded(server, alice, served):
    status, headers, body = call(server, "GET", f"/workspaces/{served}/ports/8000/chunked",
                                 token=alice)
    assert status == 200
    assert body == b"".join(bytes([i]) * (100_000 + i) for i in range(40))


def test_an_answer_is_passed_on_as_it_comes(server, alice, served):
    """The program sends its first piece and waits for a file before the rest: the client gets
    the first piece while the program waits (a relay holding the body whole would not)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("GET", f"{API}/workspaces/{served}/ports/8000/gated",
                     headers={"Authorization": f"Bearer {alice}"})
        response = conn.getresponse()
        assert response.status == 200
        assert response.read1(64) == b"first\n"  # times out (10 s) if the body is held
        status, _, run = call(server, "POST", f"/workspaces/{served}/exec", token=alice,
                              json_body={"argv": ["touch", "go"]})
        assert status == 200 and run["exit_code"] == 0, run
        assert response.read() == b"second\n"
    finally:
        conn.close()
        call(server, "POST", f"/workspaces/{served}/exec", token=alice,
             json_body={"argv": ["rm", "-f", "go"]})


def test_redirects_stay_under_the_preview(server, alice, served):
    status, headers, _ = call(server, "GET", f"/workspaces/{served}/ports/8000/redirect",
                              token=alice)
    assert status == 302
    assert headers["Location"] == f"{API}/workspaces/{served}/ports/8000/landing"
    status, headers, _ = call(server, "GET", f"/workspaces/{served}/ports/8000", token=alice)
    assert status == 308 and headers["Location"] == f"{API}/workspaces/{served}/ports/8000/"


def test_a_port_nothing_listens_on_is_502_saying_so(server, alice, served):
    status, _, doc = call(server, "GET", f"/workspaces/{served}/ports/8002/", token=alice)
    assert status == 502, doc
    assert error_code(doc) == "unavailable"
    assert "nothing listens on port 8002" in doc["error"]["message"]


def test_a_workspace_that_is_not_running_is_502(server, alice):
    wid = create_workspace(server, alice)["id"]
    status, _, doc = call(server, "GET", f"/workspaces/{wid}/ports/8000/", token=alice)
    assert status == 502 and "not running" in doc["error"]["message"]
    # Asking did not start it.
    status, _, info = call(server, "GET", f"/workspaces/{wid}", token=alice)
    assert status == 200 and info["state"] != "running", info


def test_another_user_gets_404(server, bob, served):
    status, _, doc = call(server, "GET", f"/workspaces/{served}/ports/8000/", token=bob)
    assert status == 404 and error_code(doc) == "not_found"
    status, _, doc = call(server, "POST", f"/workspaces/{served}/previews", token=bob,
                          json_body={"port": 8000})
    assert status == 404 and error_code(doc) == "not_found"


@pytest.mark.parametrize("port", ["0", "65536", "abc", "080", "-1", "99999999999"])
def test_a_bad_port_is_400(server, alice, served, port):
    status, _, doc = call(server, "GET", f"/workspaces/{served}/ports/{port}/", token=alice)
    assert status == 400 and error_code(doc) == "invalid_argument", doc
    assert "1 to 65535" in doc["error"]["message"]


def test_no_credentials_is_401(server, served):
    status, _, doc = call(server, "GET", f"/workspaces/{served}/ports/8000/")
    assert status == 401 and error_code(doc) == "unauthenticated"


def preview_cookie(server, token, wid, port):
    status, headers, doc = call(server, "POST", f"/workspaces/{wid}/previews", token=token,
                                json_body={"port": port})
    assert status == 200, doc
    assert doc["expires_at"] > time.time() * 1000
    cookie = headers["Set-Cookie"]
    attributes = [a.strip() for a in cookie.split(";")]
    assert f"Path={API}/workspaces/{wid}/ports/{port}/" in attributes
    assert "HttpOnly" in attributes
    name, _, value = attributes[0].partition("=")
    assert name == "codeyard_preview" and value
    # The URL the IDE frames is the capability path: the same ticket, never the access token.
    assert doc["url"] == f"{API}/previews/{value}/"
    assert token not in doc["url"]
    return value


def test_a_preview_cookie_lets_a_tab_in_for_that_port_only(server, alice, served):
    ticket = preview_cookie(server, alice, served, 8001)
    # A browser tab: no Authorization header, the cookie only (next to unrelated ones).
    status, _, body = call(server, "GET", f"/workspaces/{served}/ports/8001/hello.txt",
                           headers={"Cookie": f"other=1; codeyard_preview={ticket}"})
    assert status == 200 and body == b"hello from the pod\n"
    # The same ticket for another port or workspace is refused.
    status, _, doc = call(server, "GET", f"/workspaces/{served}/ports/8000/",
                          headers={"Cookie": f"codeyard_preview={ticket}"})
    assert status == 401 and "another workspace or port" in doc["error"]["message"]
    other = create_workspace(server, alice)["id"]
    status, _, doc = call(server, "GET", f"/workspaces/{other}/ports/8001/",
                          headers={"Cookie": f"codeyard_preview={ticket}"})
    assert status == 401
    # A forged or altered ticket is refused; an access token is no ticket.
    claims, _, mac = ticket.partition(".")
    for bad in (claims + "." + mac[::-1], claims[:-2] + "." + mac, "x", alice):
        status, _, doc = call(server, "GET", f"/workspaces/{served}/ports/8001/",
                              headers={"Cookie": f"codeyard_preview={bad}"})
        assert status == 401, (bad, doc)


def test_previews_body_is_checked(server, alice, served):
    for body in ({}, {"port": "8000"}, {"port": 0}, {"port": 70000}):
        status, _, doc = call(server, "POST", f"/workspaces/{served}/previews", token=alice,
                              json_body=body)
        assert status == 400 and error_code(doc) == "invalid_argument", (body, doc)


def test_the_capability_path_lets_a_page_and_its_subresources_in(server, alice, served):
    ticket = preview_cookie(server, alice, served, 8001)
    # No Authorization header and no cookie: a sandboxed frame's image or script request.
    status, headers, body = call(server, "GET", f"/previews/{ticket}/hello.txt")
    assert status == 200 and body == b"hello from the pod\n"
    assert "sandbox" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer"  # the ticket goes to no other site
    status, _, body = call(server, "GET", f"/previews/{ticket}/")
    assert status == 200 and b"hello.txt" in body  # the directory listing
    status, headers, _ = call(server, "GET", f"/previews/{ticket}")
    assert status == 308 and headers["Location"] == f"{API}/previews/{ticket}/"
    # Another user's bearer token changes nothing: the ticket alone decides.
    claims, _, mac = ticket.partition(".")
    for bad in (claims + "." + mac[::-1], "x.y", "nothing"):
        status, _, doc = call(server, "GET", f"/previews/{bad}/hello.txt")
        assert status == 401 and error_code(doc) == "unauthenticated", (bad, doc)


def test_the_capability_path_keeps_redirects_and_passes_no_credentials(server, alice, served):
    ticket = preview_cookie(server, alice, served, 8000)
    status, headers, _ = call(server, "GET", f"/previews/{ticket}/redirect")
    assert status == 302 and headers["Location"] == f"{API}/previews/{ticket}/landing"
    status, _, body = call(server, "GET", f"/previews/{ticket}/x?a=1",
                           headers={"Cookie": f"codeyard_preview={ticket}"})
    assert status == 200 and body["path"] == "/x?a=1" and body["cookie"] is None, body


def test_a_ticket_is_refused_after_its_login_ends(server):
    session = register(server)
    token = session["access_token"]
    wid = create_workspace(server, token)["id"]
    ticket = preview_cookie(server, token, wid, 8000)
    # Before logout the ticket is good (the workspace is not running: 502, past the check).
    status, _, doc = call(server, "GET", f"/previews/{ticket}/")
    assert status == 502, doc
    status, _, _ = call(server, "POST", "/auth/logout",
                        json_body={"refresh_token": session["refresh_token"]})
    assert status == 204
    for path in (f"/previews/{ticket}/", f"/workspaces/{wid}/ports/8000/"):
        headers = {"Cookie": f"codeyard_preview={ticket}"}
        status, _, doc = call(server, "GET", path, headers=headers)
        assert status == 401 and "login" in doc["error"]["message"], (path, doc)


# A WebSocket server written with the standard library only: it answers the handshake, sends
# the path it was asked for, then answers each message with its bytes reversed (so what comes
# back is the program's answer, not an echo made on the way); a plain GET gets 426. Of the
# subprotocols offered it picks the last one (not the first, which a relay picking on its own
# would pick); /refuse gets a 403 with a body, /stranger a 101 naming a subprotocol nobody
# offered. With a second argument "bad" it answers 101 with a Sec-WebSocket-Accept that proves
# nothing.
WS_APP = rb'''
import base64, hashlib, socket, struct, sys, threading

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

def send(conn, op, payload):
    n = len(payload)
    if n < 126:
        head = bytes([0x80 | op, n])
    elif n < 65536:
        head = bytes([0x80 | op, 126]) + struct.pack(">H", n)
    else:
        head = bytes([0x80 | op, 127]) + struct.pack(">Q", n)
    conn.sendall(head + payload)

def serve(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return
        data += chunk
    head, _, buf = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    path = lines[0].split(" ")[1]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "sec-websocket-key" not in headers:
        conn.sendall(b"HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        conn.close()
        return
    if path.startswith("/refuse"):
        conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 8\r\n"
                     b"X-Why: closed\r\n\r\nno entry")
        conn.close()
        return
    accept = base64.b64encode(hashlib.sha1((headers["sec-websocket-key"] + GUID).encode()).digest())
    if sys.argv[2:] == ["bad"]:
        accept = base64.b64encode(b"not the proof of the key")
    extra = b""
    offered = [p.strip() for p in headers.get("sec-websocket-protocol", "").split(",") if p.strip()]
    if path.startswith("/stranger"):
        extra = b"Sec-WebSocket-Protocol: stranger\r\n"
    elif offered:
        extra = b"Sec-WebSocket-Protocol: " + offered[-1].encode() + b"\r\n"
    conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Accept: " + accept + b"\r\n" + extra + b"\r\n")
    send(conn, 1, path.encode())
    message = b""
    while True:
        while len(buf) < 2:
            buf += conn.recv(65536) or b"!"
        b0, b1 = buf[0], buf[1]
        op, n, at = b0 & 15, b1 & 127, 2
        if n == 126:
            while len(buf) < 4:
                buf += conn.recv(65536)
            n, at = struct.unpack(">H", buf[2:4])[0], 4
        elif n == 127:
            while len(buf) < 10:
                buf += conn.recv(65536)
            n, at = struct.unpack(">Q", buf[2:10])[0], 10
        mask = None
        if b1 & 128:
            while len(buf) < at + 4:
                buf += conn.recv(65536)
            mask, at = buf[at:at + 4], at + 4
        parts = [buf]
        have = len(buf)
        while have < at + n:
            chunk = conn.recv(1 << 20)
            if not chunk:
                return
            parts.append(chunk)
            have += len(chunk)
        buf = b"".join(parts)
        payload, buf = buf[at:at + n], buf[at + n:]
        if mask:
            key = (mask * (n // 4 + 1))[:n]
            payload = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")
        if op == 8:
            send(conn, 8, payload[:2])
            conn.close()
            return
        if op in (0, 1, 2):
            kind = op or kind
            message += payload
            if b0 & 0x80:
                send(conn, kind, message[::-1])
                message = b""

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
while True:
    conn, _ = s.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
'''

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def upgrade(server, path, headers=None):
    """A WebSocket handshake sent by hand to API + path: the answer's status, its headers
    (lower-case names) and, when it is not a 101, its body (read to the end: the connection
    closes after a refusal)."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {API}{path} HTTP/1.1", f"Host: 127.0.0.1:{server.port}",
             "Upgrade: websocket", "Connection: Upgrade", f"Sec-WebSocket-Key: {key}",
             "Sec-WebSocket-Version: 13"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            assert chunk, data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        status_line, *fields = head.decode().split("\r\n")
        status = int(status_line.split(" ")[1])
        got = {}
        for field in fields:
            name, _, value = field.partition(":")
            got[name.strip().lower()] = value.strip()
        if status == 101:
            expected = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
            assert got["sec-websocket-accept"] == expected
            return status, got, b""
        while chunk := sock.recv(65536):
            body += chunk
        return status, got, body


def refused_json(server, path, headers=None):
    """upgrade's status and JSON error, which must carry the answer's request id."""
    status, got, body = upgrade(server, path, headers)
    assert got["content-type"] == "application/json", (status, got, body)
    doc = json.loads(body)
    error_code(doc)
    assert doc["error"]["request_id"] == got["x-request-id"]
    return status, doc


def test_a_websocket_is_relayed_both_ways(server, alice, served):
    import asyncio

    import websockets

    assert call(server, "PUT", f"/workspaces/{served}/files/ws.py", token=alice,
                body=WS_APP)[0] == 200
    status, _, run = call(server, "POST", f"/workspaces/{served}/exec", token=alice,
                          json_body={"argv": ["python3", "-c", DAEMON, "python3", "ws.py", "8002"]})
    assert status == 200 and run["exit_code"] == 0, run
    status, body = wait_serving(server, alice, served, 8002)
    assert status == 426, body  # a plain GET reaches it
    ticket = preview_cookie(server, alice, served, 8002)
    big = os.urandom(1 << 20)  # 1 MiB: many reads each way

    async def talk():
        url = f"ws://127.0.0.1:{server.port}{API}/previews/{ticket}/socket?x=1"
        async with websockets.connect(url, max_size=None) as ws:
            first = await asyncio.wait_for(ws.recv(), 20)
            await ws.send("hello")
            text = await asyncio.wait_for(ws.recv(), 20)
            await ws.send(b"\x00\x01\x02")
            binary = await asyncio.wait_for(ws.recv(), 20)
            await ws.send(big)
            back = await asyncio.wait_for(ws.recv(), 60)
            return first, text, binary, back

    first, text, binary, back = asyncio.run(talk())
    assert first == "/socket?x=1"
    assert text == "olleh"
    assert binary == b"\x02\x01\x00"
    assert back == big[::-1]


def test_the_programs_subprotocol_reaches_the_browser(server, alice, served):
    import asyncio

    import websockets

    ticket = preview_cookie(server, alice, served, 8002)
    url = f"ws://127.0.0.1:{server.port}{API}/previews/{ticket}/chat"

    async def talk():
        async with websockets.connect(url, subprotocols=["chat.v1", "chat.v2"]) as ws:
            first = await asyncio.wait_for(ws.recv(), 20)
            return ws.subprotocol, first

    assert asyncio.run(talk()) == ("chat.v2", "/chat")
    # lws itself refused an upgrade offering subprotocols it does not serve.
    status, got, _ = upgrade(server, f"/previews/{ticket}/x",
                             {"Sec-WebSocket-Protocol": "graphql-ws, mqtt"})
    assert status == 101 and got["sec-websocket-protocol"] == "mqtt"
    assert got["upgrade"].lower() == "websocket"
    # One the browser did not offer is the program's fault: a bad gateway.
    status, doc = refused_json(server, f"/previews/{ticket}/stranger",
                               {"Sec-WebSocket-Protocol": "chat.v1"})
    assert status == 502 and "did not offer" in doc["error"]["message"], doc


def test_the_programs_refusal_reaches_the_browser(server, alice, served):
    ticket = preview_cookie(server, alice, served, 8002)
    status, got, body = upgrade(server, f"/previews/{ticket}/refuse")
    assert status == 403 and body == b"no entry", (status, body)
    assert got["x-why"] == "closed" and got["content-type"] == "text/plain"
    assert got["content-security-policy"].startswith("sandbox")


def test_a_websocket_without_a_good_ticket_is_401(server, alice, served):
    ticket = preview_cookie(server, alice, served, 8002)
    claims, _, mac = ticket.partition(".")
    status, doc = refused_json(server, f"/previews/{claims}.{mac[::-1]}/socket")
    assert status == 401 and error_code(doc) == "unauthenticated", doc


def test_a_websocket_to_a_port_nothing_listens_on_is_502(server, alice, served):
    ticket = preview_cookie(server, alice, served, 8009)
    status, doc = refused_json(server, f"/previews/{ticket}/")
    assert status == 502 and "nothing listens on port 8009" in doc["error"]["message"], doc


def start_ws_app(server, token, wid, port, *args):
    assert call(server, "PUT", f"/workspaces/{wid}/files/ws.py", token=token,
                body=WS_APP)[0] == 200
    status, _, run = call(server, "POST", f"/workspaces/{wid}/exec", token=token, json_body={
        "argv": ["python3", "-c", DAEMON, "python3", "ws.py", str(port), *args]})
    assert status == 200 and run["exit_code"] == 0, run
    status, body = wait_serving(server, token, wid, port)
    assert status == 426, body  # a plain GET reaches it


async def first_message_and_answer(url, headers=None):
    """The program's first message and its answer to "ping"."""
    import asyncio

    import websockets

    async with websockets.connect(url, extra_headers=headers or {}) as ws:
        first = await asyncio.wait_for(ws.recv(), 20)
        await ws.send("ping")
        return first, await asyncio.wait_for(ws.recv(), 20)


def test_a_websocket_on_the_ports_path_with_a_token_or_the_cookie(server, alice, bob, served):
    import asyncio

    start_ws_app(server, alice, served, 8003)
    url = f"ws://127.0.0.1:{server.port}{API}/workspaces/{served}/ports/8003/live?q=1"
    # A script with the access token.
    got = asyncio.run(first_message_and_answer(url, {"Authorization": f"Bearer {alice}"}))
    assert got == ("/live?q=1", "gnip")
    # A tab: the preview cookie for this workspace and port.
    ticket = preview_cookie(server, alice, served, 8003)
    got = asyncio.run(first_message_and_answer(url, {"Cookie": f"codeyard_preview={ticket}"}))
    assert got == ("/live?q=1", "gnip")
    # A cookie for another port, no credential, another user: refused before the program.
    path = f"/workspaces/{served}/ports/8003/live"
    other = preview_cookie(server, alice, served, 8000)
    status, doc = refused_json(server, path, {"Cookie": f"codeyard_preview={other}"})
    assert status == 401 and "another workspace or port" in doc["error"]["message"], doc
    status, doc = refused_json(server, path)
    assert status == 401, doc
    status, doc = refused_json(server, path, {"Authorization": f"Bearer {bob}"})
    assert status == 404 and error_code(doc) == "not_found", doc
    status, doc = refused_json(server, f"/workspaces/{served}/ports/0/",
                               {"Authorization": f"Bearer {alice}"})
    assert status == 400, doc


def test_a_program_with_a_wrong_accept_is_502_on_both_paths(server, alice, served):
    start_ws_app(server, alice, served, 8004, "bad")
    ticket = preview_cookie(server, alice, served, 8004)
    by_token = (f"/workspaces/{served}/ports/8004/", {"Authorization": f"Bearer {alice}"})
    for path, headers in (by_token, (f"/previews/{ticket}/", {})):
        status, doc = refused_json(server, path, headers)
        assert status == 502, (path, doc)
        message = doc["error"]["message"]
        assert "Sec-WebSocket-Accept" in message and "does not match" in message, message
