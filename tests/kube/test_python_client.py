"""Debian's python3-kubernetes (22.6, WebSocket v4 exec) against codeyard-kube-fake: CRUD with
the API's Status errors, selectors, watch with 410 handling, exec with returncode, logs,
PVCs, patches, and the fake's fault endpoints (429, compaction, eviction, restart, token
rotation over TLS)."""

import json
import sys
import threading
import time
from pathlib import Path

import pytest

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client, config, watch  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402
from kubernetes.stream import stream  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kube_fake"))
from fakeserver import BIN, Fake  # noqa: E402

SLEEPER = ["sh", "-c", "echo started; exec sleep 1000"]


def api_for(fake):
    cfg = client.Configuration()
    config.load_kube_config(config_file=str(fake.kubeconfig), client_configuration=cfg)
    return client.CoreV1Api(client.ApiClient(cfg))


@pytest.fixture
def fake(tmp_path):
    f = Fake(tmp_path / "fake")
    yield f
    f.stop()


def pod_body(name, command=SLEEPER, labels=None):
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name, labels=labels or {}),
        spec=client.V1PodSpec(restart_policy="Never", containers=[
            client.V1Container(name="workspace", image="debian", command=command)]))


def watch_pods(api, predicate, what, timeout=30):
    """Waits with the client's own list+watch (no polling) until predicate(pods) holds,
    `pods` being the namespace's pods by name as the watch has them; returns its value."""
    deadline = time.monotonic() + timeout
    listed = api.list_namespaced_pod("default")
    pods = {p.metadata.name: p for p in listed.items}
    version = listed.metadata.resource_version
    while True:
        value = predicate(pods)
        if value:
            return value
        left = int(deadline - time.monotonic())
        if left <= 0:
            raise AssertionError(f"timed out waiting for {what}")
        w = watch.Watch()
        for event in w.stream(api.list_namespaced_pod, "default", resource_version=version,
                              timeout_seconds=left):
            pod = event["object"]
            version = pod.metadata.resource_version
            if event["type"] == "DELETED":
                pods.pop(pod.metadata.name, None)
            else:
                pods[pod.metadata.name] = pod
            if predicate(pods):
                w.stop()
                break


def wait_phase(api, name, phase):
    return watch_pods(api, lambda pods: name in pods and pods[name].status.phase == phase
                      and pods[name], what=f"{name} {phase}")


def wait_running(api, name):
    return wait_phase(api, name, "Running")


def test_create_read_list_delete_and_status_errors(fake):
    api = api_for(fake)
    created = api.create_namespaced_pod("default", pod_body("one", labels={"app": "x"}))
    assert created.metadata.uid and created.metadata.resource_version
    assert created.status.phase == "Pending"
    pod = wait_running(api, "one")
    assert pod.status.container_statuses[0].ready
    assert {c.type: c.status for c in pod.status.conditions}["Ready"] == "True"

    with pytest.raises(ApiException) as dup:
        api.create_namespaced_pod("default", pod_body("one"))
    assert dup.value.status == 409
    body = json.loads(dup.value.body)
    assert body["reason"] == "AlreadyExists" and body["message"] == 'pods "one" already exists'

    with pytest.raises(ApiException) as bad:
        api.create_namespaced_pod("default", pod_body("Bad_Name"))
    body = json.loads(bad.value.body)
    assert bad.value.status == 422 and body["reason"] == "Invalid"
    assert body["details"]["causes"][0]["field"] == "metadata.name"
    assert "a lowercase RFC 1123 subdomain" in body["message"]

    status, body, _ = fake.request("POST", "/api/v1/namespaces/default/pods", {
        "metadata": {"name": "nocontainer"}, "spec": {"containers": []}})
    assert status == 422 and body["details"]["causes"][0]["field"] == "spec.containers"
    status, body, _ = fake.request("POST", "/api/v1/namespaces/default/pods", {
        "metadata": {"name": "noimage"}, "spec": {"containers": [{"name": "workspace"}]}})
    assert status == 422 and body["details"]["causes"][0]["field"] == "spec.containers[0].image"

    with pytest.raises(ApiException) as missing:
        api.read_namespaced_pod("ghost", "default")
    body = json.loads(missing.value.body)
    assert missing.value.status == 404
    assert body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": 'pods "ghost" not found', "reason": "NotFound",
                    "details": {"name": "ghost", "kind": "pods"}, "code": 404}

    deleted = api.delete_namespaced_pod("one", "default", grace_period_seconds=1,
                                        propagation_policy="Background")
    assert deleted.metadata.deletion_timestamp is not None
    watch_pods(api, lambda pods: not pods, what="pod gone")


def test_label_and_field_selectors(fake):
    api = api_for(fake)
    for name, labels in (("a", {"app": "x", "tier": "web"}), ("b", {"app": "y"}), ("c", {})):
        api.create_namespaced_pod("default", pod_body(name, labels=labels))
    for name in "abc":
        wait_running(api, name)

    def names(**kw):
        return sorted(p.metadata.name for p in api.list_namespaced_pod("default", **kw).items)

    assert names(label_selector="app=x") == ["a"]
    assert names(label_selector="app==x") == ["a"]
    assert names(label_selector="app!=x") == ["b", "c"]
    assert names(label_selector="app in (x,y)") == ["a", "b"]
    assert names(label_selector="app notin (x)") == ["b", "c"]
    assert names(label_selector="app") == ["a", "b"]
    assert names(label_selector="!app") == ["c"]
    assert names(label_selector="app=x,tier=web") == ["a"]
    assert names(field_selector="metadata.name=b") == ["b"]
    assert names(field_selector="status.phase=Running") == ["a", "b", "c"]
    assert names(field_selector="status.phase!=Running") == []
    assert names(field_selector="metadata.namespace=default,metadata.name!=a") == ["b", "c"]


def test_watch_replays_from_a_version_and_handles_410(fake):
    api = api_for(fake)
    listed = api.list_namespaced_pod("default")
    rv = listed.metadata.resource_version
    api.create_namespaced_pod("default", pod_body("w1", labels={"app": "w"}))
    wait_running(api, "w1")

    seen = []
    for event in watch.Watch().stream(api.list_namespaced_pod, "default", resource_version=rv,
                                      label_selector="app=w", timeout_seconds=2):
        seen.append((event["type"], event["object"].status.phase))
    assert seen[0] == ("ADDED", "Pending")
    assert ("MODIFIED", "Running") in seen

    fake.control("compact")
    with pytest.raises(ApiException) as gone:
        for _ in watch.Watch().stream(api.list_namespaced_pod, "default", resource_version=rv,
                                      timeout_seconds=2):
            pass
    assert gone.value.status == 410 and "Expired" in gone.value.reason

    # The answer to 410: list again, then watch from the list's version.
    relisted = api.list_namespaced_pod("default")
    events = []

    def watcher():
        for event in watch.Watch().stream(api.list_namespaced_pod, "default",
                                          resource_version=relisted.metadata.resource_version,
                                          timeout_seconds=10):
            events.append((event["type"], event["object"].metadata.name))
            if event["type"] == "DELETED":
                return

    thread = threading.Thread(target=watcher)
    thread.start()
    api.delete_namespaced_pod("w1", "default", grace_period_seconds=0)
    thread.join(30)
    assert ("DELETED", "w1") in events
    assert all(name == "w1" for _, name in events)


def test_watch_timeout_ends_cleanly_and_sends_bookmarks_only_when_asked(fake):
    status, body, _ = fake.request(
        "GET", "/api/v1/namespaces/default/pods?watch=True&timeoutSeconds=1&resourceVersion=0")
    assert status == 200 and body == ""  # no pods: nothing, then a clean end
    status, body, _ = fake.request(
        "GET", "/api/v1/namespaces/default/pods?watch=1&timeoutSeconds=1&allowWatchBookmarks=true")
    assert status == 200
    bookmark = body if isinstance(body, dict) else json.loads(body.splitlines()[-1])
    assert bookmark["type"] == "BOOKMARK" and bookmark["object"]["kind"] == "Pod"
    listed = fake.request("GET", "/api/v1/namespaces/default/pods")[1]
    assert bookmark["object"]["metadata"]["resourceVersion"] == listed["metadata"]["resourceVersion"]


def test_exec_stream_returncode_and_output(fake):
    api = api_for(fake)
    api.create_namespaced_pod("default", pod_body("ex"))
    wait_running(api, "ex")
    out = stream(api.connect_get_namespaced_pod_exec, "ex", "default",
                 command=["sh", "-c", "echo hi; echo oops >&2"], stderr=True, stdin=False,
                 stdout=True, tty=False)
    assert "hi" in out and "oops" in out

    resp = stream(api.connect_get_namespaced_pod_exec, "ex", "default",
                  command=["sh", "-c", "echo partial; exit 4"], stderr=True, stdin=False,
                  stdout=True, tty=False, _preload_content=False)
    resp.run_forever(timeout=30)
    assert resp.read_stdout() == "partial\n"
    assert resp.returncode == 4

    # stdin as text frames (Python sends str data that way); v4 has no EOF, so head ends it.
    resp = stream(api.connect_get_namespaced_pod_exec, "ex", "default",
                  command=["head", "-c", "5"], stderr=True, stdin=True, stdout=True, tty=False,
                  _preload_content=False)
    resp.write_stdin("abcde")
    resp.run_forever(timeout=30)
    assert resp.read_stdout() == "abcde"
    assert resp.returncode == 0


def test_logs_and_pvcs_and_patches(fake):
    api = api_for(fake)
    api.create_namespaced_pod("default", pod_body("logger", ["sh", "-c", "echo a; echo b"]))
    wait_phase(api, "logger", "Succeeded")
    pod = api.read_namespaced_pod("logger", "default")
    assert pod.status.container_statuses[0].state.terminated.exit_code == 0
    assert api.read_namespaced_pod_log("logger", "default") == "a\nb\n"
    assert api.read_namespaced_pod_log("logger", "default", tail_lines=1) == "b\n"

    pvc = api.create_namespaced_persistent_volume_claim("default", client.V1PersistentVolumeClaim(
        metadata=client.V1ObjectMeta(name="home", labels={"app": "x"}),
        spec=client.V1PersistentVolumeClaimSpec(
            access_modes=["ReadWriteOnce"],
            resources=client.V1ResourceRequirements(requests={"storage": "1Gi"}))))
    assert pvc.status.phase == "Bound" and pvc.status.capacity["storage"] == "1Gi"
    with pytest.raises(ApiException) as invalid:
        api.create_namespaced_persistent_volume_claim("default", {"metadata": {"name": "bad"},
                                                                  "spec": {}})
    assert invalid.value.status == 422
    api.delete_namespaced_persistent_volume_claim("home", "default")
    assert api.list_namespaced_persistent_volume_claim("default").items == []

    patched = api.patch_namespaced_pod("logger", "default",
                                       {"metadata": {"labels": {"stage": "done"}}})
    assert patched.metadata.labels == {"stage": "done"}
    with pytest.raises(ApiException) as stale:
        api.patch_namespaced_pod("logger", "default", {"metadata": {
            "resourceVersion": "1", "labels": {"stage": "again"}}})
    assert stale.value.status == 409 and json.loads(stale.value.body)["reason"] == "Conflict"

    # The fake's own directory (build/bin, with codeyard-pod) is bound read-only into pods.
    pod_binary = str(Path(BIN).resolve().parent / "codeyard-pod")
    api.create_namespaced_pod("default", pod_body("bound", ["sh", "-c", f"test -x {pod_binary} && "
                                                              f"! touch {pod_binary} 2>/dev/null && echo ok"]))
    wait_phase(api, "bound", "Succeeded")
    assert api.read_namespaced_pod_log("bound", "default") == "ok\n"

    with pytest.raises(ApiException) as no_ns:
        api.create_namespaced_pod("elsewhere", pod_body("lost"))
    assert no_ns.value.status == 404
    assert json.loads(no_ns.value.body)["message"] == 'namespaces "elsewhere" not found'

    events = api.list_namespaced_event(
        "default", field_selector=f"involvedObject.name=logger,involvedObject.uid={pod.metadata.uid}")
    assert {"Scheduled", "Pulled", "Created", "Started"} <= {e.reason for e in events.items}


def test_faults_throttle_evict_and_restart(tmp_path):
    fake = Fake(tmp_path / "faults")
    try:
        api = api_for(fake)
        fake.control("throttle", count=1, retry_after=3)
        status, body, headers = fake.request("GET", "/api/v1/namespaces/default/pods")
        assert status == 429 and body["reason"] == "TooManyRequests"
        assert headers["Retry-After"] == "3" and body["details"]["retryAfterSeconds"] == 3
        # urllib3 (under the Python client) honours Retry-After on 429 by itself.
        fake.control("throttle", count=2, retry_after=1)
        assert api.list_namespaced_pod("default").items == []
        lists = [l for l in fake.audit_lines() if l["verb"] == "list"]
        assert len(lists) == 4  # the raw one, two refused, one served

        api.create_namespaced_pod("default", pod_body("victim"))
        api.create_namespaced_pod("default", pod_body("survivor"))
        wait_running(api, "victim")
        wait_running(api, "survivor")
        rv = api.list_namespaced_pod("default").metadata.resource_version
        fake.control("evict", namespace="default", name="victim")
        seen = []
        for event in watch.Watch().stream(api.list_namespaced_pod, "default", resource_version=rv,
                                          field_selector="metadata.name=victim", timeout_seconds=5):
            obj = event["raw_object"]
            seen.append((event["type"], obj["status"].get("phase"), obj["status"].get("reason")))
            if event["type"] == "DELETED":
                break
        assert ("MODIFIED", "Failed", "Evicted") in seen and seen[-1][0] == "DELETED"

        before = api.list_namespaced_pod("default").metadata.resource_version
        fake.restart()
        api = api_for(fake)
        pod = api.read_namespaced_pod("survivor", "default")
        # Its processes died with the previous fake: it is marked failed, not reattached.
        assert pod.status.phase == "Failed" and pod.status.reason == "NodeRestarted"
        with pytest.raises(ApiException) as gone:
            for _ in watch.Watch().stream(api.list_namespaced_pod, "default",
                                          resource_version=str(int(before) - 1), timeout_seconds=2):
                pass
        assert gone.value.status == 410
        api.create_namespaced_pod("default", pod_body("after"))
        assert int(wait_running(api, "after").metadata.resource_version) > int(before)
        # A SIGTERM'd fake ends its pods but leaves their objects for the next one to mark.
        api.create_namespaced_pod("default", pod_body("young"))  # possibly still being made
        fake.stop()
        fake.start()
        api = api_for(fake)
        for name in ("after", "young"):
            assert api.read_namespaced_pod(name, "default").status.reason == "NodeRestarted"
    finally:
        fake.stop()


def test_tls_token_rotation(tmp_path):
    fake = Fake(tmp_path / "tls", "--tls", "--token", "first-token")
    try:
        api = api_for(fake)
        assert api.list_namespaced_pod("default").items == []
        fake.control("rotate-token", token="second-token")
        with pytest.raises(ApiException) as denied:
            api.list_namespaced_pod("default")
        assert denied.value.status == 401
        assert json.loads(denied.value.body)["reason"] == "Unauthorized"
        cfg = client.Configuration()
        config.load_kube_config(config_file=str(fake.kubeconfig), client_configuration=cfg)
        cfg.api_key = {"authorization": "Bearer second-token"}
        assert client.CoreV1Api(client.ApiClient(cfg)).list_namespaced_pod("default").items == []
    finally:
        fake.stop()


def exec_socket(fake, pod, command, protocol, stdin=True, tty=False):
    import websocket
    query = "&".join(f"command={c}" for c in command) + "&stdout=true&stderr=true"
    if stdin:
        query += "&stdin=true"
    if tty:
        query += "&tty=true"
    url = fake.url.replace("http", "ws", 1) + f"/api/v1/namespaces/default/pods/{pod}/exec?{query}"
    ws = websocket.create_connection(url, subprotocols=[protocol], timeout=30)
    assert ws.getsubprotocol() == protocol
    return ws


def read_until_close(ws):
    """Returns ([(opcode, payload)], close code)."""
    import websocket
    frames = []
    while True:
        opcode, frame = ws.recv_data_frame(True)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return frames, int.from_bytes(frame.data[:2], "big")
        if opcode == websocket.ABNF.OPCODE_PONG:
            frames.append(("pong", frame.data))
            continue
        frames.append((opcode, frame.data))


def test_exec_wire_v5_close_ping_status_and_v4_base64(fake):
    import websocket
    api = api_for(fake)
    api.create_namespaced_pod("default", pod_body("wire"))
    wait_running(api, "wire")

    ws = exec_socket(fake, "wire", ["cat"], "v5.channel.k8s.io")
    opcode, first = ws.recv_data_frame(True)
    assert (opcode, first.data) == (websocket.ABNF.OPCODE_BINARY, b"\x01")
    ws.ping(b"are you there")
    ws.send_binary(b"\x00hello ")
    ws.send(b"\x00world".decode())  # a text frame, as Python's client sends str
    ws.send_binary(b"\xff\x00")  # v5 CLOSE of stdin: cat sees EOF and exits
    frames, code = read_until_close(ws)
    assert ("pong", b"are you there") in frames
    data = [f for f in frames if f[0] != "pong"]
    assert all(op == websocket.ABNF.OPCODE_BINARY for op, _ in data)
    assert b"".join(p[1:] for _, p in data if p[:1] == b"\x01") == b"hello world"
    assert data[-1][1] == b'\x03{"metadata":{},"status":"Success"}'
    assert code == 1000

    ws = exec_socket(fake, "wire", ["sh", "-c", "exit 3"], "v4.channel.k8s.io", stdin=False)
    frames, code = read_until_close(ws)
    assert json.loads(frames[-1][1][1:]) == {
        "metadata": {}, "status": "Failure",
        "message": "command terminated with non-zero exit code: error executing command "
                   "[sh -c exit 3], exit code 3",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": "3"}]}}

    ws = exec_socket(fake, "wire", ["echo", "b64"], "v4.base64.channel.k8s.io", stdin=False)
    frames, code = read_until_close(ws)
    assert all(op == websocket.ABNF.OPCODE_TEXT for op, _ in frames)
    assert frames[0][1] == b"1"
    import base64
    out = b"".join(base64.b64decode(p[1:]) for _, p in frames if p[:1] == b"1")
    assert out == b"b64\n" and code == 1000


def test_token_file_is_reread(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("one\n")
    fake = Fake(tmp_path / "tf", "--tls", "--token-file", str(token_file))
    try:
        assert "tokenFile: " + str(token_file) in fake.kubeconfig.read_text()
        fake.config["token"] = "one"
        assert fake.request("GET", "/api/v1/namespaces/default/pods")[0] == 200
        token_file.write_text("two\n")
        assert fake.request("GET", "/api/v1/namespaces/default/pods")[0] == 401
        assert fake.request("GET", "/api/v1/namespaces/default/pods", token="two")[0] == 200
    finally:
        fake.stop()


def test_filtered_watch_sees_objects_enter_and_leave_its_selector(fake):
    api = api_for(fake)
    rv = api.list_namespaced_pod("default").metadata.resource_version
    api.create_namespaced_pod("default", pod_body("mover", labels={"app": "other"}))
    wait_running(api, "mover")
    api.patch_namespaced_pod("mover", "default", {"metadata": {"labels": {"app": "w"}}})
    api.patch_namespaced_pod("mover", "default", {"metadata": {"labels": {"app": None}}})
    seen = [e["type"] for e in watch.Watch().stream(
        api.list_namespaced_pod, "default", resource_version=rv, label_selector="app=w",
        timeout_seconds=1)]
    assert seen == ["ADDED", "DELETED"]
    # status.phase=Running: the pod enters once it runs.
    phases = [(e["type"], e["object"].status.phase) for e in watch.Watch().stream(
        api.list_namespaced_pod, "default", resource_version=rv,
        field_selector="status.phase=Running", timeout_seconds=1)]
    assert phases[0] == ("ADDED", "Running")


def test_a_malformed_request_ends_its_connection_not_the_server(fake):
    import socket
    with socket.create_connection(("127.0.0.1", fake.port), timeout=10) as s:
        s.sendall(b"POST /api/v1/namespaces/default/pods HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Length: nope\r\n\r\n{}")
        answer = s.recv(4096)
    assert answer.startswith(b"HTTP/1.1 400 ")
    status, body, _ = fake.request("POST", "/api/v1/namespaces/default/pods",
                                   {"metadata": {"name": "a"}, "spec": {"containers": [5]}})
    assert status == 422 and body["details"]["causes"][0]["field"] == "spec.containers[0]"
    assert fake.request("GET", "/version")[0] == 200


def test_namespaces_given_exist_and_the_first_is_the_kubeconfigs(tmp_path):
    fake = Fake(tmp_path / "ns", "--namespace", "team-a", "--namespace", "team-b")
    try:
        assert "namespace: team-a" in fake.kubeconfig.read_text()
        api = api_for(fake)
        assert sorted(n.metadata.name for n in api.list_namespace().items) == ["team-a", "team-b"]
        api.create_namespaced_pod("team-a", pod_body("pa", labels={"app": "x"}))
        api.create_namespaced_pod("team-b", pod_body("pb", labels={"app": "x"}))
        assert [p.metadata.name for p in api.list_namespaced_pod("team-b").items] == ["pb"]
        everywhere = api.list_pod_for_all_namespaces(label_selector="app=x").items
        assert sorted((p.metadata.namespace, p.metadata.name) for p in everywhere) == [
            ("team-a", "pa"), ("team-b", "pb")]
        with pytest.raises(ApiException) as missing:
            api.create_namespaced_pod("default", pod_body("pd"))
        assert missing.value.status == 404
    finally:
        fake.stop()
