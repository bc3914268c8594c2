"""Fixtures of the replica suites: several real codeyard-server processes on one host that
share one PostgreSQL database (`--storage`), one executor state (`--data`) and one secret,
each with its own `server.replica_id`, as docs/configuration.md says replicas are started.

Each test module gets a fresh database on the PostgreSQL server named by
$CODEYARD_TEST_POSTGRES_URI (scripts/test starts one); a missing URI fails the suite, never
skips it.
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "server"))

from test_server import Server  # noqa: E402

PG_URI = os.environ.get("CODEYARD_TEST_POSTGRES_URI", "")
if not PG_URI:
    raise RuntimeError("CODEYARD_TEST_POSTGRES_URI is not set (run via ./scripts/test or ctest "
                       "with a PostgreSQL server)")

# Short leases so that a takeover after kill -9 is seconds, not the default's tens of seconds.
LEASE_S = 3
REPLICA_SETTINGS = [
    "--set", f"workspace.lease_s={LEASE_S}",
    "--set", "executor.pool_size=0",
    # 50 terminals at once: many pods, each reserving the default 1 GiB limit.
    "--set", "workspace.max_running_per_user=64",
    "--set", "workspace.max_running_total=128",
    "--set", f"workspace.memory_capacity_bytes={128 << 30}",
    "--set", "terminal.max_viewers_per_user=256",
]


def fresh_database():
    name = "replicas_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", PG_URI, "-q", "-c", f"CREATE DATABASE {name}"], check=True,
                   capture_output=True)
    parts = urlsplit(PG_URI)
    return urlunsplit(parts._replace(path="/" + name))


class Cluster:
    """Replicas named a, b, ... over one database and one data directory."""

    def __init__(self, tmp_path, extra_args=()):
        self.tmp_path = tmp_path
        self.storage = fresh_database()
        self.data_dir = tmp_path / "data"
        self.data_dir.mkdir()
        self.extra_args = list(extra_args)
        self.replicas = {}
        self._starts = 0

    def start(self, name, *more_args):
        self._starts += 1
        run_dir = self.tmp_path / f"{name}-{self._starts}"
        run_dir.mkdir()
        server = Server(run_dir, "--data", str(self.data_dir), "--storage", self.storage,
                        "--set", f"server.replica_id={name}", *REPLICA_SETTINGS,
                        *self.extra_args, *more_args, data_flag=False)
        self.replicas[name] = server
        return server

    def kill9(self, name):
        server = self.replicas.pop(name)
        server.stop(sig=9)
        return server

    def stop(self, name):
        server = self.replicas.pop(name)
        code, _ = server.stop(timeout=60)
        assert code == 0, server.stderr()
        return server

    def stop_all(self):
        for name in list(self.replicas):
            self.replicas.pop(name).stop(timeout=60)

    def pod_dirs(self):
        """The pods on the shared executor state (one directory per pod)."""
        state = self.data_dir / "pods"
        if not state.is_dir():
            return []
        return sorted(p.name for p in state.iterdir() if p.is_dir() and not p.name.startswith("."))


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(tmp_path)
    yield c
    c.stop_all()


@pytest.fixture
def kube_cluster(tmp_path):
    """Replicas on the k8s: executor against a codeyard-kube-fake of their own: (cluster, fake)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "kube"))
    from executor_kube_fake import KubeFake  # noqa: E402  (tests/kube, on the path above)

    fake = KubeFake(tmp_path)
    cluster = Cluster(tmp_path, extra_args=["--executor", fake.executor_uri()])
    yield cluster, fake
    cluster.stop_all()
    fake.stop()
