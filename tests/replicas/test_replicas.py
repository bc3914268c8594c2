"""Two codeyard-server replicas on one PostgreSQL and one executor state (issue 14): any
replica serves any workspace, the limits hold across them, and when one dies (kill -9) the
others take its workspaces over within the lease time, with no stored file lost and no
second pod."""

import asyncio
import time

from api_client import call, create_workspace, error_code, register, wait_for
from conftest import LEASE_S, Cluster
from terminal_client import Terminal

TAKEOVER_DEADLINE_S = 3 * LEASE_S + 10


def put_file(server, token, ws, path, text):
    status, _, doc = call(server, "PUT", f"/workspaces/{ws}/files/{path}", token=token,
                          body=text.encode())
    assert status in (200, 201), doc


def get_file(server, token, ws, path):
    status, _, body = call(server, "GET", f"/workspaces/{ws}/files/{path}", token=token)
    assert status == 200, body
    return body.decode() if isinstance(body, bytes) else body


def exec_in(server, token, ws, *argv):
    status, _, doc = call(server, "POST", f"/workspaces/{ws}/exec", token=token,
                          json_body={"argv": list(argv)})
    return status, doc


def sh(server, token, ws, script):
    status, doc = exec_in(server, token, ws, "sh", "-c", script)
    assert status == 200 and doc["exit_code"] == 0, (status, doc)
    return doc["stdout"]


def start(server, token, ws):
    return call(server, "POST", f"/workspaces/{ws}/start", token=token)


def state_of(server, token, ws):
    status, _, doc = call(server, "GET", f"/workspaces/{ws}", token=token)
    assert status == 200, doc
    return doc["state"]


def test_a_workspace_opened_through_a_is_served_through_b(cluster):
    a, b = cluster.start("a"), cluster.start("b")
    token = register(a)["access_token"]
    ws = create_workspace(a, token)["id"]
    put_file(a, token, ws, "hello.txt", "stored through a\n")
    status, _, doc = start(a, token, ws)
    assert status == 200, doc
    # /tmp is the pod's own and never synced: seeing it through b proves b uses a's pod.
    sh(a, token, ws, "echo pod-of-a > /tmp/marker")

    assert sh(b, token, ws, "cat hello.txt /tmp/marker") == "stored through a\npod-of-a\n"
    sh(b, token, ws, "echo made through b > made.txt")
    assert get_file(a, token, ws, "made.txt") == "made through b\n"
    assert state_of(b, token, ws) == "running"
    assert len(cluster.pod_dirs()) == 1


def test_the_terminal_through_b_is_the_shell_opened_through_a(cluster):
    a, b = cluster.start("a"), cluster.start("b")
    token = register(a)["access_token"]
    ws = create_workspace(a, token)["id"]

    async def scenario():
        ta = await Terminal.open(a, ws, token)
        await ta.wait_state("running")
        assert ta.statuses[-1]["started"] is True
        await ta.type("export CY_SHARED=m$((40+2))x\r")
        tb = await Terminal.open(b, ws, token)
        await tb.wait_state("running")
        assert tb.statuses[-1]["started"] is False  # b attached to the shell a started
        start_a, start_b = len(ta.output), len(tb.output)
        await tb.type("echo shared:$CY_SHARED\r")
        # Typed through b, expanded by the shell a started, seen by both viewers.
        await tb.wait_output("shared:m42x", after=start_b)
        await ta.wait_output("shared:m42x", after=start_a)
        await ta.close()
        await tb.close()

    asyncio.run(scenario())
    assert len(cluster.pod_dirs()) == 1


def test_running_limits_hold_across_replicas(tmp_path):
    cluster = Cluster(tmp_path, ["--set", "workspace.max_running_per_user=1"])
    try:
        a, b = cluster.start("a"), cluster.start("b")
        token = register(a)["access_token"]
        first = create_workspace(a, token)["id"]
        second = create_workspace(b, token)["id"]
        status, _, doc = start(a, token, first)
        assert status == 200, doc
        status, headers, doc = start(b, token, second)
        assert status == 429, doc
        assert error_code(doc) == "resource_exhausted"
        assert "workspace.max_running_per_user" in doc["error"]["message"]
        assert int(headers["Retry-After"]) >= 1
        # Stopping the first through b frees the slot for the second through a.
        status, _, doc = call(b, "POST", f"/workspaces/{first}/stop", token=token)
        assert status == 200, doc
        status, _, doc = start(a, token, second)
        assert status == 200, doc
    finally:
        cluster.stop_all()


def test_kill_9_of_a_replica_hands_its_workspaces_to_another(cluster):
    a, b = cluster.start("a"), cluster.start("b")
    token = register(a)["access_token"]
    workspaces = [create_workspace(a, token)["id"] for _ in range(2)]
    for i, ws in enumerate(workspaces):
        put_file(a, token, ws, "stored.txt", f"stored {i}\n")
        status, _, doc = start(a, token, ws)
        assert status == 200, doc
        sh(a, token, ws, f"echo pod {i} > /tmp/marker && echo made in pod {i} > made.txt")
    assert len(cluster.pod_dirs()) == 2

    cluster.kill9("a")
    killed = time.monotonic()
    for i, ws in enumerate(workspaces):
        # Same pod (its /tmp survived), every stored file still there.
        assert sh(b, token, ws, "cat /tmp/marker stored.txt made.txt") == (
            f"pod {i}\nstored {i}\nmade in pod {i}\n")
        assert get_file(b, token, ws, "stored.txt") == f"stored {i}\n"
        assert get_file(b, token, ws, "made.txt") == f"made in pod {i}\n"
    # b takes the leases over once they expire: stopping needs the lease, and syncs.
    for ws in workspaces:
        sh(b, token, ws, "echo after the takeover > late.txt")

        def stopped():
            status, _, _ = call(b, "POST", f"/workspaces/{ws}/stop", token=token)
            return status == 200

        wait_for(stopped, TAKEOVER_DEADLINE_S, "b stops a workspace a held")
        assert get_file(b, token, ws, "late.txt") == "after the takeover\n"
    assert time.monotonic() - killed < TAKEOVER_DEADLINE_S
    wait_for(lambda: cluster.pod_dirs() == [], 10, "the stopped pods are deleted")


def test_the_reaper_stops_an_idle_workspace_whose_replica_died(tmp_path):
    cluster = Cluster(tmp_path, ["--set", "workspace.idle_timeout_s=10"])
    try:
        a, b = cluster.start("a"), cluster.start("b")
        token = register(a)["access_token"]
        ws = create_workspace(a, token)["id"]
        status, _, doc = start(a, token, ws)
        assert status == 200, doc
        sh(a, token, ws, "echo unsaved until the reaper syncs > reaped.txt && rm -f x")
        cluster.kill9("a")
        wait_for(lambda: state_of(b, token, ws) == "stopped", 10 + TAKEOVER_DEADLINE_S,
                 "b's reaper stops the idle workspace of the dead replica")
        assert get_file(b, token, ws, "reaped.txt") == "unsaved until the reaper syncs\n"
        wait_for(lambda: cluster.pod_dirs() == [], 10, "the reaped pod is deleted")
    finally:
        cluster.stop_all()
