"""Issue 21, "Fault injection with nothing lost": a workspace pod whose init is killed, and a hung
pod (every process of it stopped with SIGSTOP) under an exec and under a terminal.

A killed init: the next requests get a clear answer (success, or 503 with the error envelope,
never a 500 or a hang), the workspace comes back on a new pod from storage without a server
restart, and every file the API acknowledged is there; no second live pod is left.
A hung pod: the exec under it ends at its wall-time limit plus 10 s with a clear answer (504),
the server keeps serving everyone else meanwhile (the API, another workspace's exec, this
workspace's files), and the pod, which did not end the command, is replaced: the workspace
works again on a new pod with every stored file, without the old one ever running again. A
short hang with no exec running out its time replaces nothing: a terminal's open and typed input
wait for the pod and go on once it runs again, and the server stays responsive.
"""

import asyncio
import json
import os
import pathlib
import re
import signal
import threading

from api_client import call, create_workspace, register, wait_for
from terminal_client import Terminal, marker_echo
from test_server import Server

SETTINGS = ("--set", "executor.pool_size=0", "--set", "workspace.lease_s=2")


def workspace_pods(server, ws):
    """pod.json of each live pod of workspace `ws` in the server's executor state."""
    pods = []
    for path in (server.data_dir / "pods").glob("*/pod.json"):
        try:
            pod = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if pod["labels"].get("codeyard.dev/workspace") == ws and alive(pod["init_pid"]):
            pods.append(pod)
    return pods


def alive(pid):
    try:
        state = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def pod_processes(init_pid):
    """The init and every process below it (host pids)."""
    children = {}
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [init_pid]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def commands(pod):
    names = set()
    for pid in pod_processes(pod["init_pid"]):
        try:
            names.add(pathlib.Path(f"/proc/{pid}/comm").read_text().strip())
        except OSError:
            pass
    return names


def signal_pod(pod, sig):
    for pid in pod_processes(pod["init_pid"]):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def exec_in(server, token, ws, script, **fields):
    return call(server, "POST", f"/workspaces/{ws}/exec", token=token,
                json_body={"argv": ["sh", "-c", script], **fields})


def clear(status, doc):
    """A success, or an error with the envelope and a code that says what happened."""
    if status == 200:
        return True
    return status in (503, 504) and isinstance(doc, dict) and set(doc) == {"error"} and \
        doc["error"]["code"] in ("unavailable", "deadline_exceeded")


def workspace_with_a_file(server):
    """A new user's token and workspace, holding kept.txt ("kept\\n") in storage."""
    token = register(server)["access_token"]
    ws = create_workspace(server, token)["id"]
    status, _, doc = call(server, "PUT", f"/workspaces/{ws}/files/kept.txt", token=token,
                          body=b"kept\n")
    assert status == 200, doc
    return token, ws


def test_a_killed_pod_init_comes_back_from_storage_without_a_restart(tmp_path):
    server = Server(tmp_path, *SETTINGS)
    try:
        token, ws = workspace_with_a_file(server)
        status, doc = exec_in(server, token, ws, "echo made > made.txt")[::2]
        assert status == 200 and doc["exit_code"] == 0, doc
        [pod] = workspace_pods(server, ws)
        os.kill(pod["init_pid"], signal.SIGKILL)

        answers = []

        def back():
            status, _, doc = exec_in(server, token, ws, "cat kept.txt made.txt")
            answers.append((status, doc))
            return status == 200 and doc["exit_code"] == 0 and doc["stdout"] == "kept\nmade\n"
        wait_for(back, 60, "the workspace runs again on a new pod", interval=0.2)
        assert all(clear(s, d) for s, d in answers), answers
        assert server.proc.poll() is None
        pods = workspace_pods(server, ws)
        assert len(pods) == 1 and pods[0]["id"] != pod["id"], pods
    finally:
        server.stop(timeout=30)


def hung_pods_replaced(server):
    status, _, text = server.request("GET", "/api/v1/metrics")
    assert status == 200
    m = re.search(r"^codeyard_workspace_hung_pods_replaced_total (\d+)", text.decode(), re.M)
    return int(m.group(1)) if m else 0


def test_a_hung_pod_under_an_exec_is_replaced_and_a_terminal_waits_out_a_short_hang(tmp_path):
    server = Server(tmp_path, *SETTINGS)
    try:
        token = register(server)["access_token"]
        ws = create_workspace(server, token)["id"]
        status, doc = exec_in(server, token, ws, "echo before > before.txt")[::2]
        assert status == 200 and doc["exit_code"] == 0, doc
        [pod] = workspace_pods(server, ws)
        other = register(server)["access_token"]
        other_ws = create_workspace(server, other)["id"]

        # --- an exec under a stopped pod: a clear answer at its wall limit (6 s) plus 10 s,
        # and the pod, which did not end the command, is replaced
        outcome = {}

        def hung_exec():
            # Its own client timeout, far past the server's bound, so a loaded machine cannot
            # make the client give up first.
            status, headers, raw = server.request(
                "POST", f"/api/v1/workspaces/{ws}/exec", timeout=120,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                body=json.dumps({"argv": ["sh", "-c", "sleep 30; echo late > late.txt"],
                                 "time_limit_s": 3}).encode())
            outcome["answer"] = (status, json.loads(raw))

        runner = threading.Thread(target=hung_exec, daemon=True)
        runner.start()
        wait_for(lambda: "sleep" in commands(pod), 20, "the exec's sleep runs in the pod")
        signal_pod(pod, signal.SIGSTOP)
        try:
            # The server serves everyone else meanwhile.
            assert call(server, "GET", "/health")[0] == 200
            status, doc = exec_in(server, other, other_ws, "echo fine")[::2]
            assert status == 200 and doc["stdout"] == "fine\n", doc
            status, _, doc = call(server, "PUT", f"/workspaces/{ws}/files/during.txt",
                                  token=token, body=b"during\n")
            assert status == 200, doc
            runner.join(timeout=150)
            assert not runner.is_alive(), "the exec under a stopped pod never answered"
            status, doc = outcome["answer"]
            assert status == 504 and doc["error"]["code"] == "deadline_exceeded", doc
            assert "replaced" in doc["error"]["message"], doc
            # Without the pod running again: it is gone, and the workspace works on a new one
            # with every stored file (the hung command's own effect never happened).
            wait_for(lambda: not alive(pod["init_pid"]), 30, "the hung pod is deleted")
            assert hung_pods_replaced(server) == 1
            status, doc = exec_in(server, token, ws,
                                  "cat before.txt during.txt; ls late.txt 2>&1 | wc -l")[::2]
            assert status == 200 and doc["stdout"] == "before\nduring\n1\n", doc
        finally:
            signal_pod(pod, signal.SIGCONT)
        [pod] = workspace_pods(server, ws)

        # --- a terminal under a briefly stopped pod: opening and typing wait for it, the
        # server stays responsive, and nothing is replaced (no exec ran out its time)
        async def scenario():
            signal_pod(pod, signal.SIGSTOP)
            try:
                term = await Terminal.open(server, ws, token)
                try:
                    # "starting": the server has the hello and is attaching to the stopped pod
                    await term.wait_state("starting", timeout=30)
                    assert call(server, "GET", "/health")[0] == 200
                    signal_pod(pod, signal.SIGCONT)
                    try:
                        await term.wait_state("running", timeout=30)
                    except AssertionError as error:
                        raise AssertionError("the terminal never opened after the pod ran "
                                             f"again: {error}") from error
                    await marker_echo(term, "awake")
                    signal_pod(pod, signal.SIGSTOP)
                    start = len(term.output)
                    await term.type("echo typed_$((6*7)) > typed.txt; echo done_$((6*7))\r")
                    status_ = call(server, "GET", f"/workspaces/{ws}/files/during.txt",
                                   token=token)[0]
                    assert status_ == 200
                    assert call(server, "GET", "/health")[0] == 200
                    signal_pod(pod, signal.SIGCONT)
                    await term.wait_output("done_42", after=start, timeout=30)
                finally:
                    await term.close()
            finally:
                signal_pod(pod, signal.SIGCONT)

        asyncio.run(scenario())

        # --- the workspace works, nothing stored lost, one live pod
        def works():
            status, doc = exec_in(server, token, ws, "cat before.txt during.txt typed.txt")[::2]
            return status == 200 and doc["stdout"] == "before\nduring\ntyped_42\n" and doc
        wait_for(works, 30, "the workspace works with every file")
        assert [p["init_pid"] for p in workspace_pods(server, ws)] == [pod["init_pid"]]
        assert hung_pods_replaced(server) == 1
        assert server.proc.poll() is None
    finally:
        server.stop(timeout=30)


def test_a_hung_pod_under_a_terminal_alone_is_replaced_by_the_usage_sampler(tmp_path):
    # Samples every second (each waits 5 s for the pod's answer): two unanswered in a row, about
    # 12 s after the stop, replace the pod. The default interval is 30 s.
    server = Server(tmp_path, *SETTINGS, "--set", "usage.sample_interval_s=1")
    try:
        token, ws = workspace_with_a_file(server)

        async def scenario():
            term = await Terminal.open(server, ws, token)
            await term.wait_state("running", timeout=30)
            await marker_echo(term, "before")
            [pod] = workspace_pods(server, ws)
            signal_pod(pod, signal.SIGSTOP)
            try:
                wait_for(lambda: not alive(pod["init_pid"]), 60,
                         "the hung pod is replaced without an exec")
                assert hung_pods_replaced(server) == 1
                assert call(server, "GET", "/health")[0] == 200
                # Its shell went with it: the terminal says so (or closes).
                try:
                    await term.read_until(
                        lambda t: any(st.get("state") == "exited" for st in t.statuses), 30)
                except AssertionError:
                    assert term.close_code is not None, "the terminal on the deleted pod hangs"
                await term.close()
            finally:
                signal_pod(pod, signal.SIGCONT)
            again = await Terminal.open(server, ws, token)
            try:
                await again.wait_state("running", timeout=30)
                await again.type("cat kept.txt\r")
                await again.wait_output("kept\r\n", timeout=30)
            finally:
                await again.close()
            [new_pod] = workspace_pods(server, ws)
            assert new_pod["id"] != pod["id"]

        asyncio.run(scenario())
        assert server.proc.poll() is None
    finally:
        server.stop(timeout=30)
