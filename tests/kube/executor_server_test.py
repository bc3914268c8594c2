"""codeyard-server with `--executor k8s:?kubeconfig=FILE&namespace=NS&image=IMAGE` against
codeyard-kube-fake: a workspace's pod is a Kubernetes pod (labelled, with its home volume),
and exec, files and the terminal work through the exec API as on the local backend."""

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "server"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from api_client import call, create_workspace, register  # noqa: E402
from executor_kube_fake import NAMESPACE, KubeFake  # noqa: E402
from terminal_client import Terminal  # noqa: E402
from test_server import Server  # noqa: E402


@pytest.fixture
def fake(tmp_path):
    f = KubeFake(tmp_path)
    yield f
    f.stop()


@pytest.fixture
def server(tmp_path, fake):
    s = Server(tmp_path, "--executor", fake.executor_uri(), "--set", "executor.pool_size=0")
    yield s
    code, _ = s.stop(timeout=60)
    assert code == 0, s.stderr()



def exec_in(server, token, ws, *argv):
    status, _, doc = call(server, "POST", f"/workspaces/{ws}/exec", token=token,
                          json_body={"argv": list(argv)})
    assert status == 200, doc
    return doc


def test_a_workspace_runs_in_a_kubernetes_pod(server, fake):
    token = register(server)["access_token"]
    ws = create_workspace(server, token)["id"]
    status, _, doc = call(server, "PUT", f"/workspaces/{ws}/files/hello.txt", token=token,
                          body=b"stored before start\n")
    assert status in (200, 201), doc
    status, _, doc = call(server, "POST", f"/workspaces/{ws}/start", token=token)
    assert status == 200, doc

    pods = fake.get(f"/api/v1/namespaces/{NAMESPACE}/pods?labelSelector="
                   f"codeyard.dev%2Fworkspace%3D{ws}")["items"]
    running = [p for p in pods if "deletionTimestamp" not in p["metadata"]]
    assert len(running) == 1, pods
    labels = running[0]["metadata"]["labels"]
    assert labels["app.kubernetes.io/managed-by"] == "codeyard"
    assert labels["codeyard.dev/network"] in ("none", "egress")
    claim = fake.get(f"/api/v1/namespaces/{NAMESPACE}/persistentvolumeclaims/cy-home-{ws}")
    assert claim["metadata"]["labels"]["codeyard.dev/workspace"] == ws

    # Files synced into the pod, and exec through the exec API.
    doc = exec_in(server, token, ws, "cat", "hello.txt")
    assert doc["exit_code"] == 0 and doc["stdout"] == "stored before start\n", doc
    doc = exec_in(server, token, ws, "sh", "-c", "echo made in the pod > made.txt; exit 3")
    assert doc["exit_code"] == 3, doc
    status, _, body = call(server, "GET", f"/workspaces/{ws}/files/made.txt", token=token)
    assert status == 200 and body == b"made in the pod\n", body

    async def terminal():
        t = await Terminal.open(server, ws, token)
        await t.wait_state("running")
        start = len(t.output)
        await t.type("echo term-$((6*7))\r")
        await t.wait_output("term-42", after=start)
        await t.close()

    asyncio.run(terminal())

    # Deleting the workspace deletes its pod and its home volume.
    status, _, doc = call(server, "DELETE", f"/workspaces/{ws}", token=token)
    assert status in (200, 204), doc
    try:
        fake.get(f"/api/v1/namespaces/{NAMESPACE}/persistentvolumeclaims/cy-home-{ws}")
        assert False, "the home volume outlived its workspace"
    except urllib.error.HTTPError as e:
        assert e.code == 404


def error_of(status, doc, want_status=400):
    assert status == want_status, doc
    assert doc["error"]["code"] == "invalid_argument", doc
    return doc["error"]["message"]


def test_an_image_the_uri_does_not_map_is_refused_when_named(server):
    """Issue 18 item 2: on k8s: a workspace or job naming an image the executor URI does not
    map is refused at creation, naming it, not later at the pod's image pull."""
    token = register(server)["access_token"]
    status, _, doc = call(server, "POST", "/workspaces", token=token,
                          json_body={"name": "ws-img", "image": "nope"})
    assert '"nope"' in error_of(status, doc)
    status, _, doc = call(server, "POST", "/jobs", token=token,
                          json_body={"language": "python", "files": {"main.py": "print(1)"},
                                     "image": "nope"})
    assert "nope" in error_of(status, doc)
    # Nothing was made: no workspace row, no pod.
    status, _, doc = call(server, "GET", "/workspaces", token=token)
    assert status == 200 and not any(w["name"] == "ws-img" for w in doc["items"]), doc


def test_gc_sweeps_what_deleted_workspaces_left_on_kubernetes(server, fake):
    """Issue 18 item 6: `codeyard gc` deletes the home volumes and pods of workspaces that no
    longer exist (found by codeyard's labels) and reports how many; the live one stays."""

    token = register(server)["access_token"]
    kept = create_workspace(server, token)["id"]
    lost = create_workspace(server, token)["id"]
    for ws in (kept, lost):
        status, _, doc = call(server, "POST", f"/workspaces/{ws}/start", token=token)
        assert status == 200, doc
    status, _, doc = call(server, "POST", f"/workspaces/{kept}/stop", token=token)
    assert status == 200, doc
    # The lost workspace's row goes behind the library's back while the server runs: its
    # running pod and its home volume are left with nothing naming them.
    db = sqlite3.connect(server.data_dir / "codeyard.db", timeout=30)
    with db:
        db.execute("DELETE FROM workspaces WHERE id = ?", (lost,))
    db.close()

    def claims():
        items = fake.get(f"/api/v1/namespaces/{NAMESPACE}/persistentvolumeclaims")["items"]
        return sorted(c["metadata"]["labels"]["codeyard.dev/workspace"] for c in items
                      if "deletionTimestamp" not in c["metadata"])

    assert claims() == sorted([kept, lost])
    cli = os.environ["CODEYARD_CLI_BIN"]
    r = subprocess.run([cli, "gc", "--json", "--data", str(server.data_dir),
                        "--executor", fake.executor_uri()],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    counts = json.loads(r.stdout)
    assert counts["orphan_volumes"] == 1, counts
    assert counts["orphan_pods"] == 1, counts
    assert claims() == [kept]
    pods = fake.get(f"/api/v1/namespaces/{NAMESPACE}/pods?labelSelector="
                   f"codeyard.dev%2Fworkspace%3D{lost}")["items"]
    assert all("deletionTimestamp" in p["metadata"] for p in pods), pods
    # A second pass finds nothing more.
    r = subprocess.run([cli, "gc", "--json", "--data", str(server.data_dir),
                        "--executor", fake.executor_uri()],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["orphan_volumes"] == 0
