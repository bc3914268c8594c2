"""The fault cases reuse the server suites' helpers (tests/server) and own their PostgreSQL."""

import os
import pathlib
import shlex
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "server"))

import pytest  # noqa: E402

SCRIPTS_LIB = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "lib" / "postgres.sh"


class PostgresCluster:
    """A throwaway PostgreSQL of its own (scripts/lib/postgres.sh starts it), so that a test
    may stop and start it under load without touching anyone else's database."""

    def __init__(self):
        out = subprocess.run(
            ["bash", "-c", f"source {shlex.quote(str(SCRIPTS_LIB))} && pg_start >/dev/null && "
                           "echo \"$PG_URI\" && echo \"$PG_DIR\" && echo \"$PG_BIN\""],
            check=True, capture_output=True, text=True).stdout.split()
        self.uri, self.dir, self.bin = out[0], out[1], out[2]
        self.port = self.uri.rsplit(":", 1)[1].split("/")[0]

    def _ctl(self, *args):
        cmd = [f"{self.bin}/pg_ctl", "-D", f"{self.dir}/data", *args]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True)

    def stop(self):
        self._ctl("-m", "fast", "-w", "stop")

    def start(self):
        self._ctl("-l", f"{self.dir}/server.log", "-w", "-t", "60", "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                  "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
                  "start")

    def destroy(self):
        subprocess.run(["bash", "-c", f"source {shlex.quote(str(SCRIPTS_LIB))} && "
                                      f"PG_DIR={shlex.quote(self.dir)} && pg_stop"], check=False)


@pytest.fixture
def postgres():
    cluster = PostgresCluster()
    yield cluster
    cluster.destroy()
