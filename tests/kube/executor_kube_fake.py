"""codeyard-kube-fake for the k8s: executor's Python suites: started on a free loopback port
with its own state, kubeconfig and audit; stopped with SIGTERM. The server is given
`--executor` k8s:?kubeconfig=...&namespace=...&image=...&pod_binary=<build>/codeyard-pod, so
the fake's pods run the freshly built init (the fake binds its own directory into each)."""

import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

FAKE_BIN = os.environ.get("CODEYARD_KUBE_FAKE_BIN", "")
NAMESPACE = "codeyard-workspaces"
START_DEADLINE_S = 60


class KubeFake:
    def __init__(self, tmp_path, extra_args=()):
        if not FAKE_BIN:
            raise RuntimeError("CODEYARD_KUBE_FAKE_BIN is not set (ctest sets it)")
        self.dir = tmp_path / "kube-fake"
        self.dir.mkdir()
        self.kubeconfig = self.dir / "kubeconfig"
        self.audit = self.dir / "audit.jsonl"
        self._log = open(self.dir / "fake.log", "wb")
        self.proc = subprocess.Popen(
            [FAKE_BIN, "--listen", "127.0.0.1:0", "--kubeconfig-out", str(self.kubeconfig),
             "--audit-out", str(self.audit), "--state", str(self.dir / "state"),
             "--namespace", NAMESPACE, *extra_args],
            stdout=subprocess.DEVNULL, stderr=self._log)
        deadline = time.monotonic() + START_DEADLINE_S
        while not self.kubeconfig.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail("codeyard-kube-fake did not start: " + self.log())
            time.sleep(0.02)

    def executor_uri(self):
        pod_binary = Path(FAKE_BIN).parent / "codeyard-pod"
        return (f"k8s:?kubeconfig={self.kubeconfig}&namespace={NAMESPACE}&image=ws:test"
                f"&pod_binary={pod_binary}")

    def get(self, path):
        """GET `path` on the fake's API, with the kubeconfig's server and token; the JSON."""
        text = self.kubeconfig.read_text()
        url = re.search(r"server: (\S+)", text).group(1)
        token = re.search(r"token: (\S+)", text)
        req = urllib.request.Request(url + path)
        if token:
            req.add_header("Authorization", "Bearer " + token.group(1))
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.load(resp)

    def log(self):
        return (self.dir / "fake.log").read_bytes().decode("utf-8", errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=60)
        self._log.close()
