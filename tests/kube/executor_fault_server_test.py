"""codeyard-server on `k8s:` against codeyard-kube-fake while the cluster misbehaves: a
workspace's pod evicted under a running terminal (the node ran low on memory) closes the
terminal as a lost shell, and the workspace starts again with its files from storage."""

import asyncio
import json
import re
import sys
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "server"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from api_client import call, create_workspace, register  # noqa: E402
from executor_kube_fake import NAMESPACE, KubeFake  # noqa: E402
from terminal_client import Terminal, marker_echo  # noqa: E402
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


def fake_url(fake):
    return re.search(r"server: (\S+)", fake.kubeconfig.read_text()).group(1)


def api(fake, method, path):
    """A request to the fake API server (its /fake/ faults need no token; it has none)."""
    req = urllib.request.Request(fake_url(fake) + path, method=method,
                                 data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


def workspace_pods(fake, ws):
    pods = api(fake, "GET", f"/api/v1/namespaces/{NAMESPACE}/pods?labelSelector="
               f"codeyard.dev%2Fworkspace%3D{ws}")["items"]
    return [p for p in pods
            if "deletionTimestamp" not in p["metadata"] and p["status"].get("phase") == "Running"]


def test_an_evicted_pod_closes_its_terminal_and_the_workspace_comes_back_from_storage(
        server, fake):
    token = register(server)["access_token"]
    ws = create_workspace(server, token)["id"]
    status, _, doc = call(server, "POST", f"/workspaces/{ws}/start", token=token)
    assert status == 200, doc
    [pod] = workspace_pods(fake, ws)
    first_pod = pod["metadata"]["name"]

    async def scenario():
        term = await Terminal.open(server, ws, token)
        await marker_echo(term, "up")
        start = len(term.output)
        await term.type("echo 'written in the terminal' > kept.txt && echo done_$((6*7))\r")
        await term.wait_output("done_42", after=start)
        # Synced into storage: an exec stores what the pod holds before it answers.
        status, _, doc = call(server, "POST", f"/workspaces/{ws}/exec", token=token,
                              json_body={"argv": ["true"]})
        assert status == 200, doc
        status, _, body = call(server, "GET", f"/workspaces/{ws}/files/kept.txt", token=token)
        assert status == 200 and body == b"written in the terminal\n", body

        # The "cluster" evicts the pod: its processes die, it goes Failed/Evicted, then away.
        assert api(fake, "POST", f"/fake/evict?namespace={NAMESPACE}&name={first_pod}") == {
            "evicted": first_pod}
        code, reason = await term.wait_closed()
        # The shell's stream ended with no exit report: the session waits (KubePod::kLostNotice,
        # woken by the pod-gone watch) until the executor knows the pod gone, so 1001 however
        # long the watch took to tell, not only within the terminal's 1 s grace.
        assert (code, reason) == (1001, "the workspace stopped")

        again = await Terminal.open(server, ws, token)
        start = len(again.output)
        await again.type("cat kept.txt; echo read_$((6*7))\r")
        await again.wait_output("read_42", after=start)
        out = bytes(again.output[start:])
        await again.close()
        return out

    out = asyncio.run(scenario())
    assert b"written in the terminal" in out, out
    [pod] = workspace_pods(fake, ws)
    assert pod["metadata"]["name"] != first_pod
