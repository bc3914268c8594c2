"""End-to-end tests of codeyard-server: the real binary on real loopback sockets.

The binary comes from $CODEYARD_SERVER_BIN (ctest sets it). Each server gets a free port and
its own temporary data directory; readiness is polled against /api/v1/health with a deadline,
never a fixed sleep.
"""

import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import time
import uuid

import pytest

SERVER_BIN = os.environ.get("CODEYARD_SERVER_BIN", "")
START_DEADLINE_S = 10.0
# Outside dev mode the server refuses to start without a strong secret; tests pass one.
TEST_SECRET = secrets.token_hex(32)
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

# Never skip: a missing binary is a broken build, and must fail the suite.
if not SERVER_BIN or not os.access(SERVER_BIN, os.X_OK):
    raise RuntimeError("CODEYARD_SERVER_BIN does not name an executable (run via ctest)")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(secret=TEST_SECRET, password_cost="minimum"):
    # Our own CODEYARD_* variables (CODEYARD_SERVER_BIN among them) would be read as config.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODEYARD_")}
    if secret is not None:
        env["CODEYARD_SECRET"] = secret
    # argon2id at the default cost (64 MiB, 2 passes) is 80 ms of a core per register or login,
    # and the suites register hundreds of users: they hash at the least cost the keys allow.
    # test_api_auth.py keeps the default (password_cost="default") and checks the stored hash.
    if password_cost == "minimum":
        env["CODEYARD_AUTH_PASSWORD_OPS"] = "1"
        env["CODEYARD_AUTH_PASSWORD_MEMORY_KIB"] = "8"
    # A stopped server hands its workspace pods off (they outlive it, for the next server):
    # the suites restart within seconds, so pods nobody took over end soon after the suite
    # rather than after the default ten minutes.
    env["CODEYARD_WORKSPACE_POD_ORPHAN_TIMEOUT_S"] = "30"
    return env


def run_to_exit(*args, timeout=10, env=None):
    return subprocess.run([SERVER_BIN, *args], capture_output=True, text=True, timeout=timeout,
                          env=clean_env() if env is None else env)


class Server:
    """One codeyard-server process; stderr goes to a file so it can never block."""

    def __init__(self, tmp_path, *extra_args, env=None, data_flag=True, cwd=None):
        """data_flag=False leaves the data directory to extra_args (tests of the flags)."""
        self.port = free_port()
        self.data_dir = tmp_path / "data"
        self.stderr_path = tmp_path / "stderr.log"
        self._stderr = open(self.stderr_path, "wb")
        data_args = ["--data-dir", str(self.data_dir)] if data_flag else []
        self.proc = subprocess.Popen(
            [SERVER_BIN, "--listen", f"127.0.0.1:{self.port}", *data_args, *extra_args],
            stdout=subprocess.DEVNULL, stderr=self._stderr,
            env=clean_env() if env is None else env, cwd=cwd)
        self._wait_ready()

    def _wait_ready(self):
        deadline = time.monotonic() + START_DEADLINE_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"server exited with {self.proc.returncode}: {self.stderr()}")
            try:
                if self.request("GET", "/api/v1/health", timeout=0.5)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.02)
        self.stop()
        pytest.fail(f"server not healthy within {START_DEADLINE_S}s: {self.stderr()}")

    def request(self, method, path, headers=None, body=None, timeout=5.0):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.headers, resp.read()
        finally:
            conn.close()

    def stderr(self):
        return self.stderr_path.read_bytes().decode("utf-8", errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout=5.0):
        """Sends `sig`; returns (exit code, seconds until exit)."""
        if self.proc.poll() is None:
            started = time.monotonic()
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self._stderr.close()
                pytest.fail(f"server still running {timeout}s after signal {sig}")
            elapsed = time.monotonic() - started
        else:
            elapsed = 0.0
        self._stderr.close()
        return self.proc.returncode, elapsed


def error_of(body):
    doc = json.loads(body)
    assert set(doc) == {"error"}
    err = doc["error"]
    assert set(err) == {"code", "message", "request_id"}
    assert isinstance(err["message"], str) and err["message"]
    return err


def test_health_is_ok_json_with_request_id_and_security_headers(server):
    status, headers, body = server.request("GET", "/api/v1/health")
    assert status == 200
    assert json.loads(body) == {"status": "ok"}
    assert headers["Content-Type"] == "application/json"
    assert UUID_RE.match(headers["X-Request-Id"])
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cache-Control"] == "no-store"
    assert "Server" not in headers


def test_each_request_gets_a_fresh_request_id(server):
    ids = {server.request("GET", "/api/v1/health")[1]["X-Request-Id"] for _ in range(3)}
    assert len(ids) == 3


def test_valid_incoming_request_id_is_echoed(server):
    rid = "trace-" + uuid.uuid4().hex[:12] + ".A_b"
    status, headers, _ = server.request("GET", "/api/v1/health", {"X-Request-Id": rid})
    assert status == 200
    assert headers["X-Request-Id"] == rid


@pytest.mark.parametrize("bad", ["has space", "x" * 65, "semi;colon", "ünï"])
def test_invalid_incoming_request_id_is_replaced(server, bad):
    _, headers, _ = server.request("GET", "/api/v1/health",
                                   {"X-Request-Id": bad.encode("utf-8")})
    assert UUID_RE.match(headers["X-Request-Id"])


def test_unknown_path_is_404_with_error_envelope(server):
    status, headers, body = server.request("GET", "/api/v1/no-such-thing",
                                           {"X-Request-Id": "req-404"})
    assert status == 404
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Request-Id"] == "req-404"
    err = error_of(body)
    assert err["code"] == "not_found"
    assert err["request_id"] == "req-404"


def test_wrong_method_is_405_with_allow(server):
    status, headers, body = server.request("POST", "/api/v1/health", body=b"{}",
                                           headers={"Content-Type": "application/json"})
    assert status == 405
    assert headers["Allow"] == "GET"
    err = error_of(body)
    assert err["request_id"] == headers["X-Request-Id"]


def test_head_has_headers_but_no_body(server):
    status, headers, body = server.request("HEAD", "/api/v1/health")
    assert status == 200
    assert headers["Content-Length"] == str(len(b'{"status":"ok"}'))
    assert body == b""


def test_keep_alive_serves_several_requests_on_one_connection(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        for _ in range(3):
            conn.request("GET", "/api/v1/health")
            resp = conn.getresponse()
            assert resp.status == 200 and json.loads(resp.read()) == {"status": "ok"}
    finally:
        conn.close()


def test_declared_body_over_the_cap_is_413(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"POST /api/v1/health HTTP/1.1\r\nHost: t\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 ")
    assert error_of(body)["code"] == "resource_exhausted"


def test_websocket_upgrade_is_refused_until_a_route_takes_it(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\n"
                  b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                  b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    assert not data.startswith(b"HTTP/1.1 101")


def test_default_storage_is_sqlite_in_the_data_dir(server):
    assert (server.data_dir / "codeyard.db").is_file()


def test_bad_set_key_exits_2_naming_the_key(tmp_path):
    result = run_to_exit("--data-dir", str(tmp_path / "d"), "--set", "no.such.key=1")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("codeyard-server: ")
    assert "no.such.key" in lines[0]


def test_port_in_use_exits_1(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        result = run_to_exit("--listen", f"127.0.0.1:{port}", "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last == f"codeyard-server: cannot listen on 127.0.0.1:{port}: address already in use"


def test_sigterm_exits_0_and_stderr_is_json_lines(tmp_path):
    s = Server(tmp_path)
    s.request("GET", "/api/v1/health", {"X-Request-Id": "log-check"})
    s.request("GET", "/api/v1/missing")
    code, elapsed = s.stop(signal.SIGTERM)
    assert code == 0
    assert elapsed < 5.0

    records = []
    for line in s.stderr().splitlines():
        record = json.loads(line)  # every line is one JSON object
        assert isinstance(record, dict)
        assert {"ts", "level", "msg"} <= record.keys(), line
        records.append(record)
    listening = [r for r in records if r["msg"] == "server listening"]
    assert len(listening) == 1
    assert listening[0]["host"] == "127.0.0.1" and listening[0]["port"] == s.port
    access = [r for r in records if r["msg"] == "request"]
    health = [r for r in access if r["request_id"] == "log-check"]
    assert len(health) == 1
    assert health[0]["method"] == "GET" and health[0]["path"] == "/api/v1/health"
    assert health[0]["status"] == 200 and health[0]["duration_ms"] >= 0
    assert any(r["status"] == 404 and r["path"] == "/api/v1/missing" for r in access)
    assert records[-1]["msg"] == "server stopped"


def test_sigint_also_stops_cleanly(tmp_path):
    s = Server(tmp_path)
    code, _ = s.stop(signal.SIGINT)
    assert code == 0


def test_no_secret_outside_dev_mode_exits_2_naming_the_key(tmp_path):
    data_dir = tmp_path / "d"
    result = run_to_exit("--data-dir", str(data_dir), env=clean_env(secret=None))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("codeyard-server: config: secret ")
    assert "CODEYARD_SECRET" in lines[0] and "openssl rand -hex 32" in lines[0]
    assert not data_dir.exists()  # refused before creating anything


@pytest.mark.parametrize("weak", ["Xq7!short", "changeme" * 4, "a" * 64, "0123456789abcdef" * 4])
def test_weak_secret_exits_2(tmp_path, weak):
    result = run_to_exit("--data-dir", str(tmp_path / "d"), env=clean_env(secret=weak))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("codeyard-server: config: secret ")
    assert weak not in lines[0]  # never echoed


def test_dev_mode_generates_a_private_secret_and_reuses_it(tmp_path):
    s = Server(tmp_path, "--dev", env=clean_env(secret=None))
    assert s.stop()[0] == 0
    secret_file = s.data_dir / "secret"
    assert secret_file.stat().st_mode & 0o777 == 0o600
    first = secret_file.read_text()
    assert re.fullmatch(r"[0-9a-f]{64}\n", first)

    s = Server(tmp_path, "--dev", env=clean_env(secret=None))
    assert s.stop()[0] == 0
    assert secret_file.read_text() == first
