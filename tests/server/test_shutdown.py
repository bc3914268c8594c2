"""Graceful shutdown of codeyard-server with work in flight: an exec running when SIGTERM
arrives completes with 200, files written in running pods (also ones no sync has seen yet) are
stored by the final sync, and a server restarted on the same data directory serves them."""

import json
import pathlib
import signal
import threading
import time

from api_client import call, create_workspace, register, wait_for
from test_server import Server

DEADLINE_S = 15.0


def pod_workspace_dir(data_dir, workspace_id):
    """The workspace folder inside the running pod of `workspace_id`, seen from the host
    through /proc (the local executor's pods are mount namespaces; the tests run as root)."""
    for record in pathlib.Path(data_dir, "pods").glob("*/pod.json"):
        pod = json.loads(record.read_text())
        if pod["labels"].get("codeyard.dev/workspace") == workspace_id:
            return pathlib.Path(f"/proc/{pod['init_pid']}/root/workspace")
    return None


def wait_for_file_in_pod(data_dir, workspace_id, name):
    def there():
        folder = pod_workspace_dir(data_dir, workspace_id)
        return folder is not None and (folder / name).is_file()

    wait_for(there, DEADLINE_S, f"{name} appears in the pod", interval=0.02)


def log_records(server):
    return [json.loads(line) for line in server.stderr().splitlines()]


def test_exec_in_flight_at_sigterm_completes_and_its_files_survive_a_restart(tmp_path):
    s = Server(tmp_path)
    session = register(s, username="shutdown1", password="correct horse")
    token = session["access_token"]
    ws = create_workspace(s, token)["id"]
    result = {}

    def run_exec():
        result["answer"] = call(s, "POST", f"/workspaces/{ws}/exec", token=token, json_body={
            "argv": ["sh", "-c", "touch started; sleep 1; echo done > out.txt"]})

    caller = threading.Thread(target=run_exec)
    caller.start()
    wait_for_file_in_pod(s.data_dir, ws, "started")  # the command runs: now stop the server
    code, elapsed = s.stop(signal.SIGTERM, timeout=DEADLINE_S)
    caller.join(timeout=DEADLINE_S)
    status, _, doc = result["answer"]
    assert status == 200 and doc["exit_code"] == 0, doc
    assert code == 0 and elapsed < DEADLINE_S

    records = log_records(s)
    assert any(r["msg"] == "workspace synced and handed off" and r["workspace"] == ws
               for r in records)
    summary = [r for r in records if r["msg"] == "workspaces handed off"]
    assert len(summary) == 1, records
    assert summary[0]["handed_off"] == 1 and summary[0]["left_to_expire"] == 0
    assert records[-1]["msg"] == "server stopped"

    s2 = Server(tmp_path)
    try:
        token2 = call(s2, "POST", "/auth/login", json_body={
            "username": "shutdown1", "password": "correct horse"})[2]["access_token"]
        status, _, content = call(s2, "GET", f"/workspaces/{ws}/files/out.txt", token=token2)
        assert status == 200 and content == b"done\n"
    finally:
        assert s2.stop()[0] == 0


def test_file_written_in_a_pod_after_the_last_sync_is_stored_at_shutdown(tmp_path):
    s = Server(tmp_path)
    session = register(s, username="shutdown2", password="correct horse")
    token = session["access_token"]
    ws = create_workspace(s, token)["id"]
    # The exec returns (and syncs) at once; a process it left behind writes later.
    status, _, doc = call(s, "POST", f"/workspaces/{ws}/exec", token=token, json_body={
        "argv": ["sh", "-c", "setsid sh -c 'sleep 0.3; echo late > late.txt' "
                             "</dev/null >/dev/null 2>&1 &"]})
    assert status == 200 and doc["exit_code"] == 0, doc
    wait_for_file_in_pod(s.data_dir, ws, "late.txt")
    status, _, _ = call(s, "GET", f"/workspaces/{ws}/files/late.txt", token=token)
    assert status == 404  # in the pod, not yet in storage

    status, _, doc = call(s, "POST", f"/workspaces/{ws}/exec", token=token,
                          json_body={"argv": ["sh", "-c", "echo kept > /tmp/marker"]})
    assert status == 200 and doc["exit_code"] == 0, doc
    code, _ = s.stop(signal.SIGTERM, timeout=DEADLINE_S)
    assert code == 0
    # Handed off, not stopped: the pod (and any shell in it) outlives the server.
    assert pod_workspace_dir(s.data_dir, ws) is not None

    s2 = Server(tmp_path)
    try:
        token2 = call(s2, "POST", "/auth/login", json_body={
            "username": "shutdown2", "password": "correct horse"})[2]["access_token"]
        status, _, content = call(s2, "GET", f"/workspaces/{ws}/files/late.txt", token=token2)
        assert status == 200 and content == b"late\n"
        _, _, workspace = call(s2, "GET", f"/workspaces/{ws}", token=token2)
        assert workspace["state"] == "running"
        # The restarted server serves the same pod: its /tmp, never synced, is still there.
        status, _, doc = call(s2, "POST", f"/workspaces/{ws}/exec", token=token2,
                              json_body={"argv": ["cat", "/tmp/marker"]})
        assert status == 200 and doc["stdout"] == "kept\n", doc
    finally:
        assert s2.stop()[0] == 0


def test_requests_arriving_while_draining_get_503(tmp_path):
    s = Server(tmp_path)
    token = register(s)["access_token"]
    ws = create_workspace(s, token)["id"]
    result = {}

    def run_exec():
        result["answer"] = call(s, "POST", f"/workspaces/{ws}/exec", token=token, json_body={
            "argv": ["sh", "-c", "touch started; sleep 2"]})

    caller = threading.Thread(target=run_exec)
    caller.start()
    wait_for_file_in_pod(s.data_dir, ws, "started")
    s.proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + DEADLINE_S
    refused = None
    while time.monotonic() < deadline and refused is None:
        status, _, body = s.request("GET", "/api/v1/health")
        if status == 503:
            refused = json.loads(body)
        else:
            time.sleep(0.02)
    assert refused is not None and refused["error"]["code"] == "unavailable"
    caller.join(timeout=DEADLINE_S)
    assert result["answer"][0] == 200
    code, _ = s.stop(timeout=DEADLINE_S)
    assert code == 0
