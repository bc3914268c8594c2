"""Two codeyard-server replicas with `executor.uri=k8s:` against codeyard-kube-fake and one
PostgreSQL (issue 18): any replica serves any workspace (exec, files, the same terminal
shell) through the exec API, kill -9 of the replica holding it is survived, with one pod
and no stored file lost, and the per-user limits hold across both replicas."""

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "kube"))

from api_client import call, create_workspace, register, wait_for  # noqa: E402
from conftest import LEASE_S, Cluster  # noqa: E402
from executor_kube_fake import NAMESPACE, KubeFake  # noqa: E402
from terminal_client import Terminal  # noqa: E402

TAKEOVER_DEADLINE_S = 3 * LEASE_S + 30


def running_pods(fake, ws):
    items = fake.get(f"/api/v1/namespaces/{NAMESPACE}/pods"
                     f"?labelSelector=codeyard.dev%2Fworkspace%3D{ws}")["items"]
    return [p["metadata"]["name"] for p in items
            if "deletionTimestamp" not in p["metadata"] and p["status"].get("phase") == "Running"]


def sh(server, token, ws, script):
    status, _, doc = call(server, "POST", f"/workspaces/{ws}/exec", token=token,
                          json_body={"argv": ["sh", "-c", script]})
    assert status == 200 and doc["exit_code"] == 0, (status, doc)
    return doc["stdout"]


async def in_terminal(server, ws, token, line, needle):
    t = await Terminal.open(server, ws, token)
    await t.wait_state("running")
    start = len(t.output)
    await t.type(line + "\r")
    await t.wait_output(needle, after=start)
    await t.close()


def test_any_replica_serves_a_k8s_workspace_and_kill9_is_survived(kube_cluster):
    cluster, fake = kube_cluster
    a, b = cluster.start("a"), cluster.start("b")
    token = register(a)["access_token"]
    ws = create_workspace(a, token)["id"]
    status, _, doc = call(a, "PUT", f"/workspaces/{ws}/files/kept.txt", token=token,
                          body=b"stored through a\n")
    assert status in (200, 201), doc
    status, _, doc = call(a, "POST", f"/workspaces/{ws}/start", token=token)
    assert status == 200, doc
    pods = running_pods(fake, ws)
    assert len(pods) == 1, pods

    # /tmp is the pod's own, never synced: seeing a's marker through b proves one pod.
    sh(a, token, ws, "echo pod-of-a > /tmp/marker")
    assert sh(b, token, ws, "cat kept.txt /tmp/marker") == "stored through a\npod-of-a\n"
    # The same terminal shell from either replica: it lives in the pod.
    asyncio.run(in_terminal(a, ws, token, "export MARK=set-through-a; echo ok-$((1+1))", "ok-2"))
    asyncio.run(in_terminal(b, ws, token, "echo mark=$MARK", "mark=set-through-a"))
    assert running_pods(fake, ws) == pods

    # kill -9 of a: b takes the workspace over within the lease, on the same pod or a new one.
    cluster.kill9("a")

    def served_by_b():
        status, _, doc = call(b, "POST", f"/workspaces/{ws}/exec", token=token,
                              json_body={"argv": ["cat", "kept.txt"]})
        return status == 200 and doc.get("stdout") == "stored through a\n"

    wait_for(served_by_b, TAKEOVER_DEADLINE_S, "b serving the workspace after a's kill -9")
    wait_for(lambda: len(running_pods(fake, ws)) == 1, TAKEOVER_DEADLINE_S,
             "one running pod for the workspace")
    # b's writes land in storage as before.
    sh(b, token, ws, "echo after > after.txt")
    wait_for(lambda: call(b, "GET", f"/workspaces/{ws}/files/after.txt", token=token)[2]
             == b"after\n", TAKEOVER_DEADLINE_S, "after.txt stored")


def test_running_limits_hold_across_k8s_replicas(tmp_path):
    fake = KubeFake(tmp_path)
    cluster = Cluster(tmp_path, extra_args=["--executor", fake.executor_uri(),
                                            "--set", "workspace.max_running_per_user=1"])
    try:
        a, b = cluster.start("a"), cluster.start("b")
        token = register(a)["access_token"]
        first = create_workspace(a, token)["id"]
        second = create_workspace(b, token)["id"]
        status, _, doc = call(a, "POST", f"/workspaces/{first}/start", token=token)
        assert status == 200, doc
        assert len(running_pods(fake, first)) == 1
        # The second start, through the other replica, is refused, and makes no pod.
        status, headers, doc = call(b, "POST", f"/workspaces/{second}/start", token=token)
        assert status == 429, doc
        assert doc["error"]["code"] == "resource_exhausted"
        assert "workspace.max_running_per_user" in doc["error"]["message"]
        assert int(headers["Retry-After"]) >= 1
        assert running_pods(fake, second) == []
        # Stopping the first through b frees the slot for the second through a; the first's
        # pod is deleted from the API server.
        status, _, doc = call(b, "POST", f"/workspaces/{first}/stop", token=token)
        assert status == 200, doc
        wait_for(lambda: running_pods(fake, first) == [], 60, "the first workspace's pod deleted")
        status, _, doc = call(a, "POST", f"/workspaces/{second}/start", token=token)
        assert status == 200, doc
        assert len(running_pods(fake, second)) == 1
        assert sh(b, token, second, "echo served") == "served\n"
    finally:
        cluster.stop_all()
        fake.stop()
