"""Starts codeyard-kube-fake for the pytest suites in tests/kube/ and talks to it.

Each Fake runs on a free port with its own state directory, kubeconfig and HOME (kubectl
caches discovery under $HOME/.kube/cache, so every test gets a fresh one).
"""

import json
import os
import select
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = os.environ.get("CODEYARD_KUBE_FAKE_BIN", str(REPO / "build" / "bin" / "codeyard-kube-fake"))
KUBECTL = "/usr/bin/kubectl"


def wait_for(predicate, timeout=30.0, what="condition"):
    """Polls `predicate` until it returns a true value or the deadline passes. Only for what
    no watch reports (kubectl's output); a pod's state is awaited with Fake.watch_pod."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Fake:
    def __init__(self, root: Path, *args, port=0, state=None):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.home = self.root / "home"
        self.home.mkdir(exist_ok=True)
        self.kubeconfig = self.root / "kubeconfig"
        self.audit = self.root / "audit.jsonl"
        self.state = Path(state) if state else self.root / "state"
        self.args = list(args)
        self.tls = "--tls" in self.args
        self.port = port
        self.proc = None
        self.start()

    def start(self):
        if self.kubeconfig.exists():
            self.kubeconfig.unlink()
        cmd = [BIN, "--listen", f"127.0.0.1:{self.port}", "--kubeconfig-out", str(self.kubeconfig),
               "--state", str(self.state), "--audit-out", str(self.audit), *self.args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], 30)
        assert ready, "codeyard-kube-fake did not print its port"
        line = self.proc.stdout.readline().strip()
        assert line.isdigit(), f"no port from codeyard-kube-fake: {line!r} {self.proc.stderr.read()}"
        self.port = int(line)
        self.url = ("https" if self.tls else "http") + f"://127.0.0.1:{self.port}"
        self.config = self._read_kubeconfig()

    def _read_kubeconfig(self):
        text = self.kubeconfig.read_text()
        config = {"token": None, "ca": None}
        for raw in text.splitlines():
            line = raw.strip()
            if line.startswith("token:"):
                config["token"] = line.split(":", 1)[1].strip()
            if line.startswith("certificate-authority-data:"):
                import base64
                config["ca"] = base64.b64decode(line.split(":", 1)[1].strip()).decode()
        return config

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("codeyard-kube-fake did not stop on SIGTERM within 30 s")
            assert self.proc.returncode == 0, self.proc.stderr.read()

    def restart(self):
        """Kills the fake and starts it again on the same port with the same --state."""
        self.proc.kill()
        self.proc.wait()
        self.start()

    # --- the API, raw -------------------------------------------------------------------

    def request(self, method, path, body=None, token="config", headers=None):
        """Returns (status, parsed body or text, headers)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        tok = self.config["token"] if token == "config" else token
        if tok:
            req.add_header("Authorization", "Bearer " + tok)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        ctx = None
        if self.tls:
            ctx = ssl.create_default_context(cadata=self.config["ca"])
        try:
            with urllib.request.urlopen(req, timeout=30, context=ctx) as resp:
                raw = resp.read().decode()
                status, hdrs = resp.status, dict(resp.headers)
        except urllib.error.HTTPError as err:
            raw = err.read().decode()
            status, hdrs = err.code, dict(err.headers)
        try:
            return status, json.loads(raw), hdrs
        except ValueError:
            return status, raw, hdrs

    def control(self, what, **params):
        query = "&".join(f"{k}={v}" for k, v in params.items())
        status, body, _ = self.request("POST", f"/fake/{what}?{query}", token=None)
        assert status == 200, body
        return body

    def create_pod(self, name, command, labels=None, ns="default", grace=None):
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": name, "labels": labels or {}},
               "spec": {"restartPolicy": "Never",
                        "containers": [{"name": "workspace", "image": "debian",
                                        "command": command}]}}
        if grace is not None:
            pod["spec"]["terminationGracePeriodSeconds"] = grace
        status, body, _ = self.request("POST", f"/api/v1/namespaces/{ns}/pods", pod)
        assert status == 201, body
        return body

    def pod(self, name, ns="default"):
        status, body, _ = self.request("GET", f"/api/v1/namespaces/{ns}/pods/{name}")
        return body if status == 200 else None

    def watch_pod(self, name, predicate, ns="default", timeout=30, what=None):
        """Watches pod `name` (its current state first, as ADDED) until predicate(pod or None
        once DELETED) holds; returns what satisfied it. The server ends the watch at the
        deadline, and each read is bounded by it too."""
        deadline = time.monotonic() + timeout
        while True:
            left = int(deadline - time.monotonic())
            if left <= 0:
                raise AssertionError(f"timed out waiting for {what or 'pod ' + name}")
            req = urllib.request.Request(
                self.url + f"/api/v1/namespaces/{ns}/pods?watch=true&timeoutSeconds={left}"
                f"&fieldSelector=metadata.name%3D{name}")
            if self.config["token"]:
                req.add_header("Authorization", "Bearer " + self.config["token"])
            ctx = ssl.create_default_context(cadata=self.config["ca"]) if self.tls else None
            with urllib.request.urlopen(req, timeout=left + 5, context=ctx) as resp:
                for line in resp:
                    event = json.loads(line)
                    pod = None if event["type"] == "DELETED" else event["object"]
                    if event["type"] in ("ADDED", "MODIFIED", "DELETED") and predicate(pod):
                        return pod if pod is not None else True
            # A clean end before the deadline (the server's timeout): watch again.

    def wait_phase(self, name, phase, ns="default", timeout=30):
        return self.watch_pod(name, lambda p: p is not None and p["status"].get("phase") == phase,
                              ns, timeout, f"pod {name} {phase}")

    def audit_lines(self):
        if not self.audit.exists():
            return []
        return [json.loads(line) for line in self.audit.read_text().splitlines() if line]

    # --- kubectl ------------------------------------------------------------------------

    def env(self):
        env = dict(os.environ)
        env.update(HOME=str(self.home), KUBECONFIG=str(self.kubeconfig))
        return env

    def kubectl(self, *args, input=None, timeout=60):
        return subprocess.run([KUBECTL, *args], input=input, capture_output=True, text=True,
                              env=self.env(), timeout=timeout)
