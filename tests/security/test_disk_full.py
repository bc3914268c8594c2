"""Issue 13 item 15: a full disk under the data directory.

A 4 MiB tmpfs is the data directory. Writes fill it until storage answers 503 "storage is
full" (not 429: the caller did nothing wrong); readiness says not ready; deletes still work,
also after a restart on the full disk (SQLite in WAL mode needs room for its -wal file: the
backend's reserve file is released when the disk fills); once the operator frees space, the
next probe notices, readiness comes back and writes work again.
"""

import os
import subprocess

import pytest

from api_client import call, create_workspace, error_code, register, wait_for
from test_server import Server

RESERVE = 1 << 20
CHUNK = 192 * 1024


@pytest.fixture
def small_disk(tmp_path):
    if os.geteuid() != 0:
        raise RuntimeError("the disk-full test mounts a tmpfs and needs root")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(mnt)],
                   check=True)
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def start(tmp_path, mnt, n):
    home = tmp_path / f"run{n}"
    home.mkdir()
    return Server(home, "--data-dir", str(mnt),
                  "--set", f"storage.uri=sqlite://{mnt}/codeyard.db?reserve_bytes={RESERVE}",
                  "--set", "storage.min_free_bytes=65536", data_flag=False)


def ready(server):
    status, _, doc = call(server, "GET", "/ready")
    return status, doc


def put(server, token, ws, name):
    return call(server, "PUT", f"/workspaces/{ws}/files/{name}", token=token,
                body=os.urandom(CHUNK))


def test_disk_full_answers_503_keeps_deletes_and_recovers(tmp_path, small_disk):
    # Room the operator can give back at the end (logs, a core dump, ...).
    ballast = small_disk / "ballast"
    ballast.write_bytes(b"\0" * (1536 * 1024))
    server = start(tmp_path, small_disk, 0)
    try:
        assert (small_disk / "codeyard.db.reserve").stat().st_size == RESERVE
        assert ready(server)[0] == 200
        token = register(server)["access_token"]
        ws = create_workspace(server, token)["id"]
        written = []
        for i in range(64):
            status, headers, doc = put(server, token, ws, f"f{i}.bin")
            if status not in (200, 201):
                break
            written.append(f"f{i}.bin")
        assert status == 503, (status, doc)
        assert error_code(doc) == "unavailable"
        assert "storage is full" in doc["error"]["message"]
        assert len(written) >= 2
        assert not (small_disk / "codeyard.db.reserve").exists()
        status, doc = ready(server)
        assert status == 503 and "full" in doc["error"]["message"], doc
        status, _, doc = call(server, "DELETE", f"/workspaces/{ws}/files/{written.pop()}",
                              token=token)
        assert status == 204, doc
    finally:
        server.stop()

    # A restart on the full disk: it starts, says it is not ready, and deletes work.
    server = start(tmp_path, small_disk, 1)
    try:
        assert ready(server)[0] == 503
        status, _, doc = call(server, "DELETE", f"/workspaces/{ws}/files/{written.pop()}",
                              token=token)
        assert status == 204, doc
        status, _, doc = call(server, "GET", f"/workspaces/{ws}/tree", token=token)
        assert status == 200
        # The operator frees space: the next probe notices; writes work again.
        ballast.unlink()
        wait_for(lambda: ready(server)[0] == 200, 10, "ready again once space is freed")
        assert (small_disk / "codeyard.db.reserve").exists()
        status, _, doc = put(server, token, ws, "after.bin")
        assert status in (200, 201), doc
    finally:
        server.stop()
