"""What the Python benchmarks (events_bench, replica_bench, terminal_bench) share: the real
codeyard-server on a free loopback port, its API, a user with a workspace, an events channel,
percentiles and waits with deadlines. Run the benchmarks with Debian's /usr/bin/python3 (it
has python3-websockets); they import this file from their own folder.
"""

import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import websockets

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SERVER = os.path.normpath(os.path.join(HERE, "..", "..", "build", "bin", "codeyard-server"))
API = "/api/v1"


def progress_printer(name):
    """A function printing one progress line to stderr, prefixed with the benchmark's name."""
    def progress(message):
        print(f"{name}: {message}", file=sys.stderr, flush=True)
    return progress


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def wait_until(condition, timeout, what, interval=0.05):
    """Calls condition() until it is true; RuntimeError naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise RuntimeError(f"{what} within {timeout} s")
        time.sleep(interval)


class Server:
    """A codeyard-server on a free loopback port, healthy when the constructor returns.

    `args` are more command-line arguments. The environment's CODEYARD_* variables are not
    passed on; CODEYARD_SECRET is `secret` (a fresh one by default: replicas of one database
    share theirs). Without `data_dir` the server gets a temporary one, removed at stop(), with
    its log beside it; with one, the log goes to `log_path`.
    """

    def __init__(self, binary, args=(), secret=None, data_dir=None, log_path=None,
                 name="server", startup_s=30):
        self.name = name
        self.port = free_port()
        self.own_dir = None
        if data_dir is None:
            self.own_dir = tempfile.mkdtemp(prefix="codeyard-bench-")
            data_dir = os.path.join(self.own_dir, "data")
            log_path = os.path.join(self.own_dir, "server.log")
        self.log_path = log_path
        env = {k: v for k, v in os.environ.items() if not k.startswith("CODEYARD_")}
        env["CODEYARD_SECRET"] = secret or secrets.token_hex(32)
        self.log = open(log_path, "ab") if log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [binary, "--listen", f"127.0.0.1:{self.port}", "--data-dir", data_dir, *args],
            stdout=subprocess.DEVNULL, stderr=self.log, env=env)
        deadline = time.monotonic() + startup_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {self.proc.returncode}; see {log_path}")
            try:
                if self.call("GET", "/health")[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{name} not healthy within {startup_s} s")

    def call(self, method, path, token=None, body=None, raw=None):
        """`path` below /api/v1; `body` is sent as JSON, `raw` as bytes. Returns (status, the
        answer's JSON, its bytes when it is not JSON, or None when empty)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = raw
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, API + path, body=data, headers=headers)
            resp = conn.getresponse()
            text = resp.read()
            if not text:
                return resp.status, None
            try:
                return resp.status, json.loads(text)
            except ValueError:
                return resp.status, text
        finally:
            conn.close()

    def url(self, path):
        """The ws:// URL of `path` below /api/v1."""
        return f"ws://127.0.0.1:{self.port}{API}{path}"

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self._close_log()

    def stop(self, timeout=60):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._close_log()
        if self.own_dir:
            shutil.rmtree(self.own_dir, ignore_errors=True)

    def _close_log(self):
        if self.log is not subprocess.DEVNULL and not self.log.closed:
            self.log.close()


def new_user(server):
    """Registers a fresh user; returns its access token."""
    status, doc = server.call("POST", "/auth/register", body={
        "username": "b" + uuid.uuid4().hex[:12], "password": "benchmark password"})
    assert status == 201, doc
    return doc["access_token"]


def new_workspace(server, token):
    """Creates a workspace; returns its id."""
    status, doc = server.call("POST", "/workspaces", token, {"name": "w" + uuid.uuid4().hex[:8]})
    assert status == 201, doc
    return doc["id"]


async def events_channel(server, token):
    """A connection to /api/v1/events past its hello: its subscription is live."""
    ws = await websockets.connect(server.url("/events"), open_timeout=30, ping_interval=None)
    await ws.send(json.dumps({"token": token}))
    ready = json.loads(await ws.recv())
    assert ready["type"] == "ready", ready
    return ws
